# One import block per instance, with the id the platform gave it (see the
# opencon_instances data source, or GET /instances). No resource blocks yet:
# `terraform plan -generate-config-out=generated.tf` writes them.
import {
  to = opencon_instance.sales
  id = "12345"
}

import {
  to = opencon_instance.support
  id = "12346"
}

import {
  to = opencon_instance.erp
  id = "12347"
}
