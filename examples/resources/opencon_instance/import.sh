# An instance is imported by its numeric id.
terraform import opencon_instance.gmail 12345
