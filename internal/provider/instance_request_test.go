package provider

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// asJSON is v as the client would send it, with object keys sorted, for
// comparing whole bodies.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(generic)
	return string(raw)
}

// sameJSON reports whether got and want are the same JSON document.
func sameJSON(t *testing.T, got any, want string) (string, bool) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	g := asJSON(t, got)
	return g, g == asJSON(t, w)
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	const documentedConfiguration = `"event.notification.callback.url":"http://127.0.0.1:1/events","event.notification.enabled":true,` +
		`"event.poller.configuration":{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}},"event.poller.refresh_interval":"15",` +
		`"oauth.api.key":"gmail-client-id.apps.googleusercontent.com","oauth.api.secret":"gmail-client-secret","oauth.callback.url":"https://auth.mycoolapp.com/oauth"`
	cases := []struct {
		name      string
		plan      func(*instanceModel)
		writeOnly writeOnlyValues
		want      string
	}{
		{
			name: "the documented example sends its code as providerData and every key it sets",
			want: `{"element":{"key":"gmail"},"providerData":{"code":"code-1"},"configuration":{` + documentedConfiguration + `},"tags":["Docs"],"name":"API Instance with Polling"}`,
		},
		{
			name: "a write-only code is sent like a plain one",
			plan: func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.AuthorizationCodeWOVersion = numberOf(1)
			},
			writeOnly: writeOnlyValues{"authorization_code_wo": "code-wo"},
			want:      `{"element":{"key":"gmail"},"providerData":{"code":"code-wo"},"configuration":{` + documentedConfiguration + `},"tags":["Docs"],"name":"API Instance with Polling"}`,
		},
		{
			name: "a refresh token creates the instance with externalAuthentication initial and no code",
			plan: func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.OAuthRefreshToken = types.StringValue("1//refresh")
				m.PollingResources = types.SetNull(pollingResourceObjectType)
				m.EventNotificationEnabled = types.BoolValue(false)
				m.EventNotificationCallbackURL = types.StringNull()
			},
			want: `{"element":{"key":"gmail"},"configuration":{"event.notification.enabled":false,"event.poller.refresh_interval":"15",` +
				`"oauth.api.key":"gmail-client-id.apps.googleusercontent.com","oauth.api.secret":"gmail-client-secret","oauth.callback.url":"https://auth.mycoolapp.com/oauth",` +
				`"oauth.user.refresh_token":"1//refresh"},"tags":["Docs"],"name":"API Instance with Polling","externalAuthentication":"initial"}`,
		},
		{
			name: "write-only secrets take the place of the plain ones",
			plan: func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.OAuthAPISecret = types.StringNull()
				m.OAuthRefreshTokenWOVersion = numberOf(1)
				m.OAuthAPISecretWOVersion = numberOf(1)
				m.EventNotificationSignatureKeyWOVersion = numberOf(1)
				m.Configuration = types.MapNull(types.StringType)
				m.PollingResources = types.SetNull(pollingResourceObjectType)
				m.EventNotificationEnabled = types.BoolNull()
				m.EventNotificationCallbackURL = types.StringNull()
				m.EventPollerRefreshInterval = types.NumberNull()
				m.OAuthAPIKey = types.StringNull()
				m.OAuthCallbackURL = types.StringNull()
			},
			writeOnly: writeOnlyValues{"oauth_refresh_token_wo": "1//wo", "oauth_api_secret_wo": "secret-wo", "event_notification_signature_key_wo": "sig-wo"},
			want: `{"element":{"key":"gmail"},"configuration":{"event.notification.signature.key":"sig-wo","oauth.api.secret":"secret-wo","oauth.user.refresh_token":"1//wo"},` +
				`"tags":["Docs"],"name":"API Instance with Polling","externalAuthentication":"initial"}`,
		},
		{
			name: "tags left to the platform are not sent",
			plan: func(m *instanceModel) { m.Tags = types.SetUnknown(types.StringType) },
			want: `{"element":{"key":"gmail"},"providerData":{"code":"code-1"},"configuration":{` + documentedConfiguration + `},"name":"API Instance with Polling"}`,
		},
		{
			name: "configuration and sensitive_configuration are sent as they are",
			plan: func(m *instanceModel) {
				m.Configuration = stringMapValue(map[string]string{"filter.response.nulls": "false"})
				m.SensitiveConfiguration = stringMapValue(map[string]string{"user.password": "hunter2"})
			},
			want: `{"element":{"key":"gmail"},"providerData":{"code":"code-1"},"configuration":{` + documentedConfiguration +
				`,"filter.response.nulls":"false","user.password":"hunter2"},"tags":["Docs"],"name":"API Instance with Polling"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := documentedPlan(t)
			if c.plan != nil {
				c.plan(plan)
			}
			body, diags := createRequest(context.Background(), plan, c.writeOnly)
			requireNoError(t, diags)
			if got, ok := sameJSON(t, body, c.want); !ok {
				t.Errorf("POST /instances body\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestUpdateRequest(t *testing.T) {
	t.Parallel()
	withWriteOnlySecret := func(version int64) func(*instanceModel) {
		return func(m *instanceModel) {
			m.OAuthAPISecret = types.StringNull()
			m.OAuthAPISecretWOVersion = numberOf(version)
		}
	}
	withWriteOnlyCode := func(version int64) func(*instanceModel) {
		return func(m *instanceModel) {
			m.AuthorizationCode = types.StringNull()
			m.AuthorizationCodeWOVersion = numberOf(version)
		}
	}
	cases := []struct {
		name      string
		state     []func(*instanceModel)
		plan      []func(*instanceModel)
		writeOnly writeOnlyValues
		// unseen: the instance was imported, state has seen no credential.
		unseen bool
		want   string // "" when nothing is sent
	}{
		{name: "an unchanged plan sends nothing"},
		{
			name: "a rename sends the name only",
			plan: []func(*instanceModel){func(m *instanceModel) { m.Name = types.StringValue("Renamed") }},
			want: `{"name":"Renamed"}`,
		},
		{
			name: "new tags replace them all",
			plan: []func(*instanceModel){func(m *instanceModel) { m.Tags = stringSet([]string{"Docs", "prod"}) }},
			want: `{"tags":["Docs","prod"]}`,
		},
		{
			name: "tags left to the platform are not sent",
			plan: []func(*instanceModel){func(m *instanceModel) { m.Tags = types.SetUnknown(types.StringType) }},
		},
		{
			name: "a changed key is sent alone",
			plan: []func(*instanceModel){func(m *instanceModel) { m.EventPollerRefreshInterval = numberOf(3) }},
			want: `{"configuration":{"event.poller.refresh_interval":"3"}}`,
		},
		{
			name: "enabling or disabling is not part of the PATCH",
			plan: []func(*instanceModel){func(m *instanceModel) { m.Enabled = types.BoolValue(false) }},
		},
		{
			name: "a new authorization code re-authenticates",
			plan: []func(*instanceModel){func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") }},
			want: `{"providerData":{"code":"code-2"}}`,
		},
		{
			name: "a removed authorization code is not sent",
			plan: []func(*instanceModel){func(m *instanceModel) { m.AuthorizationCode = types.StringNull() }},
		},
		{
			name:      "a write-only code with a new version re-authenticates",
			state:     []func(*instanceModel){withWriteOnlyCode(1)},
			plan:      []func(*instanceModel){withWriteOnlyCode(2)},
			writeOnly: writeOnlyValues{"authorization_code_wo": "code-wo-2"},
			want:      `{"providerData":{"code":"code-wo-2"}}`,
		},
		{
			name:      "a write-only code without a new version is not spent",
			state:     []func(*instanceModel){withWriteOnlyCode(1)},
			plan:      []func(*instanceModel){withWriteOnlyCode(1)},
			writeOnly: writeOnlyValues{"authorization_code_wo": "code-wo-2"},
		},
		{
			name:      "a write-only secret with a new version is sent, the others are not",
			state:     []func(*instanceModel){withWriteOnlySecret(1), withWriteOnlyCode(1)},
			plan:      []func(*instanceModel){withWriteOnlySecret(2), withWriteOnlyCode(1)},
			writeOnly: writeOnlyValues{"oauth_api_secret_wo": "rotated", "authorization_code_wo": "code-wo"},
			want:      `{"configuration":{"oauth.api.secret":"rotated"}}`,
		},
		{
			name:      "a write-only secret without a new version is not sent",
			state:     []func(*instanceModel){withWriteOnlySecret(1)},
			plan:      []func(*instanceModel){withWriteOnlySecret(1)},
			writeOnly: writeOnlyValues{"oauth_api_secret_wo": "not-sent"},
		},
		{
			name: "a refresh token with a new version is sent as configuration",
			state: []func(*instanceModel){func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.OAuthRefreshTokenWOVersion = numberOf(1)
			}},
			plan: []func(*instanceModel){func(m *instanceModel) {
				m.AuthorizationCode = types.StringNull()
				m.OAuthRefreshTokenWOVersion = numberOf(2)
			}},
			writeOnly: writeOnlyValues{"oauth_refresh_token_wo": "1//rotated"},
			want:      `{"configuration":{"oauth.user.refresh_token":"1//rotated"}}`,
		},
		{
			name: "a name that differs only by HTML tags is not sent",
			plan: []func(*instanceModel){func(m *instanceModel) { m.Name = types.StringValue("<b>API Instance</b> with Polling") }},
		},
		{
			name:   "after import the code first seen is recorded, not sent; the API secret and key are sent",
			state:  []func(*instanceModel){importedState},
			plan:   []func(*instanceModel){func(m *instanceModel) { *m = *documentedPlan(t) }},
			unseen: true,
			want:   `{"configuration":{"oauth.api.key":"gmail-client-id.apps.googleusercontent.com","oauth.api.secret":"gmail-client-secret"}}`,
		},
		{
			name:  "after import a refresh token first seen is recorded, not sent",
			state: []func(*instanceModel){importedState},
			plan: []func(*instanceModel){func(m *instanceModel) {
				*m = *documentedPlan(t)
				m.AuthorizationCode = types.StringNull()
				m.OAuthRefreshToken = types.StringValue("1//spent")
				m.OAuthAPIKey = types.StringNull()
				m.OAuthAPISecret = types.StringNull()
			}},
			unseen: true,
		},
		{
			name:  "after import a write-only code and refresh token first seen are recorded, not sent",
			state: []func(*instanceModel){importedState},
			plan: []func(*instanceModel){func(m *instanceModel) {
				*m = *documentedPlan(t, withWriteOnlyCode(1))
				m.OAuthRefreshTokenWOVersion = numberOf(1)
				m.OAuthAPIKey = types.StringNull()
				m.OAuthAPISecret = types.StringNull()
			}},
			writeOnly: writeOnlyValues{"authorization_code_wo": "spent", "oauth_refresh_token_wo": "1//spent"},
			unseen:    true,
		},
		{
			name:  "after import a write-only secret is sent",
			state: []func(*instanceModel){importedState},
			plan: []func(*instanceModel){func(m *instanceModel) {
				*m = *documentedPlan(t, withWriteOnlySecret(1))
				m.AuthorizationCode = types.StringNull()
				m.OAuthAPIKey = types.StringNull()
			}},
			writeOnly: writeOnlyValues{"oauth_api_secret_wo": "secret-wo"},
			unseen:    true,
			want:      `{"configuration":{"oauth.api.secret":"secret-wo"}}`,
		},
		{
			name: "polling blocks that mean the same are no change",
			plan: []func(*instanceModel){func(m *instanceModel) {
				explicit := changedMessages()
				explicit.FilterByUpdatedDate = types.BoolValue(true)
				explicit.PollDelay = numberOf(0)
				m.PollingResources = pollingSet(t, explicit)
			}},
		},
		{
			name: "a changed polling block sends the whole poller configuration",
			plan: []func(*instanceModel){func(m *instanceModel) {
				threads := changedMessages()
				threads.IDField = types.StringValue("threadId")
				m.PollingResources = pollingSet(t, threads)
			}},
			want: `{"configuration":{"event.poller.configuration":{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"threadId"}}}}`,
		},
		{
			name: "removing every polling block empties the poller configuration",
			plan: []func(*instanceModel){func(m *instanceModel) { m.PollingResources = types.SetNull(pollingResourceObjectType) }},
			want: `{"configuration":{"event.poller.configuration":{}}}`,
		},
		{
			name: "a key removed from configuration stops being managed and is not sent",
			state: []func(*instanceModel){func(m *instanceModel) {
				m.Configuration = stringMapValue(map[string]string{"filter.response.nulls": "false"})
			}},
			plan: []func(*instanceModel){func(m *instanceModel) { m.Configuration = types.MapNull(types.StringType) }},
		},
		{
			name: "a key added to sensitive_configuration is sent",
			plan: []func(*instanceModel){func(m *instanceModel) {
				m.SensitiveConfiguration = stringMapValue(map[string]string{"user.password": "hunter2"})
			}},
			want: `{"configuration":{"user.password":"hunter2"}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state, plan := documentedPlan(t, c.state...), documentedPlan(t, append(c.state, c.plan...)...)
			patch, send, diags := updateRequest(context.Background(), plan, state, c.writeOnly, c.unseen)
			requireNoError(t, diags)
			if c.want == "" {
				if send {
					t.Errorf("sends %s, want nothing", asJSON(t, patch))
				}
				return
			}
			if !send {
				t.Fatalf("sends nothing, want %s", c.want)
			}
			if got, ok := sameJSON(t, patch, c.want); !ok {
				t.Errorf("PATCH /instances/{id} body\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// importedState is what an import leaves in state: nothing the API never
// returns.
func importedState(m *instanceModel) {
	m.AuthorizationCode = types.StringNull()
	m.OAuthAPIKey = types.StringNull()
	m.OAuthAPISecret = types.StringNull()
}

// stateThenPlan is the documented example's state with change applied, and
// a plan that changes it further by planChange; either may be nil.
func stateThenPlan(t *testing.T, change, planChange func(*instanceModel)) (instanceModel, *instanceModel) {
	t.Helper()
	state := documentedPlan(t)
	if change != nil {
		change(state)
	}
	plan := *state
	if planChange != nil {
		planChange(&plan)
	}
	return plan, state
}

// TestReauthentication: the plan marks the token unknown exactly when the
// update sends a code or a refresh token.
func TestReauthentication(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		state, plan  func(*instanceModel)
		unseen       bool
		sendsCode    bool
		reauthorizes bool
	}{
		{name: "nothing changes"},
		{name: "a new code", plan: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") }, sendsCode: true, reauthorizes: true},
		{name: "a code not yet known", plan: func(m *instanceModel) { m.AuthorizationCode = types.StringUnknown() }, sendsCode: true, reauthorizes: true},
		{name: "a code removed", plan: func(m *instanceModel) { m.AuthorizationCode = types.StringNull() }},
		{name: "a code version set", plan: func(m *instanceModel) { m.AuthorizationCodeWOVersion = numberOf(1) }, sendsCode: true, reauthorizes: true},
		{name: "a code version removed", state: func(m *instanceModel) { m.AuthorizationCodeWOVersion = numberOf(1) }},
		{name: "a new refresh token", plan: func(m *instanceModel) { m.OAuthRefreshToken = types.StringValue("1//new") }, reauthorizes: true},
		{name: "a refresh token version bumped", state: func(m *instanceModel) { m.OAuthRefreshTokenWOVersion = numberOf(1) },
			plan: func(m *instanceModel) { m.OAuthRefreshTokenWOVersion = numberOf(2) }, reauthorizes: true},
		{name: "a new API secret", plan: func(m *instanceModel) { m.OAuthAPISecret = types.StringValue("other") }},
		{name: "the code first seen after import", state: importedState, plan: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("spent") }, unseen: true},
		{name: "a code version first seen after import", state: importedState, plan: func(m *instanceModel) { m.AuthorizationCodeWOVersion = numberOf(1) }, unseen: true},
		{name: "a refresh token first seen after import", state: importedState, plan: func(m *instanceModel) { m.OAuthRefreshToken = types.StringValue("1//spent") }, unseen: true},
		{name: "a refresh token version first seen after import", state: importedState, plan: func(m *instanceModel) { m.OAuthRefreshTokenWOVersion = numberOf(1) }, unseen: true},
		{name: "a code set once state holds one", state: importedState, plan: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") }, sendsCode: true, reauthorizes: true},
		{name: "a rename", plan: func(m *instanceModel) { m.Name = types.StringValue("Renamed") }},
	}
	for _, c := range cases {
		plan, state := stateThenPlan(t, c.state, c.plan)
		if got := sendsCredential(authorizationCodeArg, &plan, state, c.unseen); got != c.sendsCode {
			t.Errorf("%s: sendsCredential(authorization_code) = %v, want %v", c.name, got, c.sendsCode)
		}
		if got := reauthenticates(&plan, state, c.unseen); got != c.reauthorizes {
			t.Errorf("%s: reauthenticates = %v, want %v", c.name, got, c.reauthorizes)
		}
	}
}

func TestChangedConfiguration(t *testing.T) {
	t.Parallel()
	poller := func(raw string) opencon.PollerConfiguration {
		pc, err := opencon.ParsePollerConfiguration(raw)
		if err != nil {
			t.Fatal(err)
		}
		return pc
	}
	const polled = `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`
	cases := []struct {
		name           string
		prior, planned map[string]any
		want           string
	}{
		{"the same keys and values", map[string]any{"a": "1", "b": true}, map[string]any{"a": "1", "b": true}, `{}`},
		{"a changed value", map[string]any{"a": "1"}, map[string]any{"a": "2"}, `{"a":"2"}`},
		{"a new key", map[string]any{"a": "1"}, map[string]any{"a": "1", "b": "x"}, `{"b":"x"}`},
		{"a key no longer managed is not unset", map[string]any{"a": "1", "b": "x"}, map[string]any{"a": "1"}, `{}`},
		{"a boolean that flips", map[string]any{"e": true}, map[string]any{"e": false}, `{"e":false}`},
		{"a poller configuration that means the same", map[string]any{"p": 1, opencon.KeyEventPollerConfiguration: poller(polled)},
			map[string]any{"p": 1, opencon.KeyEventPollerConfiguration: poller(`{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","filterByUpdatedDate":true}}`)}, `{}`},
		{"a poller configuration that differs", map[string]any{opencon.KeyEventPollerConfiguration: poller(polled)},
			map[string]any{opencon.KeyEventPollerConfiguration: poller(`{"threads":{"url":"/hubs/general/threads"}}`)},
			`{"event.poller.configuration":{"threads":{"url":"/hubs/general/threads"}}}`},
		{"a poller configuration removed is emptied", map[string]any{opencon.KeyEventPollerConfiguration: poller(polled)}, map[string]any{},
			`{"event.poller.configuration":{}}`},
		{"a first poller configuration", map[string]any{}, map[string]any{opencon.KeyEventPollerConfiguration: poller(polled)},
			`{"event.poller.configuration":` + polled + `}`},
	}
	for _, c := range cases {
		if got, ok := sameJSON(t, changedConfiguration(c.prior, c.planned), c.want); !ok {
			t.Errorf("%s: changedConfiguration = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestReplacementReusesCode: a replacement is warned about exactly when the
// new instance would be created with a code already spent.
func TestReplacementReusesCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		state, plan func(*instanceModel)
		unseen      bool
		want        bool
	}{
		{name: "the code state holds", want: true},
		{name: "a new code", plan: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") }},
		{name: "a code not yet known", plan: func(m *instanceModel) { m.AuthorizationCode = types.StringUnknown() }},
		{name: "a refresh token", state: func(m *instanceModel) {
			m.AuthorizationCode = types.StringNull()
			m.OAuthRefreshToken = types.StringValue("1//r")
		}},
		{name: "the write-only version state holds", state: func(m *instanceModel) {
			m.AuthorizationCode = types.StringNull()
			m.AuthorizationCodeWOVersion = numberOf(1)
		}, want: true},
		{name: "a new write-only version", state: func(m *instanceModel) {
			m.AuthorizationCode = types.StringNull()
			m.AuthorizationCodeWOVersion = numberOf(1)
		}, plan: func(m *instanceModel) { m.AuthorizationCodeWOVersion = numberOf(2) }},
		{name: "any code after an import", state: importedState, plan: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("spent") }, unseen: true, want: true},
	}
	for _, c := range cases {
		plan, state := stateThenPlan(t, c.state, c.plan)
		if got := replacementReusesCode(&plan, state, c.unseen); got != c.want {
			t.Errorf("%s: replacementReusesCode = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestReauthenticationRequest: the action's PATCH is the resource's for a
// new code or refresh token, and carries nothing else.
func TestReauthenticationRequest(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, code, refreshToken string
		resource                 func(*instanceModel)
		want                     string
	}{
		{
			name: "a code", code: "code-2",
			resource: func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") },
			want:     `{"providerData":{"code":"code-2"}}`,
		},
		{
			name: "a refresh token", refreshToken: "1//rotated",
			resource: func(m *instanceModel) { m.OAuthRefreshToken = types.StringValue("1//rotated") },
			want:     `{"configuration":{"oauth.user.refresh_token":"1//rotated"}}`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, diags := reauthenticationRequest(context.Background(), c.code, c.refreshToken)
			requireNoError(t, diags)
			if body, ok := sameJSON(t, got, c.want); !ok {
				t.Errorf("action sends %s, want %s", body, c.want)
			}
			// What the resource sends when only that argument changes.
			state := documentedPlan(t, func(m *instanceModel) { m.AuthorizationCode = types.StringNull() })
			plan := documentedPlan(t, func(m *instanceModel) { m.AuthorizationCode = types.StringNull() }, c.resource)
			patch, send, diags := updateRequest(context.Background(), plan, state, nil, false)
			requireNoError(t, diags)
			if !send || asJSON(t, patch) != asJSON(t, got) {
				t.Errorf("the resource sends %s, the action %s", asJSON(t, patch), asJSON(t, got))
			}
		})
	}
}
