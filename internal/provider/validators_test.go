package provider

import (
	"context"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// expectDiagnostics checks that diags hold an error (or, with warning, only
// a warning) whose text contains want, or nothing at all when want is "".
func expectDiagnostics(t *testing.T, what string, diags diag.Diagnostics, want string, warning bool) {
	t.Helper()
	text := diagnosticsText(diags)
	switch {
	case want == "" && len(diags) > 0:
		t.Errorf("%s: unexpected diagnostics:\n%s", what, text)
	case want != "" && !strings.Contains(text, want):
		t.Errorf("%s: want a diagnostic containing %q, got:\n%s", what, want, text)
	case want != "" && warning && diags.HasError():
		t.Errorf("%s: want a warning only, got:\n%s", what, text)
	case want != "" && !warning && !diags.HasError():
		t.Errorf("%s: want an error, got:\n%s", what, text)
	}
}

func TestStringValidators(t *testing.T) {
	t.Parallel()
	cases := []struct {
		validator validator.String
		value     types.String
		err       string // "" when accepted
	}{
		{durationValidator{}, types.StringValue("30s"), ""},
		{durationValidator{}, types.StringValue("2m"), ""},
		{durationValidator{}, types.StringValue("0s"), "Invalid duration"},
		{durationValidator{}, types.StringValue("-1s"), "Invalid duration"},
		{durationValidator{}, types.StringValue("30"), `"30" must be a Go duration above zero`},
		{durationValidator{}, types.StringUnknown(), ""},

		{httpURL(), types.StringValue("https://example.com/events"), ""},
		{httpURL(), types.StringValue("http://127.0.0.1:1/events"), ""},
		{httpURL(), types.StringValue("ftp://example.com/x"), "must be an absolute http:// or https:// URL"},
		{httpURL(), types.StringValue("https:///no-host"), "Invalid URL"},
		{httpURL(), types.StringValue("/relative"), "Invalid URL"},
		{httpURL(), types.StringNull(), ""},

		{sanitizedByPlatform{}, types.StringValue("prod"), ""},
		{sanitizedByPlatform{}, types.StringValue("<b>prod</b>"), `would be stored as "prod"`},
		{sanitizedByPlatform{}, types.StringValue(" prod"), "Tag rewritten by the platform"},
		{sanitizedByPlatform{}, types.StringValue("<i></i>"), "Empty tag"},
		{sanitizedByPlatform{}, types.StringUnknown(), ""},

		{instanceIDValidator{}, types.StringValue("12345"), ""},
		{instanceIDValidator{}, types.StringValue("abc"), "instance ids are positive whole numbers"},
		{instanceIDValidator{}, types.StringValue("0"), "Invalid instance id"},
		{instanceIDValidator{}, types.StringNull(), ""},

		{nameKeptByPlatform{}, types.StringValue("<b>API</b> Instance"), ""},
		{nameKeptByPlatform{}, types.StringValue("   "), `leaves nothing of "   "`},
		{nameKeptByPlatform{}, types.StringValue("<b></b>"), "Empty name"},
		{nameKeptByPlatform{}, types.StringUnknown(), ""},

		{unpadded{}, types.StringValue("gmail"), ""},
		{unpadded{}, types.StringValue(" gmail"), `write "gmail"`},
		{unpadded{}, types.StringValue("gmail\t"), "Empty or padded value"},
		{unpadded{}, types.StringValue(""), "must not be empty"},
		{unpadded{}, types.StringNull(), ""},

		{notBlank(), types.StringValue("/hubs/general/messages"), ""},
		{notBlank(), types.StringValue(" \t "), "must contain a character other than white space"},
	}
	for _, c := range cases {
		var resp validator.StringResponse
		c.validator.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: c.value}, &resp)
		expectDiagnostics(t, c.validator.Description(context.Background())+" given "+c.value.String(), resp.Diagnostics, c.err, false)
		for _, d := range resp.Diagnostics {
			if dp, ok := d.(diag.DiagnosticWithPath); !ok || !dp.Path().Equal(path.Root("x")) {
				t.Errorf("%s: a diagnostic without the attribute's path: %v", c.value, d)
			}
		}
	}
}

func TestConfigurationKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		at      string
		keys    map[string]string
		want    string
		warning bool
	}{
		{"element keys are accepted", "configuration", map[string]string{"filter.response.nulls": "false", "netsuite.accountId": "A"}, "", false},
		{"a key a typed argument owns names the argument", "configuration", map[string]string{opencon.KeyEventPollerRefreshInterval: "5"}, `is set through the "event_poller_refresh_interval" argument`, false},
		{"the poller configuration is polling_resource's", "sensitive_configuration", map[string]string{opencon.KeyEventPollerConfiguration: "{}"}, `"polling_resource" argument`, false},
		{"an empty key", "configuration", map[string]string{" ": "x"}, "Empty configuration key", false},
		{"a key with surrounding spaces", "configuration", map[string]string{"filter.response.nulls ": "x"}, `write "filter.response.nulls"`, false},
		{"a secret-looking key in configuration warns", "configuration", map[string]string{"user.password": "x"}, "put it in sensitive_configuration", true},
		{"a secret key in sensitive_configuration is its place", "sensitive_configuration", map[string]string{"user.password": "x"}, "", false},
	}
	for _, c := range cases {
		var resp validator.MapResponse
		configurationKeys{}.ValidateMap(context.Background(), validator.MapRequest{Path: path.Root(c.at), ConfigValue: stringMapValue(c.keys)}, &resp)
		expectDiagnostics(t, c.name, resp.Diagnostics, c.want, c.warning)
	}
}

func TestEventsNeedCallback(t *testing.T) {
	t.Parallel()
	enabled := func(v any) tftypes.Value { return tftypes.NewValue(tftypes.Bool, v) }
	callback := func(v any) tftypes.Value { return tftypes.NewValue(tftypes.String, v) }
	cases := []struct {
		name  string
		attrs map[string]tftypes.Value
		want  string
	}{
		{"events on with a callback", map[string]tftypes.Value{"event_notification_enabled": enabled(true), "event_notification_callback_url": callback("https://x/events")}, ""},
		{"events on without a callback", map[string]tftypes.Value{"event_notification_enabled": enabled(true)}, "Missing event callback URL"},
		{"events off without a callback", map[string]tftypes.Value{"event_notification_enabled": enabled(false)}, ""},
		{"events left to the default", map[string]tftypes.Value{}, ""},
		{"a callback not yet known", map[string]tftypes.Value{"event_notification_enabled": enabled(true), "event_notification_callback_url": callback(tftypes.UnknownValue)}, ""},
		{"events not yet known", map[string]tftypes.Value{"event_notification_enabled": enabled(tftypes.UnknownValue)}, ""},
	}
	for _, c := range cases {
		var resp resource.ValidateConfigResponse
		eventsNeedCallback{}.ValidateResource(context.Background(), resource.ValidateConfigRequest{Config: resourceConfig(t, c.attrs)}, &resp)
		expectDiagnostics(t, c.name, resp.Diagnostics, c.want, false)
	}
}

func TestWholeNumber(t *testing.T) {
	t.Parallel()
	number := func(s string) types.Number {
		f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		return types.NumberValue(f)
	}
	at := path.Root("polling_resource").AtSetValue(types.StringValue("x")).AtName("page_size")
	cases := []struct {
		validator validator.Number
		value     types.Number
		err       string
	}{
		{wholeNumber(1, maxPlatformInt), number("15"), ""},
		{wholeNumber(1, maxPlatformInt), number("2147483647"), ""},
		{wholeNumber(1, maxPlatformInt), number("2147483648"), "page_size must be a whole number from 1 to 2147483647, not 2147483648."},
		{wholeNumber(1, maxPlatformInt), number("0"), "not 0."},
		{wholeNumber(1, maxPlatformInt), number("1.5"), "not 1.5."},
		{wholeNumber(1, maxPlatformInt), number("1e400"), "not 1e+400."},
		{wholeNumber(math.MinInt64, math.MaxInt64), number("-3"), ""},
		{wholeNumber(math.MinInt64, math.MaxInt64), number("0.25"), "page_size must be a whole number, not 0.25."},
		{wholeNumber(1, maxPlatformInt), types.NumberNull(), ""},
		{wholeNumber(1, maxPlatformInt), types.NumberUnknown(), ""},
	}
	for _, c := range cases {
		var resp validator.NumberResponse
		c.validator.ValidateNumber(context.Background(), validator.NumberRequest{Path: at, ConfigValue: c.value}, &resp)
		expectDiagnostics(t, c.validator.Description(context.Background())+" given "+c.value.String(), resp.Diagnostics, c.err, false)
	}
	if got := int64Of(number("2147483647")); got != 2147483647 {
		t.Errorf("int64Of = %d", got)
	}
	if p := int64PointerOf(types.NumberNull()); p != nil {
		t.Errorf("int64PointerOf(null) = %d", *p)
	}
}

// TestDistinctConfigurationKeys: a key in both maps is refused on its
// path in configuration, and the sensitive value appears nowhere.
func TestDistinctConfigurationKeys(t *testing.T) {
	t.Parallel()
	strMap := func(kv map[string]string) tftypes.Value {
		values := map[string]tftypes.Value{}
		for k, v := range kv {
			values[k] = tftypes.NewValue(tftypes.String, v)
		}
		return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, values)
	}
	var resp resource.ValidateConfigResponse
	distinctConfigurationKeys{}.ValidateResource(context.Background(), resource.ValidateConfigRequest{Config: resourceConfig(t, map[string]tftypes.Value{
		"configuration":           strMap(map[string]string{"a": "1", "shared": "plain"}),
		"sensitive_configuration": strMap(map[string]string{"shared": "s3cret-value", "b": "2"}),
	})}, &resp)
	expectDiagnostics(t, "one key in both maps", resp.Diagnostics, `"shared" is set in both configuration and sensitive_configuration`, false)
	if strings.Contains(diagnosticsText(resp.Diagnostics), "s3cret-value") {
		t.Errorf("the diagnostic shows the sensitive value: %s", diagnosticsText(resp.Diagnostics))
	}
	if len(resp.Diagnostics) != 1 {
		t.Fatalf("want one diagnostic, got %v", resp.Diagnostics)
	}
	if d, ok := resp.Diagnostics[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(path.Root("configuration").AtMapKey("shared")) {
		t.Errorf("diagnostic not on configuration[\"shared\"]: %v", resp.Diagnostics[0])
	}
}
