// Package opencon is a typed client for the SAP Open Connectors (Cloud
// Elements) platform API, elements/api-v2.
package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// APIPath is the path of the API root below the host.
const APIPath = "/elements/api-v2"

const (
	defaultMaxRetries   = 4
	defaultRetryWaitMin = 500 * time.Millisecond
	defaultRetryWaitMax = 30 * time.Second
	defaultHTTPTimeout  = 2 * time.Minute
	defaultUserAgent    = "terraform-provider-opencon"

	// maxResponseBytes bounds how much of a response body is read.
	maxResponseBytes = 32 << 20
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API root, with or without /elements/api-v2 and a trailing slash.
	BaseURL            string
	UserSecret         string
	OrganizationSecret string
	// HTTPClient is used for every attempt; nil means a client with a 2 minute timeout.
	HTTPClient *http.Client
	UserAgent  string
	// MaxRetries is the number of retries after the first attempt: 0 means 4, negative means none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (defaults 500ms and 30s).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// Logger receives debug records of every attempt. Bodies and paths are redacted.
	Logger func(ctx context.Context, msg string, fields map[string]any)
}

// Client calls the Open Connectors platform API. It is safe for concurrent use.
type Client struct {
	baseURL    string
	authHeader string
	userAgent  string
	httpClient *http.Client
	maxRetries int
	waitMin    time.Duration
	waitMax    time.Duration
	logger     func(ctx context.Context, msg string, fields map[string]any)
	secrets    []string
}

// NewClient validates cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.UserSecret) == "" {
		return nil, errors.New("opencon: user secret is empty")
	}
	if strings.TrimSpace(cfg.OrganizationSecret) == "" {
		return nil, errors.New("opencon: organization secret is empty")
	}
	if strings.ContainsAny(cfg.UserSecret+cfg.OrganizationSecret, ",\r\n") {
		return nil, errors.New("opencon: secrets must not contain commas or line breaks")
	}

	c := &Client{
		baseURL:    base,
		authHeader: "User " + cfg.UserSecret + ", Organization " + cfg.OrganizationSecret,
		userAgent:  cfg.UserAgent,
		httpClient: cfg.HTTPClient,
		maxRetries: cfg.MaxRetries,
		waitMin:    cfg.RetryWaitMin,
		waitMax:    cfg.RetryWaitMax,
		logger:     cfg.Logger,
		secrets:    []string{cfg.UserSecret, cfg.OrganizationSecret},
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.waitMin <= 0 {
		c.waitMin = defaultRetryWaitMin
	}
	if c.waitMax <= 0 {
		c.waitMax = defaultRetryWaitMax
	}
	if c.waitMax < c.waitMin {
		c.waitMax = c.waitMin
	}
	return c, nil
}

// BaseURL returns the normalized API root, ending in /elements/api-v2.
func (c *Client) BaseURL() string { return c.baseURL }

// UserAgentString is the User-Agent the provider sends.
func UserAgentString(providerVersion, terraformVersion string) string {
	if providerVersion == "" {
		providerVersion = "dev"
	}
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return defaultUserAgent + "/" + providerVersion + " Terraform/" + terraformVersion
}

func normalizeBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("opencon: base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("opencon: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("opencon: invalid base URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("opencon: invalid base URL %q: no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("opencon: invalid base URL %q: it must not have a query or fragment", raw)
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if !strings.HasSuffix(p, APIPath) {
		p += APIPath
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// escapePath joins path segments, escaping each one.
func escapePath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// call is the state of one logical request across its attempts.
type call struct {
	c       *Client
	ctx     context.Context
	method  string
	logPath string
	// secrets are the client's secrets plus the secret values this request
	// carries, which a server might echo back in an error.
	secrets []string

	attempt int
	start   time.Time
	// mayHaveReached is set when the last attempt failed in a way that does not
	// prove the server never saw the request.
	mayHaveReached bool
}

// do sends one request with retries and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("opencon: %s %s: %w", method, redactPath(path, query), err)
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("opencon: %s %s: encoding request: %w", method, path, err)
		}
	}
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	cl := &call{c: c, ctx: ctx, method: method, logPath: redactPath(path, query),
		secrets: callSecrets(c.secrets, query, body)}

	var rawBody any
	if body != nil {
		rawBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, target, rawBody)
	if err != nil {
		return fmt.Errorf("opencon: %s %s: %w", method, cl.logPath, sanitizeErr(err, cl.secrets))
	}
	req.Header.Set("Authorization", c.authHeader)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	rc := &retryablehttp.Client{
		HTTPClient:   c.httpClient,
		RetryWaitMin: c.waitMin,
		RetryWaitMax: c.waitMax,
		RetryMax:     c.maxRetries,
		CheckRetry:   cl.checkRetry,
		Backoff:      backoff,
		// Hand the last response back as is, so that an exhausted retry
		// yields the platform's APIError rather than a generic "giving up".
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, i int) {
			cl.attempt = i + 1
			cl.start = time.Now()
			fields := map[string]any{"method": method, "path": cl.logPath, "attempt": cl.attempt}
			if body != nil && cl.attempt == 1 {
				fields["body"] = string(RedactJSON(body, cl.secrets...))
			}
			c.log(ctx, "opencon request", fields)
		},
	}

	resp, err := rc.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		err = sanitizeErr(err, cl.secrets)
		if method == http.MethodPost && cl.mayHaveReached {
			return &ambiguousError{fmt.Errorf("opencon: %s %s: %w", method, cl.logPath, err)}
		}
		if cl.attempt > 1 {
			return fmt.Errorf("opencon: %s %s: after %d attempts: %w", method, cl.logPath, cl.attempt, err)
		}
		return fmt.Errorf("opencon: %s %s: %w", method, cl.logPath, err)
	}
	defer resp.Body.Close()

	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if readErr == nil && len(respBody) > maxResponseBytes {
		readErr = fmt.Errorf("response body larger than %d bytes", maxResponseBytes)
	}
	if len(respBody) > 0 {
		c.log(ctx, "opencon response body", map[string]any{
			"method": method, "path": cl.logPath, "status": resp.StatusCode,
			"body": string(RedactJSON(respBody, cl.secrets...)),
		})
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(resp, method, cl.logPath, respBody, cl.secrets)
		apiErr.Attempts = cl.attempt
		// A POST answered 5xx may have been processed before the failure.
		apiErr.Ambiguous = method == http.MethodPost && resp.StatusCode >= 500
		return apiErr
	}

	// A POST whose 2xx answer cannot be read was processed, but the caller
	// cannot learn what was created: that is an unknown outcome too.
	wrapAmbiguous := func(err error) error {
		if method == http.MethodPost {
			return &ambiguousError{err}
		}
		return err
	}
	requestID := headerRequestID(resp)
	if readErr != nil {
		return wrapAmbiguous(fmt.Errorf("opencon: %s %s: %d response (request id %s): reading body: %v",
			method, cl.logPath, resp.StatusCode, requestID, sanitizeErr(readErr, cl.secrets)))
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(respBody)) == 0 {
		return wrapAmbiguous(fmt.Errorf("opencon: %s %s: %d response (request id %s): empty body, expected JSON",
			method, cl.logPath, resp.StatusCode, requestID))
	}
	if err := json.Unmarshal(respBody, out); err != nil {
		return wrapAmbiguous(fmt.Errorf("opencon: %s %s: %d response (request id %s): cannot decode body: %v; body starts %q",
			method, cl.logPath, resp.StatusCode, requestID, err, excerpt(respBody, cl.secrets)))
	}
	return nil
}

// checkRetry decides after each attempt whether to try again.
//
// GET, PUT, PATCH and DELETE are retried on transport errors and on 429, 502,
// 503 and 504. A POST is retried only when it provably did not reach the
// server (a dial error) or was answered 429: the platform rejects a rate
// limited request before processing it, so re-sending cannot create a
// duplicate. Any other POST failure is reported as ErrAmbiguous by do.
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl.logAttempt(resp, err)
	if err != nil {
		cl.mayHaveReached = !isDialError(err)
	} else {
		cl.mayHaveReached = false
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if cl.method == http.MethodPost && cl.mayHaveReached {
			return false, nil
		}
		// The library's policy refuses to retry TLS, scheme and redirect errors.
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, nil
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return cl.method != http.MethodPost, nil
	}
	return false, nil
}

func (cl *call) logAttempt(resp *http.Response, err error) {
	fields := map[string]any{
		"method":   cl.method,
		"path":     cl.logPath,
		"attempt":  cl.attempt,
		"duration": time.Since(cl.start).String(),
	}
	if err != nil {
		fields["error"] = sanitizeErr(err, cl.secrets).Error()
	}
	if resp != nil {
		fields["status"] = resp.StatusCode
		fields["request_id"] = headerRequestID(resp)
	}
	cl.c.log(cl.ctx, "opencon response", fields)
}

func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger(ctx, msg, fields)
	}
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

func headerRequestID(resp *http.Response) string {
	if resp == nil {
		return "unknown"
	}
	if id := strings.TrimSpace(resp.Header.Get("Elements-Request-Id")); id != "" {
		return id
	}
	return "unknown"
}

// sanitizeErr drops the *url.Error layer of a transport error, whose URL
// carries the query (apiSecret), and scrubs secrets from the rest. Callers
// name the method and the redacted path themselves.
func sanitizeErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	msg := err.Error()
	if scrubbed := scrubSecrets(msg, secrets); scrubbed != msg {
		return &scrubbedError{msg: scrubbed, err: err}
	}
	return err
}

// scrubbedError keeps the chain of an error whose text had to be redacted.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
