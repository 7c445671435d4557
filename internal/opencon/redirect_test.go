package opencon

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectToPlainHTTPIsRefused: an https:// base URL answering 307 to
// http:// on the same host and another port must not make the client send
// anything there; Go would otherwise re-send the POST body (an OAuth code,
// a client secret) and keep the Authorization header, in clear.
func TestRedirectToPlainHTTPIsRefused(t *testing.T) {
	var leaked atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		jsonResponse(200, `{"id":1,"name":"erp"}`)(w, r)
	}))
	t.Cleanup(plain.Close)
	target, _ := url.Parse(plain.URL)

	var received atomic.Int32
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		received.Add(1)
		w.Header().Set("Elements-Request-Id", "tls-rid")
		// Same host, other port, plain http, the secrets in the query.
		w.Header().Set("Location", "http://"+target.Host+r.URL.Path+"?code="+hostileCode)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	t.Cleanup(secure.Close)
	// The test server's client trusts its certificate and follows
	// redirects; the client must override the latter.
	c := newTestClient(t, secure.URL, func(c *Config) { c.HTTPClient = secure.Client() })
	ctx := context.Background()

	req := netsuite("erp")
	req.ProviderData = map[string]string{"code": hostileCode}
	req.Configuration[KeyOAuthAPISecret] = hostileAPISecret
	_, err := c.CreateInstance(ctx, req)
	var redirect *RedirectError
	if !errors.As(err, &redirect) {
		t.Fatalf("err = %v (%T), want a *RedirectError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"POST /instances", "307 Temporary Redirect", "tls-rid", "http://" + target.Host, "refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	for _, secret := range hostileSecrets {
		if strings.Contains(msg, secret) {
			t.Errorf("error reveals %q: %s", secret, msg)
		}
	}
	if errors.Is(err, ErrAmbiguous) {
		t.Errorf("a 307 asks for the request elsewhere, so nothing was processed; got ErrAmbiguous: %v", err)
	}
	if _, err := c.GetInstance(ctx, 1); !errors.As(err, &redirect) {
		t.Errorf("GET err = %v, want a *RedirectError", err)
	}
	if leaked.Load() != 0 {
		t.Errorf("the plain http server received %d requests", leaked.Load())
	}
	if received.Load() != 2 {
		t.Errorf("the TLS server received %d requests, want 2: a redirect is not retried", received.Load())
	}
}

// TestRedirectOnListIsAnErrorNotAnEmptyList: a 302 to a host that answers
// 404 must not read as "no instances".
func TestRedirectOnListIsAnErrorNotAnEmptyList(t *testing.T) {
	var followed atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		jsonResponse(404, `{"message":"No element instances found"}`)(w, r)
	}))
	t.Cleanup(elsewhere.Close)
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	c := newTestClient(t, rec.srv.URL)
	list, err := c.ListInstances(context.Background(), ListInstancesOptions{})
	if err == nil || list != nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("ListInstances = %v, %v; want a redirect error", list, err)
	}
	if !strings.Contains(err.Error(), "302 Found") || !strings.Contains(err.Error(), elsewhere.URL) {
		t.Errorf("err = %v", err)
	}
	if followed.Load() != 0 || rec.count() != 1 {
		t.Errorf("redirect followed %d times, %d requests; want 0 and 1", followed.Load(), rec.count())
	}
}

// TestRedirectAfterPostMayMeanDone: a 303 (or 301, 302) after a POST may
// mean "created, see there", so its outcome is unknown; 307 and 308 are not.
func TestRedirectAfterPostMayMeanDone(t *testing.T) {
	for status, ambiguous := range map[int]bool{301: true, 302: true, 303: true, 307: false, 308: false} {
		rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/elements/api-v2/instances/5")
			w.WriteHeader(status)
		})
		_, err := newTestClient(t, rec.srv.URL).CreateInstance(context.Background(), netsuite("erp"))
		if got := errors.Is(err, ErrAmbiguous); got != ambiguous {
			t.Errorf("%d after POST: ambiguous %v, want %v (%v)", status, got, ambiguous, err)
		}
		if rec.count() != 1 {
			t.Errorf("%d: %d requests, want 1", status, rec.count())
		}
	}
}
