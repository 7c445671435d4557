package opencon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// gate is the transport every attempt of a Client passes through before it
// is sent: the pause a 429 imposes on the whole client, the cap on requests
// in flight and the request-rate limit, then the attempt's own timeout. One
// Client is one provider configuration, which Terraform shares among all its
// resources, data sources and ephemeral resources, so this is where
// -parallelism meets the account's limits.
type gate struct {
	next  http.RoundTripper
	slots chan struct{}
	// limiter paces attempts; nil when there is no rate limit.
	limiter *rate.Limiter
	// attemptTimeout bounds an attempt from when it is sent; 0 for none.
	attemptTimeout time.Duration

	mu sync.Mutex
	// notBefore is when the last 429's Retry-After ends: no attempt of this
	// client is sent before, since the limit is the account's, not the call's.
	notBefore time.Time
}

func newGate(next http.RoundTripper, concurrency int, perSecond float64, attemptTimeout time.Duration) *gate {
	g := &gate{next: next, slots: make(chan struct{}, concurrency), attemptTimeout: attemptTimeout}
	if perSecond > 0 {
		// A burst of one: requests are spaced evenly, never bunched.
		g.limiter = rate.NewLimiter(rate.Limit(perSecond), 1)
	}
	return g
}

// notSentError is a gate's refusal to send an attempt: the context ended, or
// would end, before the attempt's turn came. The request never left.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return "not sent: " + e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// holdOff pauses every attempt of the client until t.
func (g *gate) holdOff(t time.Time) {
	g.mu.Lock()
	if t.After(g.notBefore) {
		g.notBefore = t
	}
	g.mu.Unlock()
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	release, err := g.acquire(ctx)
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, sent or not
		}
		return nil, &notSentError{err}
	}
	cancel := context.CancelFunc(func() {})
	actx := ctx
	if g.attemptTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, g.attemptTimeout)
		req = req.WithContext(actx)
	}
	done := sync.OnceFunc(func() { cancel(); release() })
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		err = g.timedOut(ctx, actx, err)
		done()
		return nil, err
	}
	resp.Body = &gatedBody{ReadCloser: resp.Body, g: g, ctx: ctx, actx: actx, done: done}
	return resp, nil
}

// timedOut names the attempt timeout when it, not the caller's context,
// ended the attempt.
func (g *gate) timedOut(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within the request timeout of %s: %w", g.attemptTimeout, err)
	}
	return err
}

// acquire waits for the pause after a 429, a free slot and the rate limit,
// in that order, so that an attempt is sent as soon as it has its token.
// The returned func frees the slot.
func (g *gate) acquire(ctx context.Context) (func(), error) {
	cl := callOf(ctx)
	g.mu.Lock()
	pause := time.Until(g.notBefore)
	g.mu.Unlock()
	if pause > 0 {
		cl.logAt(LevelDebug, "opencon waiting for a rate limit pause", map[string]any{"method": cl.method, "path": cl.path, "wait": pause.String()})
		if err := sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("the client is pausing %s after a 429 from the platform: %w", pause.Round(time.Millisecond), err)
		}
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for one of the %d request slots (max_concurrent_requests): %w", cap(g.slots), ctx.Err())
	}
	release := func() { <-g.slots }
	if g.limiter == nil {
		return release, nil
	}
	r := g.limiter.Reserve()
	wait := r.Delay()
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		r.Cancel()
		release()
		return nil, fmt.Errorf("at %g requests per second (max_requests_per_second) the next request may go in %s, after the operation's deadline: %w",
			float64(g.limiter.Limit()), wait.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if wait > 0 {
		cl.logAt(LevelDebug, "opencon waiting for the request rate limit", map[string]any{"method": cl.method, "path": cl.path, "wait": wait.String()})
		if err := sleep(ctx, wait); err != nil {
			r.Cancel()
			release()
			return nil, fmt.Errorf("waiting for the request rate limit: %w", err)
		}
	}
	return release, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gatedBody frees the attempt's slot, and ends its timeout, when the body is
// closed: a request is in flight until its answer has been read.
type gatedBody struct {
	io.ReadCloser
	g         *gate
	ctx, actx context.Context
	done      func()
}

func (b *gatedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.g.timedOut(b.ctx, b.actx, err)
	}
	return n, err
}

func (b *gatedBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}
