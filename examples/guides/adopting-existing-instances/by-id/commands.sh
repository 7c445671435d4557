# Read the instances and write their configuration to generated.tf.
terraform plan -generate-config-out=generated.tf
# Review generated.tf, then import: this changes nothing on the platform.
terraform apply
# The configuration now matches the instances.
terraform plan
