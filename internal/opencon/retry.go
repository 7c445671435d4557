package opencon

import (
	"context"
	"errors"
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
// to try again.
//
// GET, PUT, PATCH and DELETE are retried on transport errors and on 429, 502,
// 503 and 504. A POST is retried only when it provably did not reach the
// server (a dial error) or was answered 429: the platform rejects a rate
// limited request before processing it, so re-sending cannot create a
// duplicate. No call whose outcome is unknown is retried; do reports it as
// ErrAmbiguous.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl := callOf(ctx)
	cl.afterAttempt(resp, err)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if cl.outcomeUnknown(0) {
			return false, nil
		}
		// The library's policy refuses to retry TLS, scheme and redirect errors.
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, nil
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return !cl.outcomeUnknown(resp.StatusCode), nil
	}
	return false, nil
}

// isDialError reports whether err proves the request never left the client:
// the connection could not be opened.
func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// backoff is capped exponential backoff with jitter. A Retry-After header on a
// 429 or 503 wins; the request context bounds the wait.
func backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return d
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
