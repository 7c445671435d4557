package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// opencon.Instance → framework values, shared by the resource and the data
// sources: how an instance the platform returns becomes state.

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
func instanceEventSettings(inst *opencon.Instance) (enabled types.Bool, callback types.String, interval types.Number, diags diag.Diagnostics) {
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
	interval = types.NumberNull()
	if v, ok := inst.ConfigValue(opencon.KeyEventPollerRefreshInterval); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			diags.AddWarning("Unexpected event.poller.refresh_interval",
				"The API returned "+strconv.Quote(v)+", which is not a whole number of minutes.")
		} else {
			interval = numberOf(n)
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

// readInto fills the model from the server's instance. prior is what the user
// manages (plan or prior state): secrets the API masks are kept from it, and
// values that mean the same as the server's keep their prior form.
// elementDefaults, on import, lets non-default configuration keys be taken into
// `configuration` since there is no prior state to say which ones are managed.
func (m *instanceModel) readInto(ctx context.Context, inst *opencon.Instance, prior *instanceModel, elementDefaults map[string]*string) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(strconv.FormatInt(inst.ID, 10))
	m.ElementKey = types.StringValue(inst.Element.Key)
	if prior != nil && !prior.Name.IsNull() && sanitizeName(prior.Name.ValueString()) == inst.Name {
		m.Name = prior.Name
	} else {
		m.Name = types.StringValue(inst.Name)
	}
	m.Tags = stringSet(inst.Tags)
	m.Enabled = types.BoolValue(!inst.Disabled)
	m.Token = types.StringValue(inst.Token)
	m.Valid = types.BoolValue(inst.Valid)
	m.CreatedDate = types.StringValue(inst.CreatedDate)
	m.ElementID = types.Int64Value(elementID(inst))
	m.ExternalAuthentication = types.StringValue(inst.ExternalAuthentication)

	// Values never returned in clear: keep what the user gave.
	for _, a := range writeOnlyArgs {
		plain, writeOnly, version := a.fields(m)
		*writeOnly = types.StringNull()
		*plain, *version = types.StringNull(), types.NumberNull()
		if prior != nil {
			priorPlain, _, priorVersion := a.fields(prior)
			*plain, *version = *priorPlain, *priorVersion
		}
		if a.readBack {
			*plain = readSecretOrClear(inst, a.key, *plain)
		}
	}
	priorAPIKey := types.StringNull()
	if prior != nil {
		priorAPIKey = prior.OAuthAPIKey
	}
	m.OAuthAPIKey = readSecretOrClear(inst, opencon.KeyOAuthAPIKey, priorAPIKey)
	m.OAuthCallbackURL = optionalString(inst, opencon.KeyOAuthCallbackURL)
	var d diag.Diagnostics
	m.EventNotificationEnabled, m.EventNotificationCallbackURL, m.EventPollerRefreshInterval, d = instanceEventSettings(inst)
	diags.Append(d...)

	diags.Append(m.readPolling(ctx, inst, prior)...)
	diags.Append(m.readConfiguration(ctx, inst, prior, elementDefaults)...)
	return diags
}

// readImported fills the model as the first read after an import does, when
// nothing says which keys are managed: the opencon_instance list resource
// returns exactly this, so that the configuration `terraform query` generates
// from it plans empty once imported.
func (m *instanceModel) readImported(ctx context.Context, inst *opencon.Instance, elementDefaults map[string]*string) diag.Diagnostics {
	return m.readInto(ctx, inst, nil, elementDefaults)
}

// elementDefaults reads an element's configuration defaults so that import
// does not adopt them as managed keys; a failure is a warning and nil.
func elementDefaults(ctx context.Context, client *opencon.Client, elementKey string, diags *diag.Diagnostics) map[string]*string {
	entries, err := client.ListElementConfiguration(ctx, elementKey)
	if err != nil {
		diags.AddWarning("Element defaults unavailable",
			fmt.Sprintf("Reading the configuration of element %q failed (%s), so every non-secret configuration key is adopted into `configuration`.", elementKey, err))
		return nil
	}
	out := make(map[string]*string, len(entries))
	for _, e := range entries {
		out[e.Key] = e.DefaultValue
	}
	return out
}

func elementID(inst *opencon.Instance) int64 {
	if inst.Element.ID != 0 {
		return inst.Element.ID
	}
	return inst.ElementID
}

// readSecretOrClear keeps the prior value of a key the API masks, takes a
// value the API returns in clear (older tenants do), and notices a key that
// was removed on the server.
func readSecretOrClear(inst *opencon.Instance, key string, prior types.String) types.String {
	v, ok := inst.ConfigValue(key)
	switch {
	case !ok:
		if prior.IsNull() {
			return prior
		}
		return types.StringNull()
	case v == opencon.MaskedValue:
		return prior
	default:
		return types.StringValue(v)
	}
}

func optionalString(inst *opencon.Instance, key string) types.String {
	if v, ok := inst.ConfigValue(key); ok && v != "" {
		return types.StringValue(v)
	}
	return types.StringNull()
}

func (m *instanceModel) readPolling(ctx context.Context, inst *opencon.Instance, prior *instanceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	server, err := inst.PollerConfiguration()
	if err != nil {
		diags.AddWarning("Unreadable poller configuration", err.Error())
		if prior != nil {
			m.PollingResources = prior.PollingResources
		}
		return diags
	}
	if prior != nil && !prior.PollingResources.IsNull() && !prior.PollingResources.IsUnknown() {
		priorModels, d := pollingBlocks(ctx, prior.PollingResources)
		diags.Append(d...)
		if pollerConfigurationFromModels(priorModels).SameMeaning(server) {
			m.PollingResources = prior.PollingResources
			return diags
		}
	}
	v, d := types.SetValueFrom(ctx, pollingResourceObjectType, pollingResourceModels(server))
	diags.Append(d...)
	m.PollingResources = v
	return diags
}

func (m *instanceModel) readConfiguration(ctx context.Context, inst *opencon.Instance, prior *instanceModel, elementDefaults map[string]*string) diag.Diagnostics {
	var diags diag.Diagnostics
	if prior == nil {
		// Import: adopt what the user most likely set, i.e. values that are
		// not typed, not secret, not the element's default, not platform-set.
		adopted := map[string]attr.Value{}
		for k, v := range inst.Configuration {
			if v == nil || *v == opencon.MaskedValue || typedKeys[k] != "" || isPlatformManaged(k) {
				continue
			}
			if def, ok := elementDefaults[k]; ok && def != nil && *def == *v {
				continue
			}
			if _, ok := elementDefaults[k]; ok && (elementDefaults[k] == nil) && *v == "" {
				continue
			}
			adopted[k] = types.StringValue(*v)
		}
		if len(adopted) == 0 {
			m.Configuration = types.MapNull(types.StringType)
		} else {
			m.Configuration = types.MapValueMust(types.StringType, adopted)
		}
		m.SensitiveConfiguration = types.MapNull(types.StringType)
		return diags
	}

	readMap := func(priorMap types.Map) types.Map {
		if priorMap.IsNull() || priorMap.IsUnknown() {
			return priorMap
		}
		kv, d := stringMap(ctx, priorMap)
		diags.Append(d...)
		out := map[string]attr.Value{}
		for k, pv := range kv {
			v, ok := inst.ConfigValue(k)
			switch {
			case !ok:
				continue // removed on the server: drift the plan will show
			case v == opencon.MaskedValue:
				out[k] = types.StringValue(pv)
			default:
				out[k] = types.StringValue(v)
			}
		}
		return types.MapValueMust(types.StringType, out)
	}
	m.Configuration = readMap(prior.Configuration)
	m.SensitiveConfiguration = readMap(prior.SensitiveConfiguration)
	return diags
}

func isPlatformManaged(key string) bool {
	for _, p := range platformManagedKeyPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// platformManagedKeyPrefixes start the keys the platform sets itself; import never adopts them.
var platformManagedKeyPrefixes = []string{"oauth.user.", "event.notification.subscription.", "authentication.time"}

// listInstances lists the instances opts selects, sorted by id, and keeps
// those keep accepts by what every list item carries. A kept item for which
// needsFull is true (the platform may answer abridged items, see isAbridged)
// is read in full with GET /instances/{id}; one deleted since the list was
// read is left out. needsFull may be nil.
func listInstances(ctx context.Context, client *opencon.Client, opts opencon.ListInstancesOptions, keep, needsFull func(*opencon.Instance) bool) ([]opencon.Instance, error) {
	list, err := client.ListInstances(ctx, opts)
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	out := make([]opencon.Instance, 0, len(list))
	for _, it := range list {
		if !keep(&it) {
			continue
		}
		if needsFull != nil && needsFull(&it) {
			full, err := client.GetInstance(ctx, it.ID)
			if errors.Is(err, opencon.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("instance %d came back abridged in the list, and reading it failed: %w", it.ID, err)
			}
			it = *full
		}
		out = append(out, it)
	}
	return out, nil
}

// isAbridged tells list items that lack fields the summary needs: the
// documented list example leaves out `disabled` along with
// `provisionInteractions`, and some leave out the element.
func isAbridged(it *opencon.Instance) bool {
	return it.ProvisionInteractions == nil || it.Element.Key == ""
}
