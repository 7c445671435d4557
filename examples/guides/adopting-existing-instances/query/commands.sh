# List the instances and write import blocks and configuration to generated.tf.
terraform query -generate-config-out=generated.tf
# Review generated.tf, then import: this changes nothing on the platform.
terraform apply
# The configuration now matches the instances.
terraform plan
