# Terraform 1.14+. Run it by hand when the vendor revoked or expired the
# instance's grant, with the code of a fresh consent:
#
#   terraform apply -invoke=action.opencon_instance_reauthenticate.gmail -var "gmail_code=$CODE"
#
# The code comes in through an ephemeral variable, so it reaches neither the
# plan nor the state.
variable "gmail_code" {
  type      = string
  ephemeral = true
  sensitive = true
}

# In the configuration that manages the instance, use opencon_instance.gmail.id.
data "opencon_instance" "gmail" {
  name        = "Support mailbox"
  element_key = "gmail"
}

action "opencon_instance_reauthenticate" "gmail" {
  config {
    instance_id        = data.opencon_instance.gmail.id
    authorization_code = var.gmail_code
  }
}
