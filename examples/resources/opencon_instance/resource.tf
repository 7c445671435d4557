variable "gmail_authorization_code" {
  description = "The code from the OAuth redirect (see the opencon_oauth_url data source)."
  type        = string
  sensitive   = true
}

variable "gmail_client_secret" {
  type      = string
  sensitive = true
}

# The documented Gmail instance: poll changed-messages every 15 minutes and
# send the events to a callback URL.
resource "opencon_instance" "gmail" {
  element_key        = "gmail"
  name               = "API Instance with Polling"
  tags               = ["Docs"]
  authorization_code = var.gmail_authorization_code

  oauth_api_key      = "xxxxxxxxxxxxxxxxxx.apps.googleusercontent.com"
  oauth_api_secret   = var.gmail_client_secret
  oauth_callback_url = "https://auth.mycoolapp.com/oauth"

  event_notification_enabled      = true
  event_notification_callback_url = "https://mycoolapp.com/events/gmail"
  event_poller_refresh_interval   = 15

  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }
}

# Any element: configuration keys of its own, secrets apart.
resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "ERP"

  configuration = {
    "user.username"      = "jane@example.com"
    "netsuite.accountId" = "TSTDRV1234567"
    "netsuite.sandbox"   = "true"
  }
  sensitive_configuration = {
    "user.password" = var.netsuite_password
  }
}

variable "netsuite_password" {
  type      = string
  sensitive = true
}
