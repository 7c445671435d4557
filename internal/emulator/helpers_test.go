package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	uo      = "User dev-user-secret, Organization dev-organization-secret"
	apiBase = "/elements/api-v2"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t  *testing.T
	s  *Server
	ts *httptest.Server
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &env{t: t, s: s, ts: ts}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON array: %v: %s", err, r.body)
	}
	return m
}

// do sends an API call; body may be nil, a string (sent raw) or a value to marshal.
func (e *env) do(method, path, auth string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	u := e.ts.URL + path
	if !strings.HasPrefix(path, "/_") {
		u = e.ts.URL + apiBase + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

func (e *env) mustStatus(r resp, want int) {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status = %d, want %d; body: %s", r.status, want, r.body)
	}
}

func netsuiteBody(name string) map[string]any {
	return map[string]any{
		"element": map[string]any{"key": "netsuiteerp"},
		"name":    name,
		"configuration": map[string]any{
			"user.username":      "ops@example.com",
			"user.password":      "hunter2",
			"netsuite.accountId": "TSTDRV123",
		},
	}
}

// createNetsuite creates an instance and returns its id and token.
func (e *env) createNetsuite(name string, mutate func(map[string]any)) (int64, string, map[string]any) {
	e.t.Helper()
	b := netsuiteBody(name)
	if mutate != nil {
		mutate(b)
	}
	r := e.do("POST", "/instances", uo, b)
	e.mustStatus(r, 200)
	m := r.json(e.t)
	return int64(m["id"].(float64)), m["token"].(string), m
}

func gmailExternalBody(name string, cfg map[string]any) map[string]any {
	c := map[string]any{
		"oauth.api.key":            "client-id",
		"oauth.api.secret":         "client-secret",
		"oauth.user.refresh_token": "1//refresh",
	}
	for k, v := range cfg {
		c[k] = v
	}
	return map[string]any{
		"element":                map[string]any{"key": "gmail"},
		"name":                   name,
		"externalAuthentication": "initial",
		"configuration":          c,
	}
}

func (e *env) createGmail(name string, cfg map[string]any) (int64, string) {
	e.t.Helper()
	r := e.do("POST", "/instances", uo, gmailExternalBody(name, cfg))
	e.mustStatus(r, 200)
	m := r.json(e.t)
	return int64(m["id"].(float64)), m["token"].(string)
}

// authCode runs the browser part of the OAuth flow: fetch the platform's
// OAuth URL, visit it, and read the code from the redirect.
func (e *env) authCode(clientID, secret, redirect string) string {
	e.t.Helper()
	q := url.Values{"apiKey": {clientID}, "apiSecret": {secret}, "callbackUrl": {redirect}}
	r := e.do("GET", "/elements/gmail/oauth/url?"+q.Encode(), uo, nil)
	e.mustStatus(r, 200)
	oauthURL := r.json(e.t)["oauthUrl"].(string)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(oauthURL)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize status = %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code in redirect %s", loc)
	}
	return code
}

func cfgOf(t *testing.T, inst map[string]any) map[string]any {
	t.Helper()
	c, ok := inst["configuration"].(map[string]any)
	if !ok {
		t.Fatalf("no configuration in %v", inst)
	}
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// pollCount is how many times the poller has polled an instance.
func (s *Server) pollCount(id int64) int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.polls[id]
}
