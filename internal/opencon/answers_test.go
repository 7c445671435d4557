package opencon

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReadAnswersMustNameTheInstance: a 2xx to GET, PATCH or PUT of
// /instances/5 that is null, has no id or names another instance is an
// error naming the call, the status and the request id; a create answered
// without an id may have created one.
func TestReadAnswersMustNameTheInstance(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *Client) (*Instance, error){
		"GET /instances/5": func(c *Client) (*Instance, error) { return c.GetInstance(ctx, 5) },
		"PATCH /instances/5": func(c *Client) (*Instance, error) {
			return c.UpdateInstance(ctx, 5, UpdateInstanceRequest{Name: ptr("n")})
		},
		"PUT /instances/5": func(c *Client) (*Instance, error) { return c.ReplaceInstance(ctx, 5, netsuite("n")) },
	}
	for body, want := range map[string]string{
		`null`:                 "body is null",
		`{}`:                   "carries no instance id, expected instance 5",
		`{"name":"n"}`:         "carries no instance id, expected instance 5",
		`{"id":6,"name":"n"}`:  "is instance 6, expected instance 5",
		`{"id":-5,"name":"n"}`: "is instance -5, expected instance 5",
	} {
		for call, do := range calls {
			t.Run(call+" "+body, func(t *testing.T) {
				rec := newRecorder(t, jsonResponse(200, body, "Elements-Request-Id", "rid-e"))
				inst, err := do(newTestClient(t, rec.srv.URL))
				if inst != nil || err == nil {
					t.Fatalf("= %+v, %v; want an error", inst, err)
				}
				for _, w := range []string{call, "200 response", "rid-e", want} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, err)
					}
				}
				if errors.Is(err, ErrAmbiguous) {
					t.Errorf("an idempotent call reported ErrAmbiguous: %v", err)
				}
			})
		}
	}

	rec := newRecorder(t, jsonResponse(200, `{"name":"n","token":"t"}`, "Elements-Request-Id", "rid-c"))
	_, err := newTestClient(t, rec.srv.URL).CreateInstance(ctx, netsuite("n"))
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "no instance id") || !strings.Contains(err.Error(), "rid-c") {
		t.Errorf("create answered without an id: %v, want ErrAmbiguous naming the answer", err)
	}

	rec = newRecorder(t, jsonResponse(200, `{"id":9,"key":"k","propertyValue":"v"}`))
	_, err = newTestClient(t, rec.srv.URL).UpdateInstanceConfiguration(ctx, 5, ConfigurationEntry{ID: 8, Key: "k"})
	if err == nil || !strings.Contains(err.Error(), "is configuration entry 9, expected entry 8") {
		t.Errorf("configuration answer for another entry: %v", err)
	}
}

// TestReauthenticationIsNotRepeated: a PATCH or PUT carrying providerData
// (a one-time code) is answered 503 or loses its connection: not retried,
// ErrAmbiguous, so the caller reads the instance before deciding. The same
// PATCH without a code is retried.
func TestReauthenticationIsNotRepeated(t *testing.T) {
	ctx := context.Background()
	withCode := UpdateInstanceRequest{ProviderData: map[string]string{"code": "one-time"}}
	for _, status := range []int{503, 500} {
		rec := newRecorder(t, jsonResponse(status, `{"requestId":"r","message":"upstream"}`), jsonResponse(200, `{"id":5}`))
		_, err := newTestClient(t, rec.srv.URL).UpdateInstance(ctx, 5, withCode)
		if !errors.Is(err, ErrAmbiguous) || rec.count() != 1 {
			t.Errorf("PATCH with a code answered %d: %v after %d requests; want ErrAmbiguous after 1", status, err, rec.count())
		}
		rec = newRecorder(t, jsonResponse(status, `{"requestId":"r","message":"upstream"}`), jsonResponse(200, `{"id":5}`))
		put := netsuite("n")
		put.ProviderData = map[string]string{"code": "one-time"}
		_, err = newTestClient(t, rec.srv.URL).ReplaceInstance(ctx, 5, put)
		if !errors.Is(err, ErrAmbiguous) || rec.count() != 1 {
			t.Errorf("PUT with a code answered %d: %v after %d requests; want ErrAmbiguous after 1", status, err, rec.count())
		}
	}

	var count atomic.Int32
	srv := hangUpAfterBody(t, &count)
	_, err := newTestClient(t, srv.URL).UpdateInstance(ctx, 5, withCode)
	if !errors.Is(err, ErrAmbiguous) || count.Load() != 1 {
		t.Errorf("PATCH with a code, connection lost: %v after %d requests; want ErrAmbiguous after 1", err, count.Load())
	}

	// Rate limited: refused before processing, so retried even with a code.
	rec := newRecorder(t, jsonResponse(429, `{}`, "Retry-After", "0"), jsonResponse(200, `{"id":5}`))
	if _, err := newTestClient(t, rec.srv.URL).UpdateInstance(ctx, 5, withCode); err != nil || rec.count() != 2 {
		t.Errorf("PATCH with a code after a 429: %v after %d requests; want success after 2", err, rec.count())
	}
	rec = newRecorder(t, jsonResponse(503, `{}`), jsonResponse(200, `{"id":5}`))
	if _, err := newTestClient(t, rec.srv.URL).UpdateInstance(ctx, 5, UpdateInstanceRequest{Name: ptr("n")}); err != nil || rec.count() != 2 {
		t.Errorf("plain PATCH after a 503: %v after %d requests; want success after 2", err, rec.count())
	}
}

// TestDeleteAfterARetryTreats404AsDone: the first DELETE is applied but its
// answer lost (here: a 502); the retry's 404 means it is gone. A 404 to the
// first attempt is still ErrNotFound.
func TestDeleteAfterARetryTreats404AsDone(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(t, jsonResponse(502, `{}`), jsonResponse(404, `{"requestId":"r","message":"No element instance found with id 5"}`))
	if err := newTestClient(t, rec.srv.URL).DeleteInstance(ctx, 5); err != nil || rec.count() != 2 {
		t.Errorf("DELETE 502 then 404 = %v after %d requests; want nil after 2", err, rec.count())
	}
	rec = newRecorder(t, jsonResponse(404, `{"requestId":"r","message":"No element instance found with id 5"}`))
	if err := newTestClient(t, rec.srv.URL).DeleteInstance(ctx, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("DELETE 404 = %v, want ErrNotFound", err)
	}
	var count atomic.Int32
	srv := hangUpAfterBody(t, &count)
	if err := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = new(1) }).DeleteInstance(ctx, 5); err == nil || count.Load() != 2 {
		t.Errorf("DELETE without answers = %v after %d requests; want an error after 2", err, count.Load())
	}
}
