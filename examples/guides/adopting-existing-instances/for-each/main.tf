# Terraform 1.7+ or OpenTofu 1.7+ (import blocks with for_each).
# Every instance tagged "mail": Gmail mailboxes set up alike, adopted into
# one resource block keyed by instance id.
data "opencon_instances" "mail" {
  tags = ["mail"]
}

locals {
  mailboxes = { for i in data.opencon_instances.mail.instances : i.id => i }
}

import {
  for_each = local.mailboxes
  to       = opencon_instance.mailbox[each.key]
  id       = each.key
}

resource "opencon_instance" "mailbox" {
  for_each = local.mailboxes

  element_key = each.value.element_key
  name        = each.value.name
  tags        = each.value.tags

  oauth_callback_url              = "https://auth.mycoolapp.com/oauth"
  event_notification_enabled      = true
  event_notification_callback_url = "https://mycoolapp.com/events/gmail"
  event_poller_refresh_interval   = 15

  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }
}
