package provider

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// instanceModel is the state and plan of opencon_instance.
type instanceModel struct {
	ID                                     types.String   `tfsdk:"id"`
	ElementKey                             types.String   `tfsdk:"element_key"`
	Name                                   types.String   `tfsdk:"name"`
	Tags                                   types.Set      `tfsdk:"tags"`
	AuthorizationCode                      types.String   `tfsdk:"authorization_code"`
	AuthorizationCodeWO                    types.String   `tfsdk:"authorization_code_wo"`
	AuthorizationCodeWOVersion             types.Int64    `tfsdk:"authorization_code_wo_version"`
	OAuthRefreshToken                      types.String   `tfsdk:"oauth_refresh_token"`
	OAuthRefreshTokenWO                    types.String   `tfsdk:"oauth_refresh_token_wo"`
	OAuthRefreshTokenWOVersion             types.Int64    `tfsdk:"oauth_refresh_token_wo_version"`
	OAuthAPIKey                            types.String   `tfsdk:"oauth_api_key"`
	OAuthAPISecret                         types.String   `tfsdk:"oauth_api_secret"`
	OAuthAPISecretWO                       types.String   `tfsdk:"oauth_api_secret_wo"`
	OAuthAPISecretWOVersion                types.Int64    `tfsdk:"oauth_api_secret_wo_version"`
	OAuthCallbackURL                       types.String   `tfsdk:"oauth_callback_url"`
	EventNotificationEnabled               types.Bool     `tfsdk:"event_notification_enabled"`
	EventNotificationCallbackURL           types.String   `tfsdk:"event_notification_callback_url"`
	EventNotificationSignatureKey          types.String   `tfsdk:"event_notification_signature_key"`
	EventNotificationSignatureKeyWO        types.String   `tfsdk:"event_notification_signature_key_wo"`
	EventNotificationSignatureKeyWOVersion types.Int64    `tfsdk:"event_notification_signature_key_wo_version"`
	EventPollerRefreshInterval             types.Int64    `tfsdk:"event_poller_refresh_interval"`
	PollingResources                       types.Set      `tfsdk:"polling_resource"`
	Configuration                          types.Map      `tfsdk:"configuration"`
	SensitiveConfiguration                 types.Map      `tfsdk:"sensitive_configuration"`
	Enabled                                types.Bool     `tfsdk:"enabled"`
	Token                                  types.String   `tfsdk:"token"`
	Valid                                  types.Bool     `tfsdk:"valid"`
	CreatedDate                            types.String   `tfsdk:"created_date"`
	ElementID                              types.Int64    `tfsdk:"element_id"`
	ExternalAuthentication                 types.String   `tfsdk:"external_authentication"`
	Timeouts                               timeouts.Value `tfsdk:"timeouts"`
}

// typedKeys maps each configuration key a typed argument owns to that argument,
// so that `configuration` can name the argument to use instead.
var typedKeys = map[string]string{
	opencon.KeyOAuthAPIKey:                   "oauth_api_key",
	opencon.KeyOAuthAPISecret:                "oauth_api_secret",
	opencon.KeyOAuthCallbackURL:              "oauth_callback_url",
	opencon.KeyOAuthUserRefreshToken:         "oauth_refresh_token",
	opencon.KeyEventNotificationEnabled:      "event_notification_enabled",
	opencon.KeyEventNotificationCallbackURL:  "event_notification_callback_url",
	opencon.KeyEventNotificationSignatureKey: "event_notification_signature_key",
	opencon.KeyEventPollerRefreshInterval:    "event_poller_refresh_interval",
	opencon.KeyEventPollerConfiguration:      "polling_resource",
}

// platformManagedKeyPrefixes start the keys the platform sets itself; import never adopts them.
var platformManagedKeyPrefixes = []string{"oauth.user.", "event.notification.subscription.", "authentication.time"}

// writeOnlyInputs are the values read from the configuration only (never from
// plan or state), because they belong to write-only attributes.
type writeOnlyInputs struct {
	AuthorizationCode             string
	OAuthRefreshToken             string
	OAuthAPISecret                string
	EventNotificationSignatureKey string
}

// secret returns the write-only value when it is set, else the plain attribute.
func secret(plain types.String, writeOnly string) (string, bool) {
	if writeOnly != "" {
		return writeOnly, true
	}
	if plain.IsNull() || plain.IsUnknown() {
		return "", false
	}
	return plain.ValueString(), true
}

// pollingResources decodes the polling_resource blocks.
func (m *instanceModel) pollingResources(ctx context.Context) ([]pollingResourceModel, diag.Diagnostics) {
	var out []pollingResourceModel
	if m.PollingResources.IsNull() || m.PollingResources.IsUnknown() {
		return nil, nil
	}
	diags := m.PollingResources.ElementsAs(ctx, &out, false)
	return out, diags
}

func stringMap(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return map[string]string{}, nil
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	return out, diags
}

// desiredConfiguration is every configuration key the plan manages, in the
// form the API accepts. wo carries the write-only values from the config.
func (m *instanceModel) desiredConfiguration(ctx context.Context, wo writeOnlyInputs) (map[string]any, diag.Diagnostics) {
	var diags diag.Diagnostics
	out := map[string]any{}
	setString := func(key string, v types.String) {
		if !v.IsNull() && !v.IsUnknown() {
			out[key] = v.ValueString()
		}
	}
	setString(opencon.KeyOAuthAPIKey, m.OAuthAPIKey)
	if v, ok := secret(m.OAuthAPISecret, wo.OAuthAPISecret); ok {
		out[opencon.KeyOAuthAPISecret] = v
	}
	setString(opencon.KeyOAuthCallbackURL, m.OAuthCallbackURL)
	if v, ok := secret(m.OAuthRefreshToken, wo.OAuthRefreshToken); ok {
		out[opencon.KeyOAuthUserRefreshToken] = v
	}
	if !m.EventNotificationEnabled.IsNull() && !m.EventNotificationEnabled.IsUnknown() {
		out[opencon.KeyEventNotificationEnabled] = m.EventNotificationEnabled.ValueBool()
	}
	setString(opencon.KeyEventNotificationCallbackURL, m.EventNotificationCallbackURL)
	if v, ok := secret(m.EventNotificationSignatureKey, wo.EventNotificationSignatureKey); ok {
		out[opencon.KeyEventNotificationSignatureKey] = v
	}
	if !m.EventPollerRefreshInterval.IsNull() && !m.EventPollerRefreshInterval.IsUnknown() {
		out[opencon.KeyEventPollerRefreshInterval] = strconv.FormatInt(m.EventPollerRefreshInterval.ValueInt64(), 10)
	}
	polling, d := m.pollingResources(ctx)
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
			out[opencon.KeyEventPollerConfiguration] = pollerConfiguration{}
		}
	}
	return out
}

func sameConfigValue(a, b any) bool {
	if pa, ok := a.(pollerConfiguration); ok {
		pb, ok := b.(pollerConfiguration)
		return ok && pa.sameMeaning(pb)
	}
	return a == b
}

// sanitizeName does what the platform does to names: strip HTML tags.
func sanitizeName(name string) string { return opencon.SanitizeName(name) }

// readInto fills the model from the server's instance. prior is what the user
// manages (plan or prior state): secrets the API masks are kept from it, and
// values that mean the same as the server's keep their prior form.
// adoptConfiguration, on import, takes non-default configuration keys into
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
	if prior != nil {
		m.AuthorizationCode = prior.AuthorizationCode
		m.AuthorizationCodeWOVersion = prior.AuthorizationCodeWOVersion
		m.OAuthRefreshToken = prior.OAuthRefreshToken
		m.OAuthRefreshTokenWOVersion = prior.OAuthRefreshTokenWOVersion
		m.OAuthAPISecretWOVersion = prior.OAuthAPISecretWOVersion
		m.EventNotificationSignatureKeyWOVersion = prior.EventNotificationSignatureKeyWOVersion
	}
	m.AuthorizationCodeWO = types.StringNull()
	m.OAuthRefreshTokenWO = types.StringNull()
	m.OAuthAPISecretWO = types.StringNull()
	m.EventNotificationSignatureKeyWO = types.StringNull()

	m.OAuthAPIKey = readSecretOrClear(inst, opencon.KeyOAuthAPIKey, priorString(prior, func(p *instanceModel) types.String { return p.OAuthAPIKey }))
	m.OAuthAPISecret = readSecretOrClear(inst, opencon.KeyOAuthAPISecret, priorString(prior, func(p *instanceModel) types.String { return p.OAuthAPISecret }))
	m.EventNotificationSignatureKey = readSecretOrClear(inst, opencon.KeyEventNotificationSignatureKey, priorString(prior, func(p *instanceModel) types.String { return p.EventNotificationSignatureKey }))
	m.OAuthCallbackURL = optionalString(inst, opencon.KeyOAuthCallbackURL)
	var d diag.Diagnostics
	m.EventNotificationEnabled, m.EventNotificationCallbackURL, m.EventPollerRefreshInterval, d = instanceEventSettings(inst)
	diags.Append(d...)

	diags.Append(m.readPolling(ctx, inst, prior)...)
	diags.Append(m.readConfiguration(ctx, inst, prior, elementDefaults)...)
	return diags
}

func elementID(inst *opencon.Instance) int64 {
	if inst.Element.ID != 0 {
		return inst.Element.ID
	}
	return inst.ElementID
}

func priorString(prior *instanceModel, get func(*instanceModel) types.String) types.String {
	if prior == nil {
		return types.StringNull()
	}
	return get(prior)
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
	server := pollerConfiguration{}
	if raw, ok := inst.ConfigValue(opencon.KeyEventPollerConfiguration); ok && strings.TrimSpace(raw) != "" {
		pc, err := parsePollerConfiguration(raw)
		if err != nil {
			diags.AddWarning("Unreadable poller configuration", err.Error())
			if prior != nil {
				m.PollingResources = prior.PollingResources
			}
			return diags
		}
		server = pc
	}
	if prior != nil && !prior.PollingResources.IsNull() && !prior.PollingResources.IsUnknown() {
		priorModels, d := prior.pollingResources(ctx)
		diags.Append(d...)
		if pollerConfigurationFromModels(priorModels).sameMeaning(server) {
			m.PollingResources = prior.PollingResources
			return diags
		}
	}
	v, d := types.SetValueFrom(ctx, pollingResourceObjectType, server.models())
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
