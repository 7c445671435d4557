# Import every instance the data source finds: this changes nothing on the platform.
terraform apply
# The configuration now matches the instances.
terraform plan
