package provider

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// Helpers shared by the read-only side of the provider: the opencon_instance
// and opencon_instances data sources and the opencon_instance_token ephemeral
// resource.

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

// stringSet turns platform tags into a set, empty rather than null.
func stringSet(values []string) types.Set {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.SetValueMust(types.StringType, elems)
}

// instanceEventSettings reads the event keys of an instance's configuration
// as the opencon_instance resource exposes them.
func instanceEventSettings(inst *opencon.Instance) (enabled types.Bool, callback types.String, interval types.Int64, diags diag.Diagnostics) {
	enabled = types.BoolValue(false)
	if v, ok := inst.ConfigValue(opencon.KeyEventNotificationEnabled); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			diags.AddWarning("Unexpected event.notification.enabled",
				"The API returned "+strconv.Quote(v)+", which is not a boolean; treating it as false.")
		}
		enabled = types.BoolValue(b)
	}
	callback = optionalString(inst, opencon.KeyEventNotificationCallbackURL)
	interval = types.Int64Null()
	if v, ok := inst.ConfigValue(opencon.KeyEventPollerRefreshInterval); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			diags.AddWarning("Unexpected event.poller.refresh_interval",
				"The API returned "+strconv.Quote(v)+", which is not a whole number of minutes.")
		} else {
			interval = types.Int64Value(n)
		}
	}
	return enabled, callback, interval, diags
}

// instancePollingResources parses event.poller.configuration into the
// polling_resource objects, sorted by name. An unparsable value is a warning
// and an empty list, so that one odd instance does not fail the read.
func instancePollingResources(ctx context.Context, inst *opencon.Instance) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	pc, err := inst.PollerConfiguration()
	if err != nil {
		diags.AddWarning("Unreadable poller configuration", err.Error())
	}
	list, d := types.ListValueFrom(ctx, pollingResourceObjectType, pollingResourceModels(pc))
	diags.Append(d...)
	return list, diags
}

// publicConfiguration is the instance's configuration without what must not
// be shown in clear: null values, values the platform masks, keys that are
// secret by name (opencon.IsSecretKey) and keys in passwordKeys (the
// element's PASSWORD-typed keys, which older tenants return unmasked).
func publicConfiguration(inst *opencon.Instance, passwordKeys map[string]bool) types.Map {
	out := map[string]attr.Value{}
	for k, v := range inst.Configuration {
		if v == nil || *v == opencon.MaskedValue || opencon.IsSecretKey(k) || passwordKeys[k] {
			continue
		}
		out[k] = types.StringValue(*v)
	}
	return types.MapValueMust(types.StringType, out)
}

// passwordKeys lists the configuration keys an element declares as PASSWORD.
func passwordKeys(entries []opencon.ElementConfigurationEntry) map[string]bool {
	out := map[string]bool{}
	for _, e := range entries {
		if strings.EqualFold(e.Type, "PASSWORD") {
			out[e.Key] = true
		}
	}
	return out
}

// sortInstancesByID orders instances by id, for stable output.
func sortInstancesByID(list []opencon.Instance) {
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
}
