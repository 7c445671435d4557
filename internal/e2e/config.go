package e2e

import "fmt"

// InstancesConfig is a configuration of n NetSuite opencon_instance
// resources ("opencon_instance.bench[i]", named prefix-i), basic
// authentication and no polling: one POST to create, one GET to refresh, one
// DELETE to destroy. The provider reads base_url and the secrets from the
// environment a Workdir with an Emulator sets.
func InstancesConfig(n int, prefix string) string {
	return InstancesConfigUser(n, prefix, "jane")
}

// InstancesConfigUser is InstancesConfig with user.username set to user:
// applying it with another user than before updates every instance in
// place, one PATCH each.
func InstancesConfigUser(n int, prefix, user string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    opencon = { source = "opencon/opencon" }
  }
}

provider "opencon" {}

resource "opencon_instance" "bench" {
  count       = %d
  element_key = "netsuiteerp"
  name        = "%s-${count.index}"
  configuration = {
    "user.username"      = %q
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}
`, n, prefix, user)
}

// TerraformDataConfig is the baseline twin of InstancesConfig: n
// terraform_data resources with comparable input, handled inside the CLI by
// its built-in provider, so running it measures Terraform core alone.
func TerraformDataConfig(n int, prefix string) string {
	return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = {
    element_key = "netsuiteerp"
    name        = "%s-${count.index}"
    configuration = {
      "user.username"      = "jane"
      "netsuite.accountId" = "TSTDRV1"
    }
  }
}
`, n, prefix)
}
