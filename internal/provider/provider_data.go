package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// What Configure hands to the resources, data sources and ephemeral
// resources, and how they check it.

// providerData is what Configure hands to resources, data sources and ephemeral resources.
type providerData struct {
	client *opencon.Client
}

// clientFrom extracts the client from the provider data handed to Configure
// methods; nil data means the provider is not configured yet (plan with
// unknown provider values) and is not an error.
func clientFrom(data any, diags *diag.Diagnostics) *opencon.Client {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Provider not configured", fmt.Sprintf("Unexpected provider data %T; this is a bug in the provider.", data))
		return nil
	}
	return pd.client
}

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
