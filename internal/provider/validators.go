package provider

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// maxPlatformInt is the largest integer the platform accepts in an integer
// setting: a Java int.
const maxPlatformInt = math.MaxInt32

// wholeNumberValidator accepts whole numbers from min to max. The integer
// arguments are number attributes with this validator, so that a value such
// as 1.5 gets this clear diagnostic on its path (see int64Of).
type wholeNumberValidator struct{ min, max int64 }

func wholeNumber(min, max int64) validator.Number { return wholeNumberValidator{min: min, max: max} }

func (v wholeNumberValidator) Description(context.Context) string {
	if v.min == math.MinInt64 && v.max == math.MaxInt64 {
		return "must be a whole number"
	}
	return fmt.Sprintf("must be a whole number from %d to %d", v.min, v.max)
}
func (v wholeNumberValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v wholeNumberValidator) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	f := req.ConfigValue.ValueBigFloat()
	if f.IsInt() && f.Cmp(new(big.Float).SetInt64(v.min)) >= 0 && f.Cmp(new(big.Float).SetInt64(v.max)) <= 0 {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid whole number",
		fmt.Sprintf("%s %s, not %s.", attributeName(req.Path), v.Description(ctx), numberText(f)))
}

// numberText is f as written in a configuration: whole numbers in full
// up to 64 bits, others in the shortest form.
func numberText(f *big.Float) string {
	if f.IsInt() && f.MantExp(nil) <= 64 {
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}

// attributeName is the name of the attribute at p, without the blocks
// around it, for messages: Terraform shows where it is.
func attributeName(p path.Path) string {
	steps := p.Steps()
	for i := len(steps) - 1; i >= 0; i-- {
		if name, ok := steps[i].(path.PathStepAttributeName); ok {
			return string(name)
		}
	}
	return p.String()
}

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
	for _, key := range slices.Sorted(maps.Keys(req.ConfigValue.Elements())) {
		at := req.Path.AtMapKey(key)
		if strings.TrimSpace(key) == "" {
			resp.Diagnostics.AddAttributeError(at, "Empty configuration key", "Configuration keys must not be empty.")
			continue
		}
		if strings.TrimSpace(key) != key {
			resp.Diagnostics.AddAttributeError(at, "Configuration key with surrounding spaces",
				fmt.Sprintf("%q has spaces around it, so it names no key of the element; write %q.", key, strings.TrimSpace(key)))
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

// distinctConfigurationKeys refuses a key set in both configuration and
// sensitive_configuration: the two values would fight over one key. The
// error is on the key in configuration, whose source Terraform may show,
// and never names the sensitive value.
type distinctConfigurationKeys struct{}

func (distinctConfigurationKeys) Description(context.Context) string {
	return "a key must not be in both configuration and sensitive_configuration"
}
func (v distinctConfigurationKeys) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v distinctConfigurationKeys) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var plain, sensitive types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("configuration"), &plain)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("sensitive_configuration"), &sensitive)...)
	if plain.IsNull() || plain.IsUnknown() || sensitive.IsNull() || sensitive.IsUnknown() {
		return
	}
	secret := sensitive.Elements()
	for _, key := range slices.Sorted(maps.Keys(plain.Elements())) {
		if _, ok := secret[key]; ok {
			resp.Diagnostics.AddAttributeError(path.Root("configuration").AtMapKey(key), "Configuration key set twice",
				fmt.Sprintf("%q is set in both configuration and sensitive_configuration; keep it in one of them (sensitive_configuration if it is a secret).", key))
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

// nameKeptByPlatform refuses a name the platform would strip to nothing
// (it removes HTML tags and surrounding spaces), such as "   " or "<b></b>".
type nameKeptByPlatform struct{}

func (nameKeptByPlatform) Description(context.Context) string {
	return "must keep some text once HTML tags and surrounding spaces are stripped"
}
func (v nameKeptByPlatform) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v nameKeptByPlatform) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if raw := req.ConfigValue.ValueString(); sanitizeName(raw) == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Empty name",
			fmt.Sprintf("The platform strips HTML tags and surrounding spaces from names, which leaves nothing of %q.", raw))
	}
}

// unpadded refuses values with surrounding spaces, such as element keys,
// which the platform takes as they are and then knows no element by.
type unpadded struct{}

func (unpadded) Description(context.Context) string {
	return "must not be empty or start or end with spaces"
}
func (v unpadded) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v unpadded) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if raw := req.ConfigValue.ValueString(); raw == "" || strings.TrimSpace(raw) != raw {
		resp.Diagnostics.AddAttributeError(req.Path, "Empty or padded value",
			fmt.Sprintf("%q %s; write %q.", raw, v.Description(ctx), strings.TrimSpace(raw)))
	}
}

// notBlank refuses values that are empty or only white space.
func notBlank() validator.String {
	return stringvalidator.RegexMatches(regexp.MustCompile(`\S`), "must contain a character other than white space")
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
