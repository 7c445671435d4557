package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// What Configure hands to the resources, data sources and ephemeral
// resources, and how they check it. providerData and clientFrom belong here
// too; they are still in provider.go.

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
