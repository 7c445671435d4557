# The configuration whose state, as the provider at schema version 0 wrote it
# under each CLI of the matrix, is kept in <cli>-<version>/ (see
# upgrade_test.go and scripts/upgrade-fixtures.sh). Change nothing here:
# the test plans this configuration against those states. The source has no
# host, so that each CLI uses its own registry's address, as users' do.
terraform {
  required_providers {
    opencon = {
      source = "opencon/opencon"
    }
  }
}

variable "base_url" {
  type = string
}

variable "gmail_authorization_code" {
  type      = string
  sensitive = true
}

provider "opencon" {
  base_url            = var.base_url
  user_secret         = "dev-user-secret"
  organization_secret = "dev-organization-secret"
  max_retries         = 0
}

# The quickstart's Gmail instance, with every event argument set.
resource "opencon_instance" "gmail" {
  element_key        = "gmail"
  name               = "Upgrade Gmail"
  tags               = ["upgrade", "gmail"]
  authorization_code = var.gmail_authorization_code

  oauth_api_key      = "gmail-client-id.apps.googleusercontent.com"
  oauth_api_secret   = "gmail-client-secret"
  oauth_callback_url = "https://auth.mycoolapp.com/oauth"

  event_notification_enabled       = true
  event_notification_callback_url  = "http://127.0.0.1:9/events"
  event_notification_signature_key = "upgrade-signature-key"
  event_poller_refresh_interval    = 15

  polling_resource {
    name                   = "changed-messages"
    url                    = "/hubs/general/changed-messages"
    id_field               = "id"
    filter_by_updated_date = true
    page_size              = 50
    poll_delay             = 5

    dates {
      updated_date_field    = "updatedDate"
      updated_date_format   = "yyyy-MM-dd'T'HH:mm:ss'Z'"
      updated_date_timezone = "GMT"
    }
  }

  timeouts {
    create = "5m"
  }
}

# A NetSuite instance: basic credentials, free and sensitive configuration,
# disabled.
resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "Upgrade ERP"
  tags        = ["upgrade"]
  enabled     = false

  configuration = {
    "user.username"      = "jane@example.com"
    "netsuite.accountId" = "TSTDRV1234567"
    "netsuite.sandbox"   = "true"
  }
  sensitive_configuration = {
    "user.password" = "upgrade-password"
  }
}
