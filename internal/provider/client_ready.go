package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// clientReady reports whether a data source or ephemeral resource has a
// client, and says why not when it is read before the provider's own
// configuration is known.
func clientReady(client *opencon.Client, diags *diag.Diagnostics) bool {
	if client != nil {
		return true
	}
	diags.AddError("Provider not configured",
		"The opencon provider has no client yet: its base_url, user_secret or organization_secret depend on values known only after apply.")
	return false
}
