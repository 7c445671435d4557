# Quickstart: the documented Gmail instance that polls changed-messages and
# sends each change to a callback URL. `make demo` applies it against the
# local emulator; point base_url and the secrets at the real platform to use
# it there (see README.md).

terraform {
  required_providers {
    opencon = {
      source = "opencon/opencon"
    }
  }
}

variable "base_url" {
  description = "The API root, e.g. https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2."
  type        = string
}

variable "authorization_code" {
  description = "The code from the OAuth redirect after approving the URL of the opencon_oauth_url data source."
  type        = string
  sensitive   = true
}

variable "gmail_client_id" {
  description = "The OAuth client id of your Google app."
  type        = string
}

variable "gmail_client_secret" {
  description = "The OAuth client secret of your Google app."
  type        = string
  sensitive   = true
}

variable "gmail_redirect_uri" {
  description = "The authorized redirect URI of your Google app."
  type        = string
}

variable "event_callback_url" {
  description = "Where the platform sends the events."
  type        = string
}

variable "event_signature_key" {
  description = "The key of the HMAC-SHA256 signature of each event."
  type        = string
  sensitive   = true
}

variable "refresh_interval" {
  description = "How often, in minutes, the platform polls the mailbox."
  type        = number
  default     = 15
}

# user_secret and organization_secret come from OPENCON_USER_SECRET and
# OPENCON_ORGANIZATION_SECRET.
provider "opencon" {
  base_url = var.base_url
}

resource "opencon_instance" "gmail" {
  element_key        = "gmail"
  name               = "API Instance with Polling"
  tags               = ["Docs"]
  authorization_code = var.authorization_code

  oauth_api_key      = var.gmail_client_id
  oauth_api_secret   = var.gmail_client_secret
  oauth_callback_url = var.gmail_redirect_uri

  event_notification_enabled       = true
  event_notification_callback_url  = var.event_callback_url
  event_notification_signature_key = var.event_signature_key
  event_poller_refresh_interval    = var.refresh_interval

  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }
}

output "instance_id" {
  value = opencon_instance.gmail.id
}

output "instance_token" {
  description = "Send it as `Element <token>` in hub calls."
  value       = opencon_instance.gmail.token
  sensitive   = true
}
