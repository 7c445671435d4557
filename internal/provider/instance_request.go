package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// Framework values → request bodies: what the plan asks the platform for.

// desiredConfiguration is every configuration key the plan manages, in the
// form the API accepts. wo carries the write-only values from the config.
func (m *instanceModel) desiredConfiguration(ctx context.Context, wo writeOnlyValues) (map[string]any, diag.Diagnostics) {
	var diags diag.Diagnostics
	out := map[string]any{}
	setString := func(key string, v types.String) {
		if !v.IsNull() && !v.IsUnknown() {
			out[key] = v.ValueString()
		}
	}
	setString(opencon.KeyOAuthAPIKey, m.OAuthAPIKey)
	setString(opencon.KeyOAuthCallbackURL, m.OAuthCallbackURL)
	if !m.EventNotificationEnabled.IsNull() && !m.EventNotificationEnabled.IsUnknown() {
		out[opencon.KeyEventNotificationEnabled] = m.EventNotificationEnabled.ValueBool()
	}
	setString(opencon.KeyEventNotificationCallbackURL, m.EventNotificationCallbackURL)
	if !m.EventPollerRefreshInterval.IsNull() && !m.EventPollerRefreshInterval.IsUnknown() {
		out[opencon.KeyEventPollerRefreshInterval] = strconv.FormatInt(m.EventPollerRefreshInterval.ValueInt64(), 10)
	}
	for _, a := range writeOnlyArgs {
		if v, ok := a.value(m, wo); ok && a.key != "" {
			out[a.key] = v
		}
	}
	polling, d := pollingBlocks(ctx, m.PollingResources)
	diags.Append(d...)
	if len(polling) > 0 {
		out[opencon.KeyEventPollerConfiguration] = pollerConfigurationFromModels(polling)
	}
	for _, mm := range []types.Map{m.Configuration, m.SensitiveConfiguration} {
		kv, d := stringMap(ctx, mm)
		diags.Append(d...)
		for k, v := range kv {
			out[k] = v
		}
	}
	return out, diags
}

// changedConfiguration returns the keys whose desired value differs between
// two desired configurations. Keys only in prior are dropped from management,
// not deleted, since the API cannot unset a key; the poller configuration is
// the exception: removing every polling_resource block empties it.
func changedConfiguration(prior, planned map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range planned {
		if pv, ok := prior[k]; !ok || !sameConfigValue(pv, v) {
			out[k] = v
		}
	}
	if _, had := prior[opencon.KeyEventPollerConfiguration]; had {
		if _, has := planned[opencon.KeyEventPollerConfiguration]; !has {
			out[opencon.KeyEventPollerConfiguration] = opencon.PollerConfiguration{}
		}
	}
	return out
}

func sameConfigValue(a, b any) bool {
	if pa, ok := a.(opencon.PollerConfiguration); ok {
		pb, ok := b.(opencon.PollerConfiguration)
		return ok && pa.SameMeaning(pb)
	}
	return a == b
}
