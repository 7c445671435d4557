# By id.
data "opencon_instance" "gmail" {
  id = "12345"
}

# By exact name; element_key narrows the match when names repeat across
# elements. Zero or several matches are an error that lists the ids.
data "opencon_instance" "erp" {
  name        = "ERP"
  element_key = "netsuiteerp"
}

# The polled resources, parsed from event.poller.configuration.
output "gmail_polled_urls" {
  value = { for r in data.opencon_instance.gmail.polling_resource : r.name => r.url }
}

# Non-secret configuration only: masked and secret keys are left out.
output "erp_account" {
  value = data.opencon_instance.erp.configuration["netsuite.accountId"]
}

# The token is sensitive and stored in this configuration's state; see the
# opencon_instance_token ephemeral resource to keep it out.
output "gmail_token" {
  value     = data.opencon_instance.gmail.token
  sensitive = true
}
