package opencon

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestIdempotentCallsRetryThenSucceed(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"GET": func(c *Client) error { _, err := c.GetInstance(ctx, 1); return err },
		"PATCH": func(c *Client) error {
			_, err := c.UpdateInstance(ctx, 1, UpdateInstanceRequest{Name: ptr("renamed")})
			return err
		},
		"PUT": func(c *Client) error {
			_, err := c.ReplaceInstance(ctx, 1, CreateInstanceRequest{Name: "renamed"})
			return err
		},
		"DELETE": func(c *Client) error { return c.DeleteInstance(ctx, 1) },
	}
	for method, call := range calls {
		for _, status := range []int{503, 502, 504, 500, 429} {
			t.Run(method+" "+http.StatusText(status), func(t *testing.T) {
				rec := newRecorder(t,
					jsonResponse(status, `{"requestId":"r1","message":"try later"}`),
					jsonResponse(status, `{"requestId":"r2","message":"try later"}`),
					jsonResponse(200, `{"id":1,"name":"renamed"}`),
				)
				c := newTestClient(t, rec.srv.URL)
				if err := call(c); err != nil {
					t.Fatalf("%s: %v", method, err)
				}
				reqs := rec.requests()
				if len(reqs) != 3 {
					t.Fatalf("server saw %d requests, want 3", len(reqs))
				}
				for _, r := range reqs[1:] {
					if r.Method != method || string(r.Body) != string(reqs[0].Body) {
						t.Errorf("retry = %s %q, want %s %q", r.Method, r.Body, method, reqs[0].Body)
					}
				}
			})
		}
	}
}

func TestNoRetryOnDefiniteAnswers(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 501} {
		rec := newRecorder(t, jsonResponse(status, `{"requestId":"r","message":"m"}`))
		c := newTestClient(t, rec.srv.URL)
		if _, err := c.GetInstance(context.Background(), 1); err == nil {
			t.Errorf("status %d: no error", status)
		}
		if rec.count() != 1 {
			t.Errorf("status %d was retried: %d requests", status, rec.count())
		}
	}
}

func TestRetriesExhaustedReturnLastAPIError(t *testing.T) {
	rec := newRecorder(t, jsonResponse(503, `{"requestId":"5b0437c6e4b07731ae39b533","message":"Service unavailable"}`))
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.MaxRetries = new(2) })
	_, err := c.GetInstance(context.Background(), 1)
	if rec.count() != 3 {
		t.Errorf("server saw %d requests, want 3 (1 + 2 retries)", rec.count())
	}
	e := asAPIError(t, err)
	if e.StatusCode != 503 || e.RequestID != "5b0437c6e4b07731ae39b533" || e.Attempts != 3 {
		t.Errorf("APIError = %+v", e)
	}
	for _, want := range []string{"503", "5b0437c6e4b07731ae39b533", "Service unavailable", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() = %q, missing %q", err.Error(), want)
		}
	}
	if strings.Contains(err.Error(), "giving up") {
		t.Errorf("Error() is the library's generic message: %q", err.Error())
	}

	rec = newRecorder(t, jsonResponse(503, `{}`))
	c = newTestClient(t, rec.srv.URL, noRetries)
	if _, err := c.GetInstance(context.Background(), 1); rec.count() != 1 || err == nil {
		t.Errorf("MaxRetries 0 still retried: %d requests, err %v", rec.count(), err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, status := range []int{503, 429} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			rec := newRecorder(t,
				jsonResponse(status, `{"requestId":"r","message":"slow down"}`, "Retry-After", "1"),
				jsonResponse(200, `{"id":1}`),
			)
			// RetryWaitMax is 5ms: only the header can make the wait this long.
			c := newTestClient(t, rec.srv.URL)
			if _, err := c.GetInstance(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			reqs := rec.requests()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			if wait := reqs[1].Arrival.Sub(reqs[0].Arrival); wait < time.Second {
				t.Errorf("waited %v between attempts, want at least the Retry-After of 1s", wait)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffIsCappedExponentialWithJitter(t *testing.T) {
	minW, maxW := 100*time.Millisecond, time.Second
	seen := map[time.Duration]bool{}
	for attempt := 0; attempt < 8; attempt++ {
		base := minW << attempt
		if base > maxW {
			base = maxW
		}
		for range 50 {
			d := backoff(minW, maxW, time.Hour, attempt, nil)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, base/2, base)
			}
			seen[d] = true
		}
	}
	if len(seen) < 10 {
		t.Errorf("backoff has no jitter: %d distinct values", len(seen))
	}
	resp := &http.Response{StatusCode: 500, Header: http.Header{"Retry-After": {"7"}}}
	if d := backoff(minW, maxW, time.Hour, 0, resp); d > minW {
		t.Errorf("Retry-After honoured on a 500: %v", d)
	}
	resp.StatusCode = 503
	if d := backoff(minW, maxW, time.Hour, 0, resp); d != 7*time.Second {
		t.Errorf("Retry-After on a 503 gave %v, want 7s", d)
	}
	resp.Header.Set("Retry-After", "86400")
	resp.StatusCode = 429
	if d := backoff(minW, maxW, time.Minute, 0, resp); d != time.Minute {
		t.Errorf("Retry-After 86400 on a 429 gave %v, want the cap of 1m", d)
	}
}

func TestPostNotRetriedOnServerErrors(t *testing.T) {
	for _, status := range []int{503, 502, 504, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			rec := newRecorder(t, jsonResponse(status, `{"requestId":"r7","message":"upstream"}`), jsonResponse(200, `{"id":1}`))
			c := newTestClient(t, rec.srv.URL)
			_, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("error = %v, want ErrAmbiguous", err)
			}
			if e := asAPIError(t, err); e.StatusCode != status || e.RequestID != "r7" {
				t.Errorf("APIError = %+v", e)
			}
			if rec.count() != 1 {
				t.Errorf("POST sent %d times, want once", rec.count())
			}
		})
	}

	rec := newRecorder(t, jsonResponse(409, `{"requestId":"r","message":"exists"}`))
	c := newTestClient(t, rec.srv.URL)
	_, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrAmbiguous) {
		t.Errorf("409 on POST = %v, want ErrConflict and not ErrAmbiguous", err)
	}
}

func TestPostRetriedOn429(t *testing.T) {
	rec := newRecorder(t, jsonResponse(429, `{"requestId":"r","message":"rate"}`), jsonResponse(200, `{"id":9}`))
	c := newTestClient(t, rec.srv.URL)
	inst, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
	if err != nil || inst.ID != 9 {
		t.Fatalf("CreateInstance = %v, %v", inst, err)
	}
	if rec.count() != 2 {
		t.Errorf("server saw %d requests, want 2", rec.count())
	}

	rec = newRecorder(t, jsonResponse(429, `{"requestId":"r","message":"rate"}`))
	c = newTestClient(t, rec.srv.URL, func(c *Config) { c.MaxRetries = new(1) })
	_, err = c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
	if e := asAPIError(t, err); e.StatusCode != 429 || errors.Is(err, ErrAmbiguous) {
		t.Errorf("exhausted 429 = %v, want a non-ambiguous 429", err)
	}
}

// closedAddr is an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPostRetriedAfterConnectionRefused(t *testing.T) {
	rec := newRecorder(t, jsonResponse(200, `{"id":5,"name":"x"}`))
	dead := closedAddr(t)
	var dials atomic.Int32
	dialer := &net.Dialer{}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return dialer.DialContext(ctx, network, dead)
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.HTTPClient = &http.Client{Transport: transport} })
	inst, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if inst.ID != 5 {
		t.Errorf("instance = %+v", inst)
	}
	if dials.Load() != 2 || rec.count() != 1 {
		t.Errorf("dials = %d, requests = %d; want 2 and 1", dials.Load(), rec.count())
	}
}

func TestPostConnectionRefusedIsNotAmbiguous(t *testing.T) {
	c := newTestClient(t, "http://"+closedAddr(t), func(c *Config) { c.MaxRetries = new(2) })
	_, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"})
	if err == nil {
		t.Fatal("CreateInstance against a closed port succeeded")
	}
	if errors.Is(err, ErrAmbiguous) {
		t.Errorf("a refused connection was reported ambiguous: %v", err)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("Error() = %q, want it to say the request was tried 3 times", err.Error())
	}
}

// hangUpAfterBody reads the request and closes the connection without answering.
func hangUpAfterBody(t *testing.T, count *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		count.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPostConnectionClosedAfterBodyIsAmbiguous(t *testing.T) {
	var count atomic.Int32
	srv := hangUpAfterBody(t, &count)
	c := newTestClient(t, srv.URL)
	_, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x", ProviderData: map[string]string{"code": "c"}})
	if !errors.Is(err, ErrAmbiguous) {
		t.Errorf("error = %v, want ErrAmbiguous", err)
	} else if msg := err.Error(); strings.Count(msg, "opencon:") != 1 || !strings.Contains(msg, "POST /instances") || !strings.Contains(msg, "outcome is unknown") {
		t.Errorf("Error() = %q", msg)
	}
	if count.Load() != 1 {
		t.Errorf("server received %d requests, want exactly 1", count.Load())
	}

	// The same failure on a GET is retried.
	count.Store(0)
	c = newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = new(2) })
	_, err = c.GetInstance(context.Background(), 1)
	if err == nil || errors.Is(err, ErrAmbiguous) {
		t.Errorf("GET error = %v, want a non-ambiguous error", err)
	}
	if count.Load() != 3 {
		t.Errorf("GET sent %d times, want 3", count.Load())
	}
}

func TestPostTimeoutAfterSendingIsAmbiguous(t *testing.T) {
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client hanging up
		count.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"})
	if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want ErrAmbiguous and DeadlineExceeded", err)
	}
	if count.Load() != 1 {
		t.Errorf("server received %d requests, want 1", count.Load())
	}
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			status := 503
			if method == "POST" {
				status = 429 // the only answer a POST waits on
			}
			rec := newRecorder(t, jsonResponse(status, `{"requestId":"r","message":"later"}`, "Retry-After", "30"))
			c := newTestClient(t, rec.srv.URL)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			start := time.Now()
			var err error
			if method == "GET" {
				_, err = c.GetInstance(ctx, 1)
			} else {
				_, err = c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"})
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("returned after %v, want promptly after the cancel", elapsed)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			if errors.Is(err, ErrAmbiguous) {
				t.Errorf("cancel after a %d was reported ambiguous: %v", status, err)
			}
			if rec.count() != 1 {
				t.Errorf("server saw %d requests, want 1", rec.count())
			}
		})
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrAmbiguous) {
		t.Errorf("error = %v, want context.Canceled, not ambiguous", err)
	}
	if rec.count() != 0 {
		t.Errorf("server saw %d requests", rec.count())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAnswerAsContextEndsDecidesTheOutcome: when the context ends just as
// the answer arrives, the answer still says whether a POST was processed. A
// 2xx created the instance, so the caller must look for it (ErrAmbiguous); a
// 429 did not.
func TestAnswerAsContextEndsDecidesTheOutcome(t *testing.T) {
	for _, tt := range []struct {
		status    int
		ambiguous bool
	}{{200, true}, {201, true}, {503, true}, {429, false}, {400, false}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var sent atomic.Int32
			answer := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Body != nil {
					_, _ = io.Copy(io.Discard, r.Body)
				}
				sent.Add(1)
				cancel()
				return &http.Response{
					StatusCode: tt.status, Header: http.Header{}, Request: r,
					Body: io.NopCloser(strings.NewReader(`{"id":5,"name":"x"}`)),
				}, nil
			})
			c := newTestClient(t, "http://127.0.0.1:1", func(c *Config) { c.HTTPClient = &http.Client{Transport: answer} })
			_, err := c.CreateInstance(ctx, CreateInstanceRequest{Name: "x"})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error = %v, want context.Canceled", err)
			}
			if got := errors.Is(err, ErrAmbiguous); got != tt.ambiguous {
				t.Errorf("ambiguous = %v, want %v: %v", got, tt.ambiguous, err)
			}
			if sent.Load() != 1 {
				t.Errorf("POST sent %d times, want once", sent.Load())
			}

			// A GET is never ambiguous.
			sent.Store(0)
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			if _, err := c.GetInstance(ctx, 5); err == nil || errors.Is(err, ErrAmbiguous) {
				t.Errorf("GET error = %v, want a non-ambiguous error", err)
			}
		})
	}
}
