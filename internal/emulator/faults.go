package emulator

import (
	"bytes"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure the emulator can inject into an API route.
type Fault string

const (
	// FaultDrop applies the request fully, then closes the connection
	// without an answer.
	FaultDrop Fault = "drop"
	// FaultUnavailable answers 503 without applying the request.
	FaultUnavailable Fault = "unavailable"
	// FaultRateLimited answers 429 with Retry-After: 1 without applying the request.
	FaultRateLimited Fault = "rate_limited"
)

// ParseFault reads a fault name; "rate-limited", "429" and "503" are accepted too.
func ParseFault(name string) (Fault, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "drop", "dropped":
		return FaultDrop, true
	case "unavailable", "503":
		return FaultUnavailable, true
	case "rate_limited", "rate-limited", "ratelimited", "429":
		return FaultRateLimited, true
	}
	return "", false
}

type pendingFault struct {
	fault     Fault
	remaining int
}

type faultDecision struct {
	kind       Fault // "" for none
	retryAfter string
}

type faultInjector struct {
	opts Options
	rnd  *randSource

	mu      sync.Mutex
	pending map[string][]*pendingFault // by normalized route key

	// token bucket for Options.RateLimit
	tokens float64
	last   time.Time

	// started is when 429 storms are counted from.
	started time.Time

	// made counts the faults injected, by kind, for FaultCounts.
	made map[Fault]int
}

func newFaultInjector(opts Options, r *randSource) *faultInjector {
	return &faultInjector{opts: opts, rnd: r, pending: map[string][]*pendingFault{}, tokens: math.Max(1, opts.RateLimit), started: time.Now(), made: map[Fault]int{}}
}

// storm reports whether a 429 storm (Options.StormEvery, StormLength) is
// on at now, and the whole seconds (at least 1) until it ends.
func (f *faultInjector) storm(now time.Time) (bool, int) {
	every, length := f.opts.StormEvery, f.opts.StormLength
	if every <= 0 || length <= 0 {
		return false, 0
	}
	into := now.Sub(f.started) % every
	if into >= length {
		return false, 0
	}
	return true, max(1, int(math.Ceil((length - into).Seconds())))
}

// decide picks the fault, if any, for one call: injected faults first, then
// a 429 storm, then the rate limit, then the random error and drop rates.
func (f *faultInjector) decide(rt *route) faultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.pick(rt)
	if d.kind != "" {
		f.made[d.kind]++
	}
	return d
}

// counts returns the faults injected so far, by kind.
func (f *faultInjector) counts() map[Fault]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[Fault]int, len(f.made))
	for k, v := range f.made {
		out[k] = v
	}
	return out
}

// pick is decide's choice. Call with f.mu held.
func (f *faultInjector) pick(rt *route) faultDecision {
	if q := f.pending[rt.norm]; len(q) > 0 {
		pf := q[0]
		pf.remaining--
		if pf.remaining <= 0 {
			f.pending[rt.norm] = q[1:]
		}
		return faultDecision{kind: pf.fault, retryAfter: "1"}
	}
	if on, left := f.storm(time.Now()); on {
		return faultDecision{kind: FaultRateLimited, retryAfter: strconv.Itoa(left)}
	}
	if f.opts.RateLimit > 0 {
		now := time.Now()
		if !f.last.IsZero() {
			f.tokens = math.Min(math.Max(1, f.opts.RateLimit), f.tokens+now.Sub(f.last).Seconds()*f.opts.RateLimit)
		}
		f.last = now
		if f.tokens < 1 {
			wait := math.Ceil((1 - f.tokens) / f.opts.RateLimit)
			return faultDecision{kind: FaultRateLimited, retryAfter: strconv.Itoa(int(math.Max(1, wait)))}
		}
		f.tokens--
	}
	if f.opts.ErrorRate > 0 && f.rnd.float() < f.opts.ErrorRate {
		return faultDecision{kind: FaultUnavailable}
	}
	if f.opts.DropRate > 0 && isMutating(rt.method) && f.rnd.float() < f.opts.DropRate {
		return faultDecision{kind: FaultDrop}
	}
	return faultDecision{}
}

func isMutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// bufferedResponse swallows a handler's answer when the connection is to
// be dropped after the request was applied.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse { return &bufferedResponse{header: http.Header{}} }

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// copyTo writes the swallowed answer to w after all.
func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// dropConnection closes the client connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 cannot be hijacked; aborting the handler resets the stream.
	panic(http.ErrAbortHandler)
}
