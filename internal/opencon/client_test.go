package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testUserSecret = "usr-S3cr3t-ABCD1234"
	testOrgSecret  = "org-S3cr3t-WXYZ9876"
)

// recorded is one request as a test server saw it.
type recorded struct {
	Method  string
	Path    string // escaped
	Query   string // raw
	Body    []byte
	Header  http.Header
	Arrival time.Time
}

// recorder is a test server that records requests and answers with the
// responses queued by the test, repeating the last one.
type recorder struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
	resp []func(w http.ResponseWriter, r *http.Request)
}

func newRecorder(t *testing.T, responses ...func(w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rec := &recorder{t: t, resp: responses}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		n := len(rec.reqs)
		rec.reqs = append(rec.reqs, recorded{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Body: body, Header: r.Header.Clone(), Arrival: time.Now(),
		})
		var h func(w http.ResponseWriter, r *http.Request)
		switch {
		case len(rec.resp) == 0:
			h = jsonResponse(200, `{}`)
		case n < len(rec.resp):
			h = rec.resp[n]
		default:
			h = rec.resp[len(rec.resp)-1]
		}
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

func jsonResponse(status int, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func rawResponse(status int, contentType, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func testConfig(baseURL string) Config {
	return Config{
		BaseURL:            baseURL,
		UserSecret:         testUserSecret,
		OrganizationSecret: testOrgSecret,
		UserAgent:          "test-agent/1.0",
		RetryWaitMin:       time.Millisecond,
		RetryWaitMax:       5 * time.Millisecond,
	}
}

func newTestClient(t *testing.T, baseURL string, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := testConfig(baseURL)
	for _, m := range mods {
		m(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// logCapture is a Logger that collects every record as text. A disabled
// one must be sent nothing.
type logCapture struct {
	mu       sync.Mutex
	disabled bool
	records  []string
	fields   []map[string]any
}

func (l *logCapture) Enabled(context.Context, Level) bool { return !l.disabled }

func (l *logCapture) Log(_ context.Context, level Level, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, _ := json.Marshal(fields)
	l.records = append(l.records, msg+" "+string(b))
	cp := make(map[string]any, len(fields))
	for k, v := range fields {
		cp[k] = v
	}
	cp["msg"] = msg
	cp["level"] = level
	l.fields = append(l.fields, cp)
}

// at returns the records of one level.
func (l *logCapture) at(level Level) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, f := range l.fields {
		if f["level"] == level {
			out = append(out, f)
		}
	}
	return out
}

func (l *logCapture) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.records, "\n")
}

func TestNewClientBaseURLForms(t *testing.T) {
	rec := newRecorder(t, jsonResponse(200, `{"id":1}`))
	host := rec.srv.URL
	for _, base := range []string{host, host + "/", host + "/elements/api-v2", host + "/elements/api-v2/", host + "/elements/api-v2//"} {
		t.Run(base, func(t *testing.T) {
			c := newTestClient(t, base)
			if got, want := c.BaseURL(), host+"/elements/api-v2"; got != want {
				t.Errorf("BaseURL() = %q, want %q", got, want)
			}
			before := rec.count()
			if _, err := c.GetInstance(context.Background(), 1); err != nil {
				t.Fatalf("GetInstance: %v", err)
			}
			reqs := rec.requests()
			if len(reqs) != before+1 {
				t.Fatalf("server saw %d new requests, want 1", len(reqs)-before)
			}
			if got := reqs[len(reqs)-1].Path; got != "/elements/api-v2/instances/1" {
				t.Errorf("path = %q, want /elements/api-v2/instances/1", got)
			}
		})
	}

	c := newTestClient(t, "https://example.com/proxy/")
	if got, want := c.BaseURL(), "https://example.com/proxy/elements/api-v2"; got != want {
		t.Errorf("BaseURL() with a prefix = %q, want %q", got, want)
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"empty url":        func(c *Config) { c.BaseURL = "" },
		"unparsable url":   func(c *Config) { c.BaseURL = "http://[::1" },
		"no scheme":        func(c *Config) { c.BaseURL = "example.com/elements/api-v2" },
		"ftp scheme":       func(c *Config) { c.BaseURL = "ftp://example.com" },
		"no host":          func(c *Config) { c.BaseURL = "https://" },
		"query":            func(c *Config) { c.BaseURL = "https://example.com/?a=b" },
		"empty user":       func(c *Config) { c.UserSecret = "" },
		"blank org":        func(c *Config) { c.OrganizationSecret = "  " },
		"header injection": func(c *Config) { c.UserSecret = "a\r\nX-Evil: 1" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig("https://example.com")
			mod(&cfg)
			c, err := NewClient(cfg)
			if err == nil {
				t.Fatalf("NewClient succeeded with %s: %+v", name, c)
			}
			if strings.Contains(err.Error(), testUserSecret) || strings.Contains(err.Error(), testOrgSecret) {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	c := newTestClient(t, "https://example.com", func(c *Config) {
		c.MaxRetries, c.RetryWaitMin, c.RetryWaitMax, c.UserAgent = nil, 0, 0, ""
	})
	if c.retryMax != 4 || c.http.RetryMax != 4 || c.retryWaitMin != 500*time.Millisecond || c.waitMax != 30*time.Second {
		t.Errorf("defaults = %d %v %v, want 4 500ms 30s", c.retryMax, c.retryWaitMin, c.waitMax)
	}
	if got := c.gate.attemptTimeout; got != 60*time.Second || c.http.HTTPClient.Timeout != 0 {
		t.Errorf("default request timeout = %v (client timeout %v), want 60s timed by the gate", got, c.http.HTTPClient.Timeout)
	}
	if got := cap(c.gate.slots); got != DefaultMaxConcurrentRequests || c.gate.limiter != nil {
		t.Errorf("default concurrency %d, limiter %v; want %d and none", got, c.gate.limiter, DefaultMaxConcurrentRequests)
	}
	if c.userAgent != "terraform-provider-opencon" {
		t.Errorf("default user agent = %q", c.userAgent)
	}
	c = newTestClient(t, "https://example.com", func(c *Config) { c.MaxRetries, c.RequestTimeout = new(0), 5*time.Second })
	if c.http.RetryMax != 0 {
		t.Errorf("MaxRetries 0 gave %d retries, want 0", c.http.RetryMax)
	}
	if got := c.gate.attemptTimeout; got != 5*time.Second {
		t.Errorf("request timeout = %v, want 5s", got)
	}
	c = newTestClient(t, "https://example.com", func(c *Config) { c.MaxRequestsPerSecond, c.MaxConcurrentRequests = 2.5, 3 })
	if cap(c.gate.slots) != 3 || c.gate.limiter == nil || float64(c.gate.limiter.Limit()) != 2.5 {
		t.Errorf("concurrency %d, limiter %v; want 3 and 2.5/s", cap(c.gate.slots), c.gate.limiter)
	}
	for name, mod := range map[string]func(*Config){
		"negative retries":     func(c *Config) { c.MaxRetries = new(-1) },
		"negative timeout":     func(c *Config) { c.RequestTimeout = -time.Second },
		"negative rate":        func(c *Config) { c.MaxRequestsPerSecond = -1 },
		"NaN rate":             func(c *Config) { c.MaxRequestsPerSecond = math.NaN() },
		"infinite rate":        func(c *Config) { c.MaxRequestsPerSecond = math.Inf(1) },
		"negative concurrency": func(c *Config) { c.MaxConcurrentRequests = -2 },
	} {
		if _, err := NewClient(func() Config { cfg := testConfig("https://example.com"); mod(&cfg); return cfg }()); err == nil {
			t.Errorf("NewClient accepted %s", name)
		}
	}
}

// TestNewClientBaseURLRule: https, or http only to a loopback host, so that
// the secrets never cross a network in clear.
func TestNewClientBaseURLRule(t *testing.T) {
	cases := []struct {
		url     string
		wantErr string
	}{
		{"https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2", ""},
		{"https://api.openconnectors.us2.ext.hana.ondemand.com", ""},
		{"http://127.0.0.1:8787/elements/api-v2", ""},
		{"http://localhost:8787", ""},
		{"http://[::1]:8787", ""},
		{"http://api.cloud-elements.com/elements/api-v2", "not loopback"},
		{"ftp://example.com", "must start with https://"},
		{"api.cloud-elements.com", "not an absolute URL"},
		{"", "not an absolute URL"},
		{"https://example.com/?a=b", "must not have a query"},
		{"http://jane:pa55word@example.com", "not loopback"},
	}
	for _, c := range cases {
		_, err := NewClient(testConfig(c.url))
		var bu *BaseURLError
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("NewClient(%q) = %v, want no error", c.url, err)
		case c.wantErr == "":
		case !errors.As(err, &bu):
			t.Errorf("NewClient(%q) = %v, want a *BaseURLError", c.url, err)
		case !strings.Contains(bu.Reason, c.wantErr):
			t.Errorf("NewClient(%q) reason = %q, want it to contain %q", c.url, bu.Reason, c.wantErr)
		case strings.Contains(bu.Reason, "pa55word"):
			t.Errorf("NewClient(%q) reason reveals the password: %q", c.url, bu.Reason)
		}
	}
}

func TestHeadersSent(t *testing.T) {
	rec := newRecorder(t, jsonResponse(200, `{"id":7}`))
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.UserAgent = "terraform-provider-opencon/0.1.0 Terraform/1.10.0" })
	ctx := context.Background()
	if _, err := c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetInstance(ctx, 7); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if got, want := r.Header.Get("Authorization"), "User "+testUserSecret+", Organization "+testOrgSecret; got != want {
			t.Errorf("%s Authorization = %q, want %q", r.Method, got, want)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("%s Accept = %q", r.Method, got)
		}
		if got := r.Header.Get("User-Agent"); got != "terraform-provider-opencon/0.1.0 Terraform/1.10.0" {
			t.Errorf("%s User-Agent = %q", r.Method, got)
		}
	}
	if got := reqs[0].Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("POST Content-Type = %q, want application/json", got)
	}
	if got := reqs[1].Header.Get("Content-Type"); got != "" {
		t.Errorf("GET without a body has Content-Type %q", got)
	}
}

func TestLoggerRecordsAttempts(t *testing.T) {
	rec := newRecorder(t,
		jsonResponse(503, `{"requestId":"r1","message":"busy"}`, "Elements-Request-Id", "r1"),
		jsonResponse(200, `{"id":5,"name":"n"}`, "Elements-Request-Id", "r2"),
	)
	var logs logCapture
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Logger = &logs })
	if _, err := c.GetInstance(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	var responses []map[string]any
	for _, f := range logs.fields {
		if f["msg"] == "opencon response" {
			responses = append(responses, f)
		}
	}
	if len(responses) != 2 {
		t.Fatalf("got %d response records, want 2:\n%s", len(responses), logs.text())
	}
	for i, f := range responses {
		if f["method"] != "GET" || f["path"] != "/instances/5" || f["attempt"] != i+1 {
			t.Errorf("record %d = %v", i, f)
		}
		if _, ok := f["duration"]; !ok {
			t.Errorf("record %d has no duration: %v", i, f)
		}
	}
	if responses[0]["status"] != 503 || responses[0]["request_id"] != "r1" {
		t.Errorf("first record = %v, want status 503 request_id r1", responses[0])
	}
	if responses[1]["status"] != 200 || responses[1]["request_id"] != "r2" {
		t.Errorf("second record = %v, want status 200 request_id r2", responses[1])
	}
}

// TestDisabledLoggerIsSentNothing: a Logger that is not enabled gets no
// record, so nothing is redacted or formatted for it.
func TestDisabledLoggerIsSentNothing(t *testing.T) {
	for _, disabled := range []bool{true, false} {
		rec := newRecorder(t,
			jsonResponse(503, `{"requestId":"r1","message":"busy"}`),
			jsonResponse(200, `{"id":5,"name":"n"}`),
		)
		logs := &logCapture{disabled: disabled}
		c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Logger = logs })
		if _, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "n", ProviderData: map[string]string{"code": "secret-code"}}); err == nil {
			t.Fatal("CreateInstance succeeded against a 503")
		}
		if _, err := c.GetInstance(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
		switch got := logs.text(); {
		case disabled && got != "":
			t.Errorf("a disabled Logger was sent records:\n%s", got)
		case !disabled && !strings.Contains(got, "opencon response body"):
			t.Errorf("an enabled Logger got no response body record, the test would prove nothing:\n%s", got)
		}
	}
}

// TestConnectionsAreReused: the client's own HTTP client keeps connections
// open across calls and retries.
func TestConnectionsAreReused(t *testing.T) {
	var conns, calls atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if calls.Add(1) == 2 {
			jsonResponse(503, `{"message":"busy"}`)(w, r)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/elements/api-v2/instances/")
		if id == "/elements/api-v2/instances" {
			id = "1"
		}
		jsonResponse(200, `{"id":`+id+`}`)(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	if _, err := c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	for id := range int64(4) {
		if _, err := c.GetInstance(ctx, id+1); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 6 || conns.Load() != 1 {
		t.Errorf("%d requests over %d connections, want 6 over 1", calls.Load(), conns.Load())
	}
}
