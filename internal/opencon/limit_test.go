package opencon

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryAfterIsCappedAndLogged: Retry-After: 86400 is waited for at most
// the cap, and every wait is logged at INFO with the request id.
func TestRetryAfterIsCappedAndLogged(t *testing.T) {
	rec := newRecorder(t,
		jsonResponse(429, `{"requestId":"rl-1","message":"Too Many Requests"}`, "Retry-After", "86400", "Elements-Request-Id", "rl-1"),
		jsonResponse(200, `{"id":1}`))
	var logs logCapture
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Logger = &logs })
	c.maxRetryAfter = 50 * time.Millisecond
	if _, err := c.GetInstance(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].Arrival.Sub(reqs[0].Arrival); gap < 50*time.Millisecond {
		t.Errorf("retried after %v, want at least the capped 50ms", gap)
	}
	info := logs.at(LevelInfo)
	if len(info) != 1 {
		t.Fatalf("INFO records = %v, want one", info)
	}
	if f := info[0]; f["request_id"] != "rl-1" || f["retry_after"] != "86400" || f["status"] != 429 || f["wait"] != "50ms" || f["path"] != "/instances/1" {
		t.Errorf("INFO record = %v", f)
	}
}

// TestDeadlineDuringRateLimit: when the wait a 429 asks for outlasts the
// operation's deadline, the call ends at once with an error naming the 429
// and its Retry-After rather than a bare "context deadline exceeded"; when
// the context ends during a wait, the error names the answer waited on.
func TestDeadlineDuringRateLimit(t *testing.T) {
	limited := jsonResponse(429, `{"requestId":"rl-2","message":"Too Many Requests"}`, "Retry-After", "30", "Elements-Request-Id", "rl-2")

	rec := newRecorder(t, limited)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := newTestClient(t, rec.srv.URL).ListInstances(ctx, ListInstancesOptions{})
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v: it waited although the wait could not end before the deadline", took)
	}
	for _, want := range []string{"GET /instances", "rate limited (429), Retry-After 30", "rl-2", "past the operation's deadline"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if rec.count() != 1 {
		t.Errorf("%d requests, want 1", rec.count())
	}

	rec = newRecorder(t, limited)
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = newTestClient(t, rec.srv.URL).GetInstance(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	for _, want := range []string{"GET /instances/1", "while waiting 30s to retry", "rate limited (429), Retry-After 30, request id rl-2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// TestA429HoldsOffEveryCall: the limit is the account's, so after a 429
// with Retry-After no call of the client is sent before it ends.
func TestA429HoldsOffEveryCall(t *testing.T) {
	var mu sync.Mutex
	var limitedAt time.Time
	arrivals := map[string]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/elements/api-v2/instances/1" && limitedAt.IsZero() {
			limitedAt = time.Now()
			jsonResponse(429, `{}`, "Retry-After", "1")(w, r)
			return
		}
		arrivals[r.URL.Path] = time.Now()
		jsonResponse(200, `{"id":`+strings.TrimPrefix(r.URL.Path, "/elements/api-v2/instances/")+`}`)(w, r)
	}))
	t.Cleanup(srv.Close)
	waiting := make(chan struct{}, 1)
	c := newTestClient(t, srv.URL, func(c *Config) { c.Logger = signalOnInfo(waiting) })
	c.maxRetryAfter = 300 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := c.GetInstance(context.Background(), 1); done <- err }()
	<-waiting // the client has taken in the 429 and waits
	if _, err := c.GetInstance(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := arrivals["/elements/api-v2/instances/2"].Sub(limitedAt); gap < 250*time.Millisecond {
		t.Errorf("another call went %v after the 429, want it held off for the 300ms wait", gap)
	}
}

// TestConcurrentRequestsAreCapped: with MaxConcurrentRequests 2, twelve
// calls at once never have more than two requests at the server.
func TestConcurrentRequestsAreCapped(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		jsonResponse(200, `{"id":1}`)(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxConcurrentRequests = 2; c.HTTPClient = nil })
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.GetInstance(context.Background(), 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak of %d requests in flight, want at most 2", p)
	}
}

// TestRequestRateIsLimited: at 20 requests a second, five attempts (retries
// included) cannot all be sent in less than 200ms, however they are
// scheduled; a call whose turn would come after its deadline is not sent
// and says why.
func TestRequestRateIsLimited(t *testing.T) {
	rec := newRecorder(t, jsonResponse(200, `{"id":1}`), jsonResponse(503, `{}`), jsonResponse(200, `{"id":1}`))
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.MaxRequestsPerSecond = 20 })
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.GetInstance(context.Background(), 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := rec.count(); n != 5 {
		t.Fatalf("%d requests, want 5 (4 calls, one retried)", n)
	}
	// Tokens come every 50ms from a bucket of one: the fifth at 200ms.
	if took := time.Since(start); took < 195*time.Millisecond {
		t.Errorf("5 requests at 20/s took %v, want at least 200ms", took)
	}

	slow := newRecorder(t, jsonResponse(200, `{"id":1}`))
	c = newTestClient(t, slow.srv.URL, func(c *Config) { c.MaxRequestsPerSecond = 0.5 })
	if _, err := c.CreateInstance(context.Background(), netsuite("first")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.CreateInstance(ctx, netsuite("second"))
	if err == nil || errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "max_requests_per_second") || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("err = %v, want a non-ambiguous refusal naming the rate limit", err)
	}
	if slow.count() != 1 {
		t.Errorf("%d requests, want only the first", slow.count())
	}
}

// signalOnInfo is a Logger that signals each INFO record (a wait before a
// retry) on ch.
type signalOnInfo chan struct{}

func (signalOnInfo) Enabled(_ context.Context, level Level) bool { return level == LevelInfo }
func (s signalOnInfo) Log(context.Context, Level, string, map[string]any) {
	select {
	case s <- struct{}{}:
	default:
	}
}
