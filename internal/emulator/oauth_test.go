package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const redirect = "https://app.example.com/oauth/callback"

func gmailCodeBody(code string, cfg map[string]any) map[string]any {
	c := map[string]any{
		"oauth.api.key":      "client-id",
		"oauth.api.secret":   "client-secret",
		"oauth.callback.url": redirect,
	}
	for k, v := range cfg {
		c[k] = v
	}
	return map[string]any{
		"element":       map[string]any{"key": "gmail"},
		"providerData":  map[string]any{"code": code},
		"configuration": c,
		"name":          "gmail",
	}
}

func TestOAuthURL(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/elements/gmail/oauth/url?apiKey=k", uo, nil)
	e.mustStatus(r, 400)
	for _, p := range []string{"apiSecret", "callbackUrl"} {
		if !strings.Contains(string(r.body), p) {
			t.Errorf("400 does not name %s: %s", p, r.body)
		}
	}
	if strings.Contains(string(r.body), "apiKey") {
		t.Errorf("400 names a parameter that was sent: %s", r.body)
	}
	e.mustStatus(e.do("GET", "/elements/gmail/oauth/url?apiKey=k&apiSecret=s&callbackUrl=x", "", nil), 401)
	e.mustStatus(e.do("GET", "/elements/netsuiteerp/oauth/url?apiKey=k&apiSecret=s&callbackUrl=x", uo, nil), 400)
	e.mustStatus(e.do("GET", "/elements/nope/oauth/url?apiKey=k&apiSecret=s&callbackUrl=x", uo, nil), 404)

	q := url.Values{"apiKey": {"my-client"}, "apiSecret": {"s"}, "callbackUrl": {redirect}}
	r = e.do("GET", "/elements/gmail/oauth/url?"+q.Encode(), uo, nil)
	e.mustStatus(r, 200)
	m := r.json(t)
	if m["element"] != "gmail" {
		t.Errorf("element = %v", m["element"])
	}
	raw := m["oauthUrl"].(string)
	prefix := e.ts.URL + "/_vendor/google/o/oauth2/v2/auth?access_type=offline&prompt=consent&scope=https%3A%2F%2Fmail.google.com%2F+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.settings.basic&response_type=code&redirect_uri="
	if !strings.HasPrefix(raw, prefix) || !strings.HasSuffix(raw, "&state=gmail&client_id=my-client") {
		t.Errorf("oauthUrl = %s", raw)
	}
	u, _ := url.Parse(raw)
	if u.Query().Get("redirect_uri") != redirect {
		t.Errorf("redirect_uri = %s", u.Query().Get("redirect_uri"))
	}
	q.Set("state", "xyz")
	q.Set("scope", "a b")
	r = e.do("GET", "/elements/gmail/oauth/url?"+q.Encode(), uo, nil)
	u, _ = url.Parse(r.json(t)["oauthUrl"].(string))
	if u.Query().Get("state") != "xyz" || u.Query().Get("scope") != "a b" {
		t.Errorf("state/scope not passed: %s", u)
	}
}

func TestVendorAuthorizeRedirect(t *testing.T) {
	e := newEnv(t, Options{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(q url.Values) *http.Response {
		res, err := noFollow.Get(e.ts.URL + "/_vendor/google/o/oauth2/v2/auth?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := get(url.Values{"client_id": {"c"}, "redirect_uri": {redirect + "?keep=1"}, "response_type": {"code"}, "state": {"s1"}})
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 302 || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s1" || loc.Query().Get("keep") != "1" {
		t.Errorf("redirect = %d %s", res.StatusCode, loc)
	}
	res = get(url.Values{"client_id": {"c"}, "redirect_uri": {redirect}, "response_type": {"code"}, "emulator_deny": {"true"}})
	loc, _ = url.Parse(res.Header.Get("Location"))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
		t.Errorf("denied redirect = %s", loc)
	}
	if res := get(url.Values{"client_id": {"c"}, "response_type": {"code"}}); res.StatusCode != 400 {
		t.Errorf("missing redirect_uri: %d", res.StatusCode)
	}
}

func TestOAuthCodeExchange(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Options{Now: clock.Now})

	code := e.authCode("client-id", "client-secret", redirect)
	r := e.do("POST", "/instances", uo, gmailCodeBody(code, nil))
	e.mustStatus(r, 200)
	m := r.json(t)
	id := int64(m["id"].(float64))
	cfg := cfgOf(t, m)
	for _, k := range []string{"oauth.user.token", "oauth.user.refresh_token", "oauth.api.key", "oauth.api.secret"} {
		if cfg[k] != "********" {
			t.Errorf("%s = %v, want masked", k, cfg[k])
		}
	}
	access, _ := e.s.SecretValue(id, "oauth.user.token")
	refresh, _ := e.s.SecretValue(id, "oauth.user.refresh_token")
	if !strings.HasPrefix(access, "ya29.") || !strings.HasPrefix(refresh, "1//") {
		t.Errorf("tokens not stored: %q %q", access, refresh)
	}
	if m["externalAuthentication"] != "none" {
		t.Errorf("externalAuthentication = %v", m["externalAuthentication"])
	}
	if got := e.s.Stats()["POST /instances"]; got != 1 {
		t.Errorf("the vendor exchange counted as an API call: %d", got)
	}

	failures := []struct {
		name string
		code func() string
		cfg  map[string]any
		msg  string
	}{
		{"reused code", func() string { return code }, nil, "invalid_grant"},
		{"unknown code", func() string { return "4/made-up" }, nil, "invalid_grant"},
		{"expired code", func() string {
			c := e.authCode("client-id", "client-secret", redirect)
			clock.Advance(10*time.Minute + time.Second)
			return c
		}, nil, "invalid_grant"},
		{"redirect mismatch", func() string { return e.authCode("client-id", "client-secret", redirect) },
			map[string]any{"oauth.callback.url": "https://evil.example.com/cb"}, "redirect_uri_mismatch"},
		{"client id mismatch", func() string { return e.authCode("client-id", "client-secret", redirect) },
			map[string]any{"oauth.api.key": "other-client"}, "invalid_grant"},
		{"client secret mismatch", func() string { return e.authCode("client-id", "client-secret", redirect) },
			map[string]any{"oauth.api.secret": "wrong"}, "invalid_client"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			before := e.s.InstanceCount()
			r := e.do("POST", "/instances", uo, gmailCodeBody(tc.code(), tc.cfg))
			e.mustStatus(r, 400)
			body := r.json(t)
			if pm, _ := body["providerMessage"].(string); !strings.Contains(pm, tc.msg) {
				t.Errorf("providerMessage = %q, want %s", pm, tc.msg)
			}
			if !hex24.MatchString(fmt.Sprint(body["requestId"])) || body["message"] == nil {
				t.Errorf("error body = %v", body)
			}
			if e.s.InstanceCount() != before {
				t.Error("instance created despite the failed exchange")
			}
		})
	}

	t.Run("code still valid just before expiry", func(t *testing.T) {
		c := e.authCode("client-id", "client-secret", redirect)
		clock.Advance(9 * time.Minute)
		e.mustStatus(e.do("POST", "/instances", uo, gmailCodeBody(c, nil)), 200)
	})

	t.Run("PATCH with a new code re-authenticates", func(t *testing.T) {
		c := e.authCode("client-id", "client-secret", redirect)
		r := e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{"providerData": map[string]any{"code": c}})
		e.mustStatus(r, 200)
		if _, ok := r.json(t)["providerData"]; ok {
			t.Error("providerData returned")
		}
		if now, _ := e.s.SecretValue(id, "oauth.user.token"); now == access || now == "" {
			t.Errorf("token not replaced: %q", now)
		}
		r = e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{"providerData": map[string]any{"code": c}})
		e.mustStatus(r, 400)
		if !strings.Contains(string(r.body), "providerMessage") {
			t.Errorf("no providerMessage: %s", r.body)
		}
	})

	t.Run("PUT with a new code re-authenticates, without keeps tokens", func(t *testing.T) {
		before, _ := e.s.SecretValue(id, "oauth.user.token")
		body := gmailCodeBody(e.authCode("client-id", "client-secret", redirect), nil)
		e.mustStatus(e.do("PUT", fmt.Sprintf("/instances/%d", id), uo, body), 200)
		after, _ := e.s.SecretValue(id, "oauth.user.token")
		if after == before {
			t.Error("PUT with a code did not replace the token")
		}
		delete(body, "providerData")
		body["configuration"].(map[string]any)["oauth.api.secret"] = "********"
		e.mustStatus(e.do("PUT", fmt.Sprintf("/instances/%d", id), uo, body), 200)
		if kept, _ := e.s.SecretValue(id, "oauth.user.token"); kept != after {
			t.Error("PUT without a code lost the token")
		}
		if s, _ := e.s.SecretValue(id, "oauth.api.secret"); s != "client-secret" {
			t.Errorf("api secret = %q", s)
		}
	})
}

func TestExternalAuthenticationInitial(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/instances", uo, gmailExternalBody("ext", nil))
	e.mustStatus(r, 200)
	m := r.json(t)
	if m["externalAuthentication"] != "initial" {
		t.Errorf("externalAuthentication = %v", m["externalAuthentication"])
	}
	id := int64(m["id"].(float64))
	if v, _ := e.s.SecretValue(id, "oauth.user.refresh_token"); v != "1//refresh" {
		t.Errorf("refresh token = %q", v)
	}
	if cfgOf(t, m)["oauth.user.refresh_token"] != "********" {
		t.Error("refresh token not masked")
	}
	r = e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{"name": "still external"})
	e.mustStatus(r, 200)
	if r.json(t)["externalAuthentication"] != "initial" {
		t.Error("PATCH lost externalAuthentication")
	}
}

// TestGmailDocumentedExample sends the request of the Gmail events page.
func TestGmailDocumentedExample(t *testing.T) {
	e := newEnv(t, Options{})
	code := e.authCode("xxxxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxx", "https://auth.mycoolapp.com/oauth")
	body := fmt.Sprintf(`{
"element": {
  "key": "gmail"
},
"providerData":{
  "code": %q
},
"configuration": {
    "oauth.api.key": "xxxxxxxxxxxxxxxxxx",
    "oauth.api.secret": "xxxxxxxxxxxxxxxxxxxxxxxx",
    "oauth.callback.url":"https://auth.mycoolapp.com/oauth",
    "event.notification.enabled": true,
      "event.notification.callback.url": "https://cloud-element.com/elements/api-v2/events/page.elementKey/",
    "event.poller.refresh_interval": "15",
    "event.poller.configuration":{
      "changed-messages": {
        "url": "/hubs/general/changed-messages",
        "idField": "id"
      }
    }
  },
  "tags": [
    "Docs"
  ],
  "name": "API Instance with Polling"
}`, code)
	r := e.do("POST", "/instances", uo, body)
	e.mustStatus(r, 200)
	m := r.json(t)
	if tok, _ := m["token"].(string); tok == "" {
		t.Fatal("no token")
	}
	cfg := cfgOf(t, m)
	if m["name"] != "API Instance with Polling" || fmt.Sprint(m["tags"]) != "[Docs]" || m["eventsEnabled"] != true {
		t.Errorf("instance = %v", m)
	}
	if cfg["event.poller.refresh_interval"] != "15" || cfg["event.notification.enabled"] != "true" {
		t.Errorf("configuration = %v", cfg)
	}
	if pc, _ := cfg["event.poller.configuration"].(string); !strings.Contains(pc, `"url": "/hubs/general/changed-messages"`) {
		t.Errorf("poller configuration = %v", cfg["event.poller.configuration"])
	}
}

func TestOAuthURLIsNotHTMLEscaped(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/elements/gmail/oauth/url?apiKey=id&apiSecret=s&callbackUrl=https://x.example/cb", uo, nil)
	if r.status != 200 || strings.Contains(string(r.body), `\u0026`) || !strings.Contains(string(r.body), "&prompt=consent") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
