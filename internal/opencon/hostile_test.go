package opencon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	hostileCode      = "hostile-code-Q1W2E3R4"
	hostileAPISecret = "hostile-api-secret-T5Y6"
	hostileRequestID = "hostile-rid-77"
)

// hostileSecrets must appear in no error, whatever the server answers.
var hostileSecrets = []string{testUserSecret, testOrgSecret, hostileCode, hostileAPISecret}

// hostileCase is a server that misbehaves in one way. Its answers echo the
// Authorization header and the request body, as a careless server might.
type hostileCase struct {
	name string
	// status is the status the server answers, 0 when it answers none.
	status int
	// want is text every error must contain besides method, path, status
	// and request id.
	want    string
	handler func(w http.ResponseWriter, r *http.Request, echo string)
	client  func(*Config)
	after   func(*Client)
}

func hostileCases(stop <-chan struct{}) []hostileCase {
	respond := func(status int, contentType, body string) func(http.ResponseWriter, *http.Request, string) {
		return func(w http.ResponseWriter, _ *http.Request, echo string) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, strings.ReplaceAll(body, "ECHO", echo))
		}
	}
	return []hostileCase{
		{name: "HTML page with 200", status: 200, want: `Content-Type is "text/html`,
			handler: respond(200, "text/html", "<html><body>Please log in. ECHO</body></html>")},
		{name: "HTML page with 500", status: 500, want: "<html><body>Internal error",
			handler: respond(500, "text/html", "<html><body>Internal error ECHO</body></html>")},
		{name: "truncated JSON", status: 200, want: "cannot decode body",
			handler: respond(200, "application/json", `{"id":1,"name":"ECHO`)},
		{name: "2xx of the wrong shape", status: 200, want: "",
			handler: respond(200, "application/json", `{"items":[{"id":1,"name":"erp"}]}`)},
		{name: "200 null", status: 200, want: "body is null",
			handler: respond(200, "application/json", `null`)},
		{name: "wrong Content-Type", status: 200, want: `Content-Type is "application/xml"`,
			handler: respond(200, "application/xml", `{"id":1,"echo":"ECHO"}`)},
		{name: "body larger than the cap", status: 200, want: "response body larger than 4096 bytes",
			handler: respond(200, "application/json", `[{"id":1,"name":"`+strings.Repeat("x", 8192)+`ECHO"}]`),
			after:   func(c *Client) { c.maxBody = 4096 }},
		{name: "accepts and never answers", status: 0, want: "no answer within the request timeout of 100ms",
			handler: func(_ http.ResponseWriter, r *http.Request, _ string) {
				select {
				case <-r.Context().Done():
				case <-stop:
				}
			},
			client: func(c *Config) { c.RequestTimeout = 100 * time.Millisecond }},
		{name: "redirect to another host", status: 302, want: "redirecting to http://elsewhere.example:8080: refused",
			handler: func(w http.ResponseWriter, r *http.Request, _ string) {
				http.Redirect(w, r, "http://elsewhere.example:8080/steal?code="+hostileCode, http.StatusFound)
			}},
	}
}

// TestHostileServers: whatever a server answers, every call ends in an
// error naming the request (method, path, status, request id), never a
// panic, never a secret, and a create is sent once, its error saying
// whether an instance may exist.
func TestHostileServers(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	for _, hc := range hostileCases(stop) {
		t.Run(hc.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method == http.MethodPost {
					posts.Add(1)
				}
				w.Header().Set("Elements-Request-Id", hostileRequestID)
				hc.handler(w, r, r.Header.Get("Authorization")+" "+string(body))
			}))
			t.Cleanup(srv.Close)
			mods := []func(*Config){func(c *Config) { c.MaxRetries = new(1); c.HTTPClient = nil }}
			if hc.client != nil {
				mods = append(mods, hc.client)
			}
			c := newTestClient(t, srv.URL, mods...)
			if hc.after != nil {
				hc.after(c)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			check := func(op, methodPath string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s succeeded against a hostile server", op)
				}
				msg := err.Error()
				wants := []string{methodPath, hc.want}
				if hc.status != 0 {
					wants = append(wants, fmt.Sprint(hc.status), hostileRequestID)
				}
				for _, want := range wants {
					if !strings.Contains(msg, want) {
						t.Errorf("%s error lacks %q: %s", op, want, msg)
					}
				}
				for _, secret := range hostileSecrets {
					if strings.Contains(msg, secret) {
						t.Errorf("%s error reveals %q: %s", op, secret, msg)
					}
				}
			}

			inst, err := c.GetInstance(ctx, 1)
			if inst != nil {
				t.Errorf("GetInstance returned %+v", inst)
			}
			check("GetInstance", "GET /instances/1", err)
			list, err := c.ListInstances(ctx, ListInstancesOptions{})
			if list != nil {
				t.Errorf("ListInstances returned %v", list)
			}
			check("ListInstances", "GET /instances", err)

			req := netsuite("erp")
			req.ProviderData = map[string]string{"code": hostileCode}
			req.Configuration[KeyOAuthAPISecret] = hostileAPISecret
			res, err := c.CreateInstanceReconciled(ctx, req)
			if res != nil {
				t.Errorf("CreateInstanceReconciled returned %+v", res)
			}
			check("CreateInstanceReconciled", "POST /instances", err)
			if n := posts.Load(); n != 1 {
				t.Errorf("POST sent %d times, want once", n)
			}
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("a create against a server that may have processed it is not ErrAmbiguous: %v", err)
			}
			if !strings.Contains(err.Error(), "so one may exist") {
				t.Errorf("the create error does not say an instance may exist: %s", err)
			}
		})
	}
}
