package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
	"github.com/opencon/terraform-provider-opencon/internal/server"
	"github.com/opencon/terraform-provider-opencon/internal/webhook"
)

// Unit tests of the actions' Invoke, without a CLI: a configuration as the
// framework hands it over, the progress messages and diagnostics that come
// back.

// invokeAction runs a's Invoke with the string attributes attrs set and
// every other attribute null.
func invokeAction(t *testing.T, a action.Action, attrs map[string]string) (progress []string, diags diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	var schemaResp action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &schemaResp)
	requireNoError(t, schemaResp.Diagnostics)
	values := make(map[string]tftypes.Value, len(attrs))
	for name, v := range attrs {
		values[name] = tftypes.NewValue(tftypes.String, v)
	}
	raw := objectWith(t, schemaResp.Schema.Type().TerraformType(ctx), values)
	resp := action.InvokeResponse{SendProgress: func(ev action.InvokeProgressEvent) { progress = append(progress, ev.Message) }}
	a.Invoke(ctx, action.InvokeRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: raw}}, &resp)
	return progress, resp.Diagnostics
}

// expectErrorAt checks that diags hold exactly one error, on attribute, whose
// text contains every one of want.
func expectErrorAt(t *testing.T, diags diag.Diagnostics, attribute string, want ...string) {
	t.Helper()
	if len(diags) != 1 || !diags.HasError() {
		t.Fatalf("want one error, got:\n%s", diagnosticsText(diags))
	}
	if dp, ok := diags[0].(diag.DiagnosticWithPath); !ok || !dp.Path().Equal(path.Root(attribute)) {
		t.Errorf("the error is not on %s: %v", attribute, diags[0])
	}
	for _, w := range want {
		if !strings.Contains(diagnosticsText(diags), w) {
			t.Errorf("the error lacks %q:\n%s", w, diagnosticsText(diags))
		}
	}
}

// expectNowhere fails when any progress message or diagnostic holds secret.
func expectNowhere(t *testing.T, secret string, progress []string, diags diag.Diagnostics) {
	t.Helper()
	if strings.Contains(strings.Join(progress, "\n")+diagnosticsText(diags), secret) {
		t.Errorf("a progress message or diagnostic holds the secret %q:\n%s\n%s", secret, progress, diagnosticsText(diags))
	}
}

func reauthenticateWith(e *testEnv) action.Action {
	return &instanceReauthenticateAction{client: e.client}
}

func TestInstanceReauthenticateAction(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	inst := createGmail(t, e, "reauthenticated")
	id := strconv.FormatInt(inst.ID, 10)
	access := func() string {
		v, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserToken)
		return v
	}

	code := e.authorizationCode()
	before := access()
	progress, diags := invokeAction(t, reauthenticateWith(e), map[string]string{"instance_id": id, "authorization_code": code})
	expectNoDiagnostics(t, diags)
	if access() == before {
		t.Error("the OAuth token did not change")
	}
	want := []string{
		fmt.Sprintf("Re-authenticating instance %s (%q) with a new authorization code", id, "reauthenticated"),
		"The platform exchanged the code for new OAuth tokens of instance " + id,
		"The instance token of instance " + id + " is unchanged",
		"Instance " + id + " is valid",
	}
	if strings.Join(progress, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(progress, "\n"), strings.Join(want, "\n"))
	}
	expectNowhere(t, code, progress, diags)

	t.Run("a spent code", func(t *testing.T) {
		before := access()
		progress, diags := invokeAction(t, reauthenticateWith(e), map[string]string{"instance_id": id, "authorization_code": code})
		expectErrorAt(t, diags, "authorization_code", "The platform refused the re-authentication", "was not changed", "Code was already redeemed")
		expectNowhere(t, code, progress, diags)
		if access() != before {
			t.Error("a refused code changed the OAuth token")
		}
	})

	t.Run("a wrong code", func(t *testing.T) {
		before := access()
		progress, diags := invokeAction(t, reauthenticateWith(e), map[string]string{"instance_id": id, "authorization_code": "not-a-code-at-all"})
		expectErrorAt(t, diags, "authorization_code", "The platform refused the re-authentication", "Malformed auth code")
		expectNowhere(t, "not-a-code-at-all", progress, diags)
		if access() != before {
			t.Error("a wrong code changed the OAuth token")
		}
	})

	t.Run("a refresh token", func(t *testing.T) {
		const token = "1//unit-refresh-token"
		progress, diags := invokeAction(t, reauthenticateWith(e), map[string]string{"instance_id": id, "oauth_refresh_token": token})
		expectNoDiagnostics(t, diags)
		if got, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserRefreshToken); got != token {
			t.Errorf("refresh token on the server %q", got)
		}
		if !strings.Contains(strings.Join(progress, "\n"), "The platform stored the refresh token of instance "+id) {
			t.Errorf("progress: %v", progress)
		}
		expectNowhere(t, token, progress, diags)
	})

	t.Run("an unknown instance gets nothing", func(t *testing.T) {
		e.emu.ResetStats()
		fresh := e.authorizationCode()
		_, diags := invokeAction(t, reauthenticateWith(e), map[string]string{"instance_id": "99999999", "authorization_code": fresh})
		expectErrorAt(t, diags, "instance_id", "Instance not found", "nothing was sent")
		if n := e.emu.Stats()["PATCH /instances/{id}"]; n != 0 {
			t.Errorf("%d PATCH requests", n)
		}
	})

	t.Run("an unconfigured provider", func(t *testing.T) {
		_, diags := invokeAction(t, &instanceReauthenticateAction{}, map[string]string{"instance_id": id, "authorization_code": "x"})
		expectDiagnostics(t, "unconfigured", diags, "Provider not configured", false)
	})
}

// TestInstanceReauthenticateActionInvalidAfter: an instance the platform
// still reports invalid fails the action, on the argument that was sent.
func TestInstanceReauthenticateActionInvalidAfter(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	inst := createGmail(t, e, "stays invalid")
	// The platform's answer, with valid false.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		e.emu.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.Method == http.MethodGet {
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				m["valid"] = false
				body, _ = json.Marshal(m)
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	client, err := opencon.NewClient(opencon.Config{BaseURL: srv.URL, UserSecret: testUserSecret, OrganizationSecret: testOrganizationSecret, MaxRetries: new(0)})
	if err != nil {
		t.Fatal(err)
	}
	_, diags := invokeAction(t, &instanceReauthenticateAction{client: client},
		map[string]string{"instance_id": strconv.FormatInt(inst.ID, 10), "oauth_refresh_token": "1//x"})
	expectErrorAt(t, diags, "oauth_refresh_token", "Instance not valid after re-authentication")
}

// signedReceiver records what reaches it and answers status and body.
type signedReceiver struct {
	mu      sync.Mutex
	status  int
	answer  string
	headers []http.Header
	bodies  [][]byte
}

func (r *signedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.bodies = append(r.bodies, body)
	r.mu.Unlock()
	if r.status >= 300 && r.status < 400 {
		w.Header().Set("Location", "/elsewhere")
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.answer)
}

func (r *signedReceiver) received() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func startReceiver(t *testing.T, status int, answer string) (*signedReceiver, string) {
	t.Helper()
	r := &signedReceiver{status: status, answer: answer}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func TestEventTestAction(t *testing.T) {
	t.Parallel()
	const key = "unit-signature-key"

	t.Run("the sample is the platform's envelope, signed", func(t *testing.T) {
		recv, url := startReceiver(t, http.StatusNoContent, "")
		progress, diags := invokeAction(t, &eventTestAction{}, map[string]string{
			"callback_url": url + "/hooks?token=query-secret", "signature_key": key,
			"element_key": "netsuiteerp", "instance_id": "77", "object_type": "contacts",
		})
		expectNoDiagnostics(t, diags)
		if recv.received() != 1 {
			t.Fatalf("%d POSTs, want 1", recv.received())
		}
		body, header := recv.bodies[0], recv.headers[0]
		if !webhook.Verify(key, body, header.Get(webhook.SignatureHeader)) {
			t.Errorf("the signature %q does not verify", header.Get(webhook.SignatureHeader))
		}
		var n webhook.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatal(err)
		}
		m := n.Message
		if m.InstanceID != 77 || m.ElementKey != "netsuiteerp" || len(m.Events) != 1 || m.EventID < 100000 || m.EventID > 999999 {
			t.Fatalf("message %+v", m)
		}
		ev := m.Events[0]
		if ev.EventType != "CREATED" || ev.ObjectType != "contacts" || ev.ElementKey != "netsuiteerp" || ev.ObjectID == "" || ev.Date == "" {
			t.Errorf("event %+v", ev)
		}
		raw, _ := webhook.PolledRaw("contacts", []any{map[string]any{"id": ev.ObjectID}})
		if string(m.Raw) != string(raw) {
			t.Errorf("raw %s, want %s", m.Raw, raw)
		}
		id := header.Get(webhook.IDHeader)
		if len(id) != 12 || header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", header)
		}
		want := []string{
			fmt.Sprintf("Sending signed test event %d (Elements-Webhook-Id %s) to %s/hooks", m.EventID, id, url),
			fmt.Sprintf("The receiver at %s/hooks accepted test event %d: 204 No Content", url, m.EventID),
		}
		if strings.Join(progress, "\n") != strings.Join(want, "\n") {
			t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(progress, "\n"), strings.Join(want, "\n"))
		}
		expectNowhere(t, key, progress, diags)
		expectNowhere(t, "query-secret", progress, diags)
	})

	t.Run("defaults", func(t *testing.T) {
		recv, url := startReceiver(t, http.StatusOK, "")
		_, diags := invokeAction(t, &eventTestAction{}, map[string]string{"callback_url": url, "signature_key": key})
		expectNoDiagnostics(t, diags)
		var n webhook.Notification
		if err := json.Unmarshal(recv.bodies[0], &n); err != nil {
			t.Fatal(err)
		}
		if n.Message.InstanceID != 0 || n.Message.ElementKey != "gmail" || n.Message.Events[0].ObjectType != "changed-messages" {
			t.Errorf("message %+v", n.Message)
		}
	})

	t.Run("every test event is new to the receiver", func(t *testing.T) {
		recv, url := startReceiver(t, http.StatusOK, "")
		for range 2 {
			_, diags := invokeAction(t, &eventTestAction{}, map[string]string{"callback_url": url, "signature_key": key})
			expectNoDiagnostics(t, diags)
		}
		if recv.headers[0].Get(webhook.IDHeader) == recv.headers[1].Get(webhook.IDHeader) {
			t.Error("two test events share an Elements-Webhook-Id")
		}
	})

	t.Run("a refusal fails with the status and the first bytes of the answer", func(t *testing.T) {
		_, url := startReceiver(t, http.StatusUnauthorized, "bad signature"+strings.Repeat(".", 2000)+"END")
		progress, diags := invokeAction(t, &eventTestAction{}, map[string]string{"callback_url": url, "signature_key": key})
		expectErrorAt(t, diags, "callback_url", "Receiver refused the test event", "401 Unauthorized", `"bad signature...`)
		if strings.Contains(diagnosticsText(diags), "END") {
			t.Error("the whole answer is in the error")
		}
		expectNowhere(t, key, progress, diags)
	})

	t.Run("a redirect is not followed", func(t *testing.T) {
		recv, url := startReceiver(t, http.StatusFound, "")
		_, diags := invokeAction(t, &eventTestAction{}, map[string]string{"callback_url": url, "signature_key": key})
		expectErrorAt(t, diags, "callback_url", "302 Found", "redirects are not followed", `"/elsewhere"`)
		if recv.received() != 1 {
			t.Errorf("%d requests, want 1", recv.received())
		}
	})

	t.Run("an unreachable receiver", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, diags := invokeAction(t, &eventTestAction{}, map[string]string{
			"callback_url": strings.Replace(url, "http://", "http://jane:pa55word@", 1) + "/x?token=query-secret", "signature_key": key,
		})
		expectErrorAt(t, diags, "callback_url", "Receiver not reached", "POST "+url+"/x")
		expectNowhere(t, "pa55word", nil, diags)
		expectNowhere(t, "query-secret", nil, diags)
	})
}

func TestSecureURLValidator(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		value types.String
		err   string
	}{
		{types.StringValue("https://hooks.example.com/gmail"), ""},
		{types.StringValue("http://127.0.0.1:8080/events"), ""},
		{types.StringValue("http://localhost/events"), ""},
		{types.StringValue("http://[::1]:9/events"), ""},
		{types.StringValue("http://hooks.example.com/gmail"), "not loopback"},
		{types.StringValue("ftp://hooks.example.com/gmail"), "must start with https://"},
		{types.StringValue("/relative"), "is not an absolute URL"},
		{types.StringValue("https:///no-host"), "is not an absolute URL"},
		{types.StringUnknown(), ""},
		{types.StringNull(), ""},
	} {
		var resp validator.StringResponse
		secureURLValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("callback_url"), ConfigValue: c.value}, &resp)
		expectDiagnostics(t, c.value.String(), resp.Diagnostics, c.err, false)
	}
}

// TestFrameworkStillRefusesWriteOnlyActionArguments documents why server.go
// exists: the framework alone refuses a value for a write-only action
// argument, the provider's server does not. When the first half fails, the
// framework is fixed: delete server.go and serve providerserver.NewProtocol6.
func TestFrameworkStillRefusesWriteOnlyActionArguments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := &eventTestAction{}
	var schemaResp action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx)
	config, err := tfprotov6.NewDynamicValue(typ, objectWith(t, typ, map[string]tftypes.Value{
		"callback_url":  tftypes.NewValue(tftypes.String, "https://hooks.example.com/gmail"),
		"signature_key": tftypes.NewValue(tftypes.String, "k"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	req := &tfprotov6.ValidateActionConfigRequest{ActionType: "opencon_event_test", Config: &config}
	summaries := func(s tfprotov6.ProviderServer) []string {
		t.Helper()
		// The framework answers only after GetProviderSchema.
		if _, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
			t.Fatal(err)
		}
		resp, err := s.(tfprotov6.ActionServer).ValidateActionConfig(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range resp.Diagnostics {
			out = append(out, d.Summary)
		}
		return out
	}
	if got := summaries(providerserver.NewProtocol6(New("test")())()); len(got) != 1 || got[0] != server.FrameworkWriteOnlyRefusal {
		t.Errorf("the framework alone answers %q: if it no longer refuses write-only action arguments, remove server.Server.ValidateActionConfig", got)
	}
	ps, err := ProtocolServer("test")
	if err != nil {
		t.Fatal(err)
	}
	if got := summaries(ps); len(got) != 0 {
		t.Errorf("the provider's server answers %q, want nothing", got)
	}
}
