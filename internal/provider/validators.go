package provider

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// durationValidator accepts Go durations such as "30s" that are above zero.
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "must be a Go duration above zero, such as 30s or 2m"
}
func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

// httpURLValidator accepts absolute http and https URLs.
type httpURLValidator struct{}

func httpURL() validator.String { return httpURLValidator{} }

func (httpURLValidator) Description(context.Context) string {
	return "must be an absolute http:// or https:// URL"
}
func (v httpURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v httpURLValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	u, err := url.Parse(req.ConfigValue.ValueString())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%q %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

// configurationKeys refuses keys that a typed argument owns, naming that
// argument, and warns about secret-looking keys in the non-sensitive map.
type configurationKeys struct{}

func (configurationKeys) Description(context.Context) string {
	return "keys must not be owned by a typed argument"
}
func (v configurationKeys) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v configurationKeys) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	sensitive := req.Path.Equal(path.Root("sensitive_configuration"))
	for _, key := range sortedKeys(req.ConfigValue.Elements()) {
		at := req.Path.AtMapKey(key)
		if strings.TrimSpace(key) == "" {
			resp.Diagnostics.AddAttributeError(at, "Empty configuration key", "Configuration keys must not be empty.")
			continue
		}
		if arg, ok := typedKeys[key]; ok {
			resp.Diagnostics.AddAttributeError(at, "Configuration key owned by an argument",
				fmt.Sprintf("%q is set through the %q argument; use that instead of this map.", key, arg))
			continue
		}
		if !sensitive && opencon.IsSecretKey(key) {
			resp.Diagnostics.AddAttributeWarning(at, "Secret-looking key in configuration",
				fmt.Sprintf("%q looks like a secret; put it in sensitive_configuration so that it is hidden in plan output.", key))
		}
	}
}

// eventsNeedCallback refuses events without a place to send them.
type eventsNeedCallback struct{}

func (eventsNeedCallback) Description(context.Context) string {
	return "event_notification_enabled = true needs event_notification_callback_url"
}
func (v eventsNeedCallback) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v eventsNeedCallback) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var enabled types.Bool
	var callback types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("event_notification_enabled"), &enabled)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("event_notification_callback_url"), &callback)...)
	if enabled.IsUnknown() || !enabled.ValueBool() || callback.IsUnknown() || !callback.IsNull() {
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root("event_notification_enabled"), "Missing event callback URL",
		"event_notification_enabled is true, so the platform needs event_notification_callback_url to know where to send events.")
}

// sanitizedByPlatform refuses values the platform would rewrite (it strips
// HTML tags and surrounding spaces from tags), which would otherwise come
// back different from the configuration after every apply.
type sanitizedByPlatform struct{}

func (sanitizedByPlatform) Description(context.Context) string {
	return "must not be empty or hold HTML tags or surrounding spaces, which the platform strips"
}
func (v sanitizedByPlatform) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v sanitizedByPlatform) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	switch clean := sanitizeName(raw); {
	case clean == "":
		resp.Diagnostics.AddAttributeError(req.Path, "Empty tag", fmt.Sprintf("The platform would drop the tag %q; remove it.", raw))
	case clean != raw:
		resp.Diagnostics.AddAttributeError(req.Path, "Tag rewritten by the platform",
			fmt.Sprintf("The platform strips HTML tags and surrounding spaces, so %q would be stored as %q; write %q.", raw, clean, clean))
	}
}

// instanceIDValidator checks that an instance id is a positive whole number.
type instanceIDValidator struct{}

func (instanceIDValidator) Description(context.Context) string {
	return "must be a positive whole number such as 12345"
}

func (v instanceIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v instanceIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseInstanceID(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid instance id", err.Error())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
