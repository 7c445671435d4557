# Terraform 1.10+ or OpenTofu 1.11+. The token is read when a plan or an apply
# needs it and is never written to the plan or the state.
variable "gmail_instance_id" {
  type = string
}

variable "opencon_user_secret" {
  type      = string
  sensitive = true
}

variable "opencon_organization_secret" {
  type      = string
  sensitive = true
}

ephemeral "opencon_instance_token" "gmail" {
  id = var.gmail_instance_id
}

# Hub calls carry the user and organization secrets and the instance token.
# A local that references an ephemeral value is ephemeral too.
locals {
  hub_authorization = "User ${var.opencon_user_secret}, Organization ${var.opencon_organization_secret}, Element ${ephemeral.opencon_instance_token.gmail.token}"
}

# Ephemeral values are accepted in provider configuration, for example of a
# generic REST provider that calls the Gmail hub:
#
#   provider "restapi" {
#     uri     = "https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2/hubs/general"
#     headers = { Authorization = local.hub_authorization }
#   }
#
# and in provisioners, as here: a smoke test of the hub after each apply.
resource "terraform_data" "gmail_smoke_test" {
  triggers_replace = [var.gmail_instance_id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error --output /dev/null -H \"Authorization: $HUB_AUTHORIZATION\" \"$HUB_URL/messages?pageSize=1\""
    environment = {
      HUB_URL           = "https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2/hubs/general"
      HUB_AUTHORIZATION = local.hub_authorization
    }
  }
}
