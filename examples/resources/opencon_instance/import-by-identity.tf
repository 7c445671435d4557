# Terraform 1.12+ or OpenTofu 1.12+. host defaults to the provider's.
import {
  to       = opencon_instance.gmail
  identity = { id = "12345" }
}
