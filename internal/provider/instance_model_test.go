package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Builders for the unit tests: models and configurations as the framework
// would hand them to the resource, without a CLI.

// documentedPlan is the plan of the documented Gmail polling example, with
// changes applied in order.
func documentedPlan(t *testing.T, changes ...func(*instanceModel)) *instanceModel {
	t.Helper()
	m := &instanceModel{
		ID:                           types.StringValue("42"),
		ElementKey:                   types.StringValue("gmail"),
		Name:                         types.StringValue("API Instance with Polling"),
		Tags:                         stringSet([]string{"Docs"}),
		AuthorizationCode:            types.StringValue("code-1"),
		OAuthAPIKey:                  types.StringValue(testGmailClientID),
		OAuthAPISecret:               types.StringValue(testGmailClientSecret),
		OAuthCallbackURL:             types.StringValue(testGmailRedirectURI),
		EventNotificationEnabled:     types.BoolValue(true),
		EventNotificationCallbackURL: types.StringValue(testEventCallbackURL),
		EventPollerRefreshInterval:   numberOf(15),
		PollingResources:             pollingSet(t, changedMessages()),
		Configuration:                types.MapNull(types.StringType),
		SensitiveConfiguration:       types.MapNull(types.StringType),
		Enabled:                      types.BoolValue(true),
	}
	for _, change := range changes {
		change(m)
	}
	return m
}

// changedMessages is the documented polling_resource block.
func changedMessages() pollingResourceModel {
	return pollingResourceModel{
		Name:    types.StringValue("changed-messages"),
		URL:     types.StringValue("/hubs/general/changed-messages"),
		IDField: types.StringValue("id"),
	}
}

func pollingSet(t *testing.T, blocks ...pollingResourceModel) types.Set {
	t.Helper()
	v, diags := types.SetValueFrom(context.Background(), pollingResourceObjectType, blocks)
	requireNoError(t, diags)
	return v
}

func stringMapValue(kv map[string]string) types.Map {
	v, _ := types.MapValueFrom(context.Background(), types.StringType, kv)
	return v
}

// resourceSchema is the opencon_instance schema.
func resourceSchema(t *testing.T) schema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	(&instanceResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	requireNoError(t, resp.Diagnostics)
	return resp.Schema
}

// resourceConfig is an opencon_instance configuration that sets attrs and
// leaves every other attribute and block null.
func resourceConfig(t *testing.T, attrs map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	s := resourceSchema(t)
	return tfsdk.Config{Schema: s, Raw: objectWith(t, s.Type().TerraformType(context.Background()), attrs)}
}

// objectWith is a value of the object type typ with attrs set and every
// other attribute null.
func objectWith(t *testing.T, typ tftypes.Type, attrs map[string]tftypes.Value) tftypes.Value {
	t.Helper()
	obj := typ.(tftypes.Object)
	values := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, at := range obj.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range attrs {
		if _, ok := obj.AttributeTypes[name]; !ok {
			t.Fatalf("the schema has no attribute %q", name)
		}
		values[name] = v
	}
	return tftypes.NewValue(obj, values)
}

func requireNoError(t *testing.T, diags diag.Diagnostics) {
	t.Helper()
	if diags.HasError() {
		t.Fatalf("unexpected error: %v", diags)
	}
}

// diagnosticsText is every summary and detail, for matching.
func diagnosticsText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Severity().String() + ": " + d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}

func TestParseInstanceID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id   string
		want int64
	}{
		{"12345", 12345},
		{" 7 ", 7},
		{"0", 0},
		{"-3", 0},
		{"abc", 0},
		{"12.5", 0},
		{"", 0},
	}
	for _, c := range cases {
		got, err := parseInstanceID(c.id)
		switch {
		case c.want > 0 && (err != nil || got != c.want):
			t.Errorf("parseInstanceID(%q) = %d, %v; want %d", c.id, got, err, c.want)
		case c.want == 0 && (err == nil || !strings.Contains(err.Error(), "positive whole numbers")):
			t.Errorf("parseInstanceID(%q) = %d, %v; want a refusal", c.id, got, err)
		}
	}
}

func TestSanitizeNameStripsWhatThePlatformStrips(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`<a href="x">churros-xss</a>`: "churros-xss",
		"<b>ERP</b> main":             "ERP main",
		"  padded  ":                  "padded",
		"plain":                       "plain",
		"<i></i>":                     "",
	}
	for in, want := range cases {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIntegerArgumentsKeepTheirStateForm: the integer arguments became
// number attributes (for the wholeNumber diagnostic), which Terraform sees
// as the same `number` type, so a state written before decodes unchanged.
// The state below is what the int64 attributes wrote.
func TestIntegerArgumentsKeepTheirStateForm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	block := schemas.ResourceSchemas["opencon_instance"].Block
	schemaTypes := map[string]tftypes.Type{}
	for _, a := range block.Attributes {
		schemaTypes[a.Name] = a.Type
	}
	for _, b := range block.BlockTypes {
		if b.TypeName == "polling_resource" {
			for _, a := range b.Block.Attributes {
				schemaTypes["polling_resource."+a.Name] = a.Type
			}
		}
	}
	for _, name := range []string{"event_poller_refresh_interval", "authorization_code_wo_version", "oauth_refresh_token_wo_version",
		"oauth_api_secret_wo_version", "event_notification_signature_key_wo_version",
		"polling_resource.page_size", "polling_resource.poll_delay", "polling_resource.created_check_tolerance"} {
		if !schemaTypes[name].Is(tftypes.Number) {
			t.Errorf("%s is %v in the schema, want number", name, schemaTypes[name])
		}
	}

	const written = `{"id":"42","element_key":"gmail","name":"n","event_poller_refresh_interval":15,"oauth_api_secret_wo_version":3,
"polling_resource":[{"name":"m","url":"/hubs/general/messages","id_field":null,"filter_by_updated_date":null,"page_size":50,"poll_delay":0,"created_check_tolerance":null,"dates":null}]}`
	resp, err := server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "opencon_instance", Version: 0, RawState: &tfprotov6.RawState{JSON: []byte(written)},
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("upgrade: %v %v", err, resp.Diagnostics)
	}
	value, err := resp.UpgradedState.Unmarshal(schemas.ResourceSchemas["opencon_instance"].ValueType())
	if err != nil {
		t.Fatal(err)
	}
	state := tfsdk.State{Schema: resourceSchema(t), Raw: value}
	var m instanceModel
	requireNoError(t, state.Get(ctx, &m))
	polling, diags := pollingBlocks(ctx, m.PollingResources)
	requireNoError(t, diags)
	if int64Of(m.EventPollerRefreshInterval) != 15 || int64Of(m.OAuthAPISecretWOVersion) != 3 || len(polling) != 1 || int64Of(polling[0].PageSize) != 50 {
		t.Errorf("decoded %v, %v, %v", m.EventPollerRefreshInterval, m.OAuthAPISecretWOVersion, polling)
	}
}
