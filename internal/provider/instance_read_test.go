package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// documentedInstance is the documented Gmail polling example as the
// platform returns it: secrets masked, values as strings, the poller
// configuration re-encoded, and keys of its own.
func documentedInstance(changes ...func(*opencon.Instance)) *opencon.Instance {
	value := func(s string) *string { return &s }
	inst := &opencon.Instance{
		ID: 42, Name: "API Instance with Polling", CreatedDate: "2026-11-28T09:00:00Z", Token: "instance-token",
		Element: opencon.Element{ID: 6409, Key: "gmail"}, Tags: []string{"Docs"}, Valid: true, ExternalAuthentication: "none",
		ProvisionInteractions: []any{},
		Configuration: map[string]*string{
			opencon.KeyOAuthAPIKey:                  value(opencon.MaskedValue),
			opencon.KeyOAuthAPISecret:               value(opencon.MaskedValue),
			opencon.KeyOAuthCallbackURL:             value(testGmailRedirectURI),
			opencon.KeyOAuthUserToken:               value(opencon.MaskedValue),
			opencon.KeyOAuthUserRefreshToken:        value(opencon.MaskedValue),
			opencon.KeyEventNotificationEnabled:     value("true"),
			opencon.KeyEventNotificationCallbackURL: value(testEventCallbackURL),
			opencon.KeyEventPollerRefreshInterval:   value("15"),
			opencon.KeyEventPollerConfiguration:     value(`{"changed-messages": {"idField": "id", "url": "/hubs/general/changed-messages"}}`),
			"base.url":                              value("https://www.googleapis.com/gmail/v1/users/me"),
			"filter.response.nulls":                 value("true"),
			"event.notification.subscription.id":    value("77"),
			"custom.unset":                          nil,
		},
	}
	for _, change := range changes {
		change(inst)
	}
	return inst
}

func setConfig(key string, v *string) func(*opencon.Instance) {
	return func(i *opencon.Instance) {
		if v == nil {
			delete(i.Configuration, key)
			return
		}
		i.Configuration[key] = v
	}
}

func ptr(s string) *string { return &s }

func TestReadInto(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		inst     *opencon.Instance
		prior    *instanceModel // nil: import
		defaults map[string]*string
		check    func(t *testing.T, got *instanceModel, diags diag.Diagnostics)
	}{
		{
			name:  "the documented instance reads back as its plan",
			inst:  documentedInstance(),
			prior: documentedPlan(t),
			check: func(t *testing.T, got *instanceModel, diags diag.Diagnostics) {
				want := documentedPlan(t, func(m *instanceModel) {
					m.Token = types.StringValue("instance-token")
					m.Valid = types.BoolValue(true)
					m.CreatedDate = types.StringValue("2026-11-28T09:00:00Z")
					m.ElementID = types.Int64Value(6409)
					m.ExternalAuthentication = types.StringValue("none")
				})
				expectSameModel(t, got, want)
				expectNoDiagnostics(t, diags)
			},
		},
		{
			name:  "a secret the platform returns in clear is taken, one it removed becomes null",
			inst:  documentedInstance(setConfig(opencon.KeyOAuthAPISecret, ptr("in-clear")), setConfig(opencon.KeyOAuthAPIKey, nil)),
			prior: documentedPlan(t),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "oauth_api_secret", got.OAuthAPISecret, types.StringValue("in-clear"))
				expectValue(t, "oauth_api_key", got.OAuthAPIKey, types.StringNull())
			},
		},
		{
			name: "codes, refresh tokens and versions come from prior, twins are never stored",
			inst: documentedInstance(setConfig(opencon.KeyEventNotificationSignatureKey, ptr(opencon.MaskedValue))),
			prior: documentedPlan(t, func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.AuthorizationCodeWO = types.StringValue("code-wo")
				m.AuthorizationCodeWOVersion = numberOf(2)
				m.OAuthRefreshToken = types.StringValue("1//refresh")
				m.OAuthAPISecretWOVersion = numberOf(3)
				m.EventNotificationSignatureKey = types.StringValue("sig")
				m.EventNotificationSignatureKeyWOVersion = numberOf(4)
			}),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "authorization_code", got.AuthorizationCode, types.StringNull())
				expectValue(t, "authorization_code_wo", got.AuthorizationCodeWO, types.StringNull())
				expectValue(t, "authorization_code_wo_version", got.AuthorizationCodeWOVersion, numberOf(2))
				expectValue(t, "oauth_refresh_token", got.OAuthRefreshToken, types.StringValue("1//refresh"))
				expectValue(t, "oauth_api_secret_wo_version", got.OAuthAPISecretWOVersion, numberOf(3))
				expectValue(t, "event_notification_signature_key", got.EventNotificationSignatureKey, types.StringValue("sig"))
				expectValue(t, "event_notification_signature_key_wo_version", got.EventNotificationSignatureKeyWOVersion, numberOf(4))
			},
		},
		{
			name:  "a name that differs only by HTML tags keeps the configured form",
			inst:  documentedInstance(),
			prior: documentedPlan(t, func(m *instanceModel) { m.Name = types.StringValue("<b>API Instance</b> with Polling") }),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "name", got.Name, types.StringValue("<b>API Instance</b> with Polling"))
			},
		},
		{
			name:  "a name changed on the server is read",
			inst:  documentedInstance(func(i *opencon.Instance) { i.Name = "renamed elsewhere" }),
			prior: documentedPlan(t),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "name", got.Name, types.StringValue("renamed elsewhere"))
			},
		},
		{
			name: "polling blocks that mean what the server holds keep their configured form",
			inst: documentedInstance(),
			prior: documentedPlan(t, func(m *instanceModel) {
				explicit := changedMessages()
				explicit.FilterByUpdatedDate = types.BoolValue(true)
				m.PollingResources = pollingSet(t, explicit)
			}),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				explicit := changedMessages()
				explicit.FilterByUpdatedDate = types.BoolValue(true)
				expectValue(t, "polling_resource", got.PollingResources, pollingSet(t, explicit))
			},
		},
		{
			name:  "polling changed on the server is read",
			inst:  documentedInstance(setConfig(opencon.KeyEventPollerConfiguration, ptr(`{"threads":{"url":"/hubs/general/threads"}}`))),
			prior: documentedPlan(t),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "polling_resource", got.PollingResources, pollingSet(t, pollingResourceModel{
					Name: types.StringValue("threads"), URL: types.StringValue("/hubs/general/threads"),
				}))
			},
		},
		{
			name:  "an unreadable poller configuration warns and keeps the blocks",
			inst:  documentedInstance(setConfig(opencon.KeyEventPollerConfiguration, ptr(`{"changed-messages":`))),
			prior: documentedPlan(t),
			check: func(t *testing.T, got *instanceModel, diags diag.Diagnostics) {
				expectValue(t, "polling_resource", got.PollingResources, pollingSet(t, changedMessages()))
				expectWarning(t, diags, "Unreadable poller configuration")
			},
		},
		{
			name: "only managed keys are read; masked ones keep their value, removed ones are dropped",
			inst: documentedInstance(setConfig("user.password", ptr(opencon.MaskedValue))),
			prior: documentedPlan(t, func(m *instanceModel) {
				m.Configuration = stringMapValue(map[string]string{"filter.response.nulls": "false", "removed.key": "x"})
				m.SensitiveConfiguration = stringMapValue(map[string]string{"user.password": "hunter2"})
			}),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "configuration", got.Configuration, stringMapValue(map[string]string{"filter.response.nulls": "true"}))
				expectValue(t, "sensitive_configuration", got.SensitiveConfiguration, stringMapValue(map[string]string{"user.password": "hunter2"}))
			},
		},
		{
			name: "import adopts the keys that differ from the element's defaults",
			inst: documentedInstance(setConfig("custom.key", ptr("mine")), setConfig("empty.default", ptr(""))),
			defaults: map[string]*string{
				"base.url":              ptr("https://www.googleapis.com/gmail/v1/users/me"),
				"filter.response.nulls": ptr("false"),
				"empty.default":         nil,
			},
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				// Not typed keys, secrets, platform keys, nulls or defaults.
				expectValue(t, "configuration", got.Configuration, stringMapValue(map[string]string{"custom.key": "mine", "filter.response.nulls": "true"}))
				expectValue(t, "sensitive_configuration", got.SensitiveConfiguration, types.MapNull(types.StringType))
				expectValue(t, "oauth_api_secret", got.OAuthAPISecret, types.StringNull())
				expectValue(t, "authorization_code", got.AuthorizationCode, types.StringNull())
				expectValue(t, "polling_resource", got.PollingResources, pollingSet(t, changedMessages()))
				expectValue(t, "event_poller_refresh_interval", got.EventPollerRefreshInterval, numberOf(15))
			},
		},
		{
			name: "import with nothing to adopt leaves configuration null",
			inst: documentedInstance(setConfig("filter.response.nulls", nil)),
			defaults: map[string]*string{
				"base.url": ptr("https://www.googleapis.com/gmail/v1/users/me"),
			},
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "configuration", got.Configuration, types.MapNull(types.StringType))
			},
		},
		{
			name: "event keys the platform returns oddly warn",
			inst: documentedInstance(setConfig(opencon.KeyEventNotificationEnabled, ptr("yes")), setConfig(opencon.KeyEventPollerRefreshInterval, ptr("often"))),
			check: func(t *testing.T, got *instanceModel, diags diag.Diagnostics) {
				expectValue(t, "event_notification_enabled", got.EventNotificationEnabled, types.BoolValue(false))
				expectValue(t, "event_poller_refresh_interval", got.EventPollerRefreshInterval, types.NumberNull())
				expectWarning(t, diags, "Unexpected event.notification.enabled")
				expectWarning(t, diags, "Unexpected event.poller.refresh_interval")
			},
		},
		{
			name: "a disabled instance, and an element id given only as elementId",
			inst: documentedInstance(func(i *opencon.Instance) { i.Disabled = true; i.Element.ID = 0; i.ElementID = 8153 }),
			check: func(t *testing.T, got *instanceModel, _ diag.Diagnostics) {
				expectValue(t, "enabled", got.Enabled, types.BoolValue(false))
				expectValue(t, "element_id", got.ElementID, types.Int64Value(8153))
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got instanceModel
			diags := got.readInto(context.Background(), c.inst, c.prior, c.defaults)
			c.check(t, &got, diags)
		})
	}
}

func expectValue[V attr.Value](t *testing.T, what string, got, want V) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// expectSameModel compares every attribute but the timeouts block.
func expectSameModel(t *testing.T, got, want *instanceModel) {
	t.Helper()
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range g.NumField() {
		field := g.Type().Field(i)
		gv, ok := g.Field(i).Interface().(attr.Value)
		if !ok || field.Name == "Timeouts" {
			continue
		}
		if wv := w.Field(i).Interface().(attr.Value); !gv.Equal(wv) {
			t.Errorf("%s = %s, want %s", field.Tag.Get("tfsdk"), gv, wv)
		}
	}
}

func expectNoDiagnostics(t *testing.T, diags diag.Diagnostics) {
	t.Helper()
	if len(diags) > 0 {
		t.Errorf("unexpected diagnostics:\n%s", diagnosticsText(diags))
	}
}

func expectWarning(t *testing.T, diags diag.Diagnostics, summary string) {
	t.Helper()
	for _, d := range diags.Warnings() {
		if d.Summary() == summary {
			return
		}
	}
	t.Errorf("no warning %q in:\n%s", summary, diagnosticsText(diags))
}

func TestPublicConfigurationHidesEverySecret(t *testing.T) {
	t.Parallel()
	inst := documentedInstance(
		setConfig("user.password", ptr("clear-on-an-old-tenant")),
		setConfig("netsuite.pin", ptr("1234")),
		setConfig("oauth.user.token.secret", ptr("clear")),
	)
	got := publicConfiguration(inst, passwordKeys([]opencon.ElementConfigurationEntry{{Key: "netsuite.pin", Type: "PASSWORD"}, {Key: "base.url", Type: "TEXTFIELD_1000"}}))
	want := stringMapValue(map[string]string{
		opencon.KeyOAuthCallbackURL:             testGmailRedirectURI,
		opencon.KeyEventNotificationEnabled:     "true",
		opencon.KeyEventNotificationCallbackURL: testEventCallbackURL,
		opencon.KeyEventPollerRefreshInterval:   "15",
		opencon.KeyEventPollerConfiguration:     `{"changed-messages": {"idField": "id", "url": "/hubs/general/changed-messages"}}`,
		"base.url":                              "https://www.googleapis.com/gmail/v1/users/me",
		"filter.response.nulls":                 "true",
		"event.notification.subscription.id":    "77",
	})
	expectValue(t, "configuration", got, want)
}

// TestListInstances: one lister serves the instances data source and both
// lookups by name. It filters list items, reads those it is told to in
// full, leaves out what was deleted meanwhile, and sorts by id.
func TestListInstances(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	var ids []int64
	for _, name := range []string{"erp b", "erp a", "other", "erp gone"} {
		inst, err := e.client.CreateInstance(ctx, opencon.CreateInstanceRequest{
			Element: &opencon.ElementRef{Key: "netsuiteerp"}, Name: name,
			Configuration: map[string]any{"user.username": "jane", "user.password": "p", "netsuite.accountId": "A"},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inst.ID)
	}
	gone := ids[3]
	// GET /instances/{gone} answers 404, as if deleted after the list.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, fmt.Sprintf("/instances/%d", gone)) {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		e.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := opencon.NewClient(opencon.Config{BaseURL: srv.URL, UserSecret: testUserSecret, OrganizationSecret: testOrganizationSecret})
	if err != nil {
		t.Fatal(err)
	}

	named := func(it *opencon.Instance) bool { return strings.HasPrefix(it.Name, "erp") }
	cases := []struct {
		name          string
		needsFull     func(*opencon.Instance) bool
		want          []int64
		emulatorReads int // the deleted instance's read never reaches it
	}{
		{"kept items as listed, sorted by id", nil, []int64{ids[0], ids[1], ids[3]}, 0},
		{"kept items read in full, the deleted one left out", func(*opencon.Instance) bool { return true }, []int64{ids[0], ids[1]}, 2},
	}
	for _, c := range cases {
		e.emu.ResetStats()
		list, err := listInstances(ctx, client, opencon.ListInstancesOptions{SearchText: "erp"}, named, c.needsFull)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := make([]int64, 0, len(list))
		for _, it := range list {
			got = append(got, it.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: ids %v, want %v", c.name, got, c.want)
		}
		if n := e.emu.Stats()["GET /instances/{id}"]; n != c.emulatorReads {
			t.Errorf("%s: the emulator answered %d reads, want %d", c.name, n, c.emulatorReads)
		}
	}
}
