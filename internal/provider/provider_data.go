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

// notConfiguredYet is why an object has no client: the provider's own
// configuration depends on values known only after apply, so Configure
// handed it nothing.
const notConfiguredYet = "The opencon provider has no client yet: its configuration (base_url, user_secret, organization_secret, ...) depends on values known only after apply."

// clientReady reports whether an object has a client, and when it has none
// says why with an error: every call that needs the platform (create,
// update, delete, a data source's read, an ephemeral resource's open)
// fails clearly instead of dereferencing a nil client.
func clientReady(client *opencon.Client, diags *diag.Diagnostics) bool {
	if client != nil {
		return true
	}
	diags.AddError("Provider not configured", notConfiguredYet)
	return false
}

// clientReadyToRefresh is clientReady for a resource's Read: without a
// client the prior state is kept, with a warning, so that a plan whose
// provider configuration is not yet known (for example base_url taken from
// a resource being replaced) still works; the next plan reads the instance.
func clientReadyToRefresh(client *opencon.Client, diags *diag.Diagnostics) bool {
	if client != nil {
		return true
	}
	diags.AddWarning("Instance not refreshed", notConfiguredYet+" The instance is kept in state as it was last read, and read again once the provider is configured.")
	return false
}
