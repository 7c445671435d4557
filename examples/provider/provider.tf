terraform {
  required_providers {
    opencon = {
      source = "opencon/opencon"
    }
  }
}

# The secrets usually come from OPENCON_USER_SECRET and
# OPENCON_ORGANIZATION_SECRET rather than from the configuration.
provider "opencon" {
  base_url = "https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2"
}
