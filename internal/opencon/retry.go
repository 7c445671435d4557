package opencon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// checkRetry is the CheckRetry policy: after each attempt it decides whether
// to try again and, if so, waits (go-retryablehttp's own Backoff is zero).
// Waiting here, where the call's context is at hand, lets every wait be
// logged at INFO with the answer's request id, lets a wait that would outlast
// the operation's deadline be skipped with an error saying so, and lets a
// deadline that ends a wait name the answer being waited on.
//
// GET, PUT, PATCH and DELETE are retried on transport errors, 429 and 5xx
// but 501. A call marked once (a POST, a PATCH or PUT that spends
// providerData) is retried only when it provably did not reach the server
// (it was never sent or its dial failed) or was answered 429: the platform
// rejects a rate limited request before processing it. No call whose
// outcome is unknown is retried; it is reported as ErrAmbiguous.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl := callOf(ctx)
	cl.afterAttempt(resp, err)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if !cl.retryable(ctx, resp, err) || cl.c == nil || cl.attempt > cl.c.retryMax {
		return false, nil
	}
	c := cl.c
	wait := backoff(c.retryWaitMin, c.waitMax, c.maxRetryAfter, cl.attempt-1, resp)
	cl.retrying = describeAnswer(resp, err)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		cl.note = fmt.Sprintf("not retried: the next attempt would wait %s, past the operation's deadline", wait.Round(time.Millisecond))
		return false, nil
	}
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		// The limit is the account's: every call of this client holds off.
		c.gate.holdOff(time.Now().Add(wait))
	}
	fields := map[string]any{"method": cl.method, "path": cl.path, "attempt": cl.attempt, "wait": wait.String()}
	if resp != nil {
		fields["status"] = resp.StatusCode
		fields["request_id"] = headerRequestID(resp)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			fields["retry_after"] = ra
		}
	} else if err != nil {
		fields["error"] = sanitizeErr(err, cl.secrets()).Error()
	}
	cl.logAt(LevelInfo, "opencon waiting before retrying", fields)
	if resp != nil {
		// Free the connection and the request slot during the wait.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
	}
	if err := sleep(ctx, wait); err != nil {
		return false, fmt.Errorf("%w while waiting %s to retry; the last answer was %s", err, wait.Round(time.Millisecond), cl.retrying)
	}
	return true, nil
}

// retryable is the policy without the waiting: whether the attempt's
// failure allows another.
func (cl *call) retryable(ctx context.Context, resp *http.Response, err error) bool {
	if err != nil {
		var notSent *notSentError
		if errors.As(err, &notSent) || cl.outcomeUnknown(0) {
			// The gate refused for want of time; or a call that must not be
			// repeated may have reached the server.
			return false
		}
		// The library's policy refuses to retry TLS and scheme errors.
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		return retry
	}
	switch status := resp.StatusCode; {
	case status == http.StatusTooManyRequests:
		return true
	case status >= 500 && status != http.StatusNotImplemented:
		return !cl.outcomeUnknown(status)
	}
	return false
}

// describeAnswer names what a retry waits on, for an error should the wait
// be cut short: "rate limited (429), Retry-After 86400, request id r1".
func describeAnswer(resp *http.Response, err error) string {
	if resp == nil {
		if err == nil {
			return "no answer"
		}
		return "no answer: " + err.Error()
	}
	var b strings.Builder
	if resp.StatusCode == http.StatusTooManyRequests {
		b.WriteString("rate limited (429)")
	} else {
		fmt.Fprintf(&b, "%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		b.WriteString(", Retry-After " + truncate(ra, 64))
	}
	b.WriteString(", request id " + headerRequestID(resp))
	return b.String()
}

// neverSent reports whether err proves the request never left the client:
// the gate did not send it, or the connection could not be opened.
func neverSent(err error) bool {
	var notSent *notSentError
	if errors.As(err, &notSent) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// backoff is capped exponential backoff with jitter. A Retry-After header on a
// 429 or 503 wins, capped at retryAfterCap; the request context bounds the wait.
func backoff(minWait, maxWait, retryAfterCap time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, retryAfterCap)
		}
	}
	wait := maxWait
	if attemptNum < 62 {
		if w := minWait << attemptNum; w > 0 && w < maxWait && w>>attemptNum == minWait {
			wait = w
		}
	}
	// Equal jitter: half fixed, half random, so waits stay spread but grow.
	half := wait / 2
	return half + rand.N(wait-half+1)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}
