// Package opencon is a typed client for the SAP Open Connectors (Cloud
// Elements) platform API, elements/api-v2.
package opencon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// APIPath is the path of the API root below the host.
const APIPath = "/elements/api-v2"

// Defaults of the optional Config fields. The provider documents its
// settings with these, so each default has this one home.
const (
	// DefaultMaxRetries is how many times a failed attempt is retried.
	DefaultMaxRetries = 4
	// DefaultRequestTimeout bounds one HTTP attempt, retries not included.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultUserAgent is the User-Agent, and the product name the provider
	// puts in front of its version.
	DefaultUserAgent = "terraform-provider-opencon"
	// DefaultMaxConcurrentRequests caps the requests one Client has in
	// flight. It equals Terraform's default -parallelism, so a default run is
	// never slowed by it; it bounds a raised -parallelism.
	DefaultMaxConcurrentRequests = 10
	// DefaultOperationTimeout bounds a call, its retries and their waits
	// included, whose context has no deadline of its own. Callers that run
	// an operation without a configurable timeout (data sources, ephemeral
	// resources) should give it this one.
	DefaultOperationTimeout = 5 * time.Minute
	// MaxRetryAfter caps each wait a Retry-After header asks for: a 429 with
	// Retry-After: 86400 is retried after a minute, not a day.
	MaxRetryAfter = time.Minute

	defaultRetryWaitMin = 500 * time.Millisecond
	defaultRetryWaitMax = 30 * time.Second

	// maxResponseBytes bounds how much of a response body is read.
	maxResponseBytes = 32 << 20
)

// Config configures a Client. Every optional field's zero value means its
// default.
type Config struct {
	// BaseURL is the API root, with or without /elements/api-v2 and a trailing
	// slash. It must be https://, or http:// to a loopback host (the local
	// emulator), so that the secrets never cross a network in clear; anything
	// else is a *BaseURLError.
	BaseURL            string
	UserSecret         string
	OrganizationSecret string
	// RequestTimeout bounds one attempt of the client's own pooled HTTP
	// client from when it is sent, waits for the rate limit and for a free
	// request slot not included; 0 means DefaultRequestTimeout. It does not
	// apply to HTTPClient.
	RequestTimeout time.Duration
	// HTTPClient, when set, is used for every attempt (tests swap
	// transports through it); its own Timeout applies. Its CheckRedirect is
	// replaced by the client's, which follows no redirect, and its Transport
	// is wrapped by the rate limit and the concurrency cap.
	HTTPClient *http.Client
	// UserAgent is the whole User-Agent header; "" means DefaultUserAgent.
	UserAgent string
	// MaxRetries is how many times a failed attempt is retried: nil means
	// DefaultMaxRetries, 0 turns retries off.
	MaxRetries *int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (defaults
	// 500ms and 30s).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// MaxRequestsPerSecond, when positive, paces every attempt of this
	// Client, retries included, to at most this many a second; 0 means no
	// limit. The platform documents none; set it to the account's limit.
	MaxRequestsPerSecond float64
	// MaxConcurrentRequests caps the attempts in flight at once; 0 means
	// DefaultMaxConcurrentRequests.
	MaxConcurrentRequests int
	// Logger receives the client's records; nil logs nothing.
	Logger Logger
	// Journal, when set, notes every create until the instance is seen in
	// state, so that a create interrupted by the end of the process is
	// adopted by the next create of the same instance (see Journal). nil
	// keeps no journal.
	Journal *Journal
}

// Level is the severity of a log record.
type Level int

const (
	// LevelDebug records every attempt, answer and response body.
	LevelDebug Level = iota
	// LevelInfo records every wait before a retry, with the answer's
	// request id and Retry-After.
	LevelInfo
	// LevelWarn records what a caller may want to know although the call
	// succeeded: a create whose outcome was unknown, a list whose count
	// disagrees with the platform's total.
	LevelWarn
)

// Logger receives the client's records: at LevelDebug one per attempt sent
// (with the request body on the first), one per answer or transport failure,
// one per response body; at LevelInfo one per wait before a retry; at
// LevelWarn the surprises. Paths, bodies and errors in them are already
// redacted.
type Logger interface {
	// Enabled reports whether records of level logged with ctx are written
	// anywhere. When it is false the client builds no record: no fields, no
	// redaction.
	Enabled(ctx context.Context, level Level) bool
	Log(ctx context.Context, level Level, msg string, fields map[string]any)
}

// BaseURLError is NewClient's answer to a Config.BaseURL it refuses.
type BaseURLError struct {
	// Reason says what is wrong with the URL, as a sentence fit for a
	// diagnostic on the setting that holds it.
	Reason string
}

func (e *BaseURLError) Error() string { return "opencon: invalid base URL: " + e.Reason }

// Client calls the Open Connectors platform API. It is safe for concurrent
// use; its one retrying HTTP client, and so its connection pool, serves every
// call.
type Client struct {
	baseURL    string
	authHeader string
	userAgent  string
	http       *retryablehttp.Client
	gate       *gate
	logger     Logger
	secrets    []string
	journal    *Journal
	account    string // the journal's fingerprint of base URL and secrets

	retryMax               int
	retryWaitMin, waitMax  time.Duration
	maxRetryAfter          time.Duration
	maxBody                int64
	operationTimeout       time.Duration
	reconcileLookupTimeout time.Duration
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
	retries := DefaultMaxRetries
	if cfg.MaxRetries != nil {
		if retries = *cfg.MaxRetries; retries < 0 {
			return nil, fmt.Errorf("opencon: MaxRetries is %d; it must not be negative", retries)
		}
	}
	if cfg.RequestTimeout < 0 {
		return nil, fmt.Errorf("opencon: RequestTimeout is %v; it must not be negative", cfg.RequestTimeout)
	}
	if r := cfg.MaxRequestsPerSecond; r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return nil, fmt.Errorf("opencon: MaxRequestsPerSecond is %v; it must not be negative", cfg.MaxRequestsPerSecond)
	}
	if cfg.MaxConcurrentRequests < 0 {
		return nil, fmt.Errorf("opencon: MaxConcurrentRequests is %d; it must not be negative", cfg.MaxConcurrentRequests)
	}
	concurrency := cfg.MaxConcurrentRequests
	if concurrency == 0 {
		concurrency = DefaultMaxConcurrentRequests
	}

	var httpClient http.Client
	var attemptTimeout time.Duration
	if cfg.HTTPClient != nil {
		httpClient = *cfg.HTTPClient
	} else {
		transport := cleanhttp.DefaultPooledTransport()
		// Keep a connection for every request that may be in flight.
		transport.MaxIdleConnsPerHost = concurrency
		httpClient.Transport = transport
		// The gate times each attempt from when it is sent, so that waiting
		// for the rate limit does not count against it.
		attemptTimeout = orDefault(cfg.RequestTimeout, DefaultRequestTimeout)
	}
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	g := newGate(next, concurrency, cfg.MaxRequestsPerSecond, attemptTimeout)
	httpClient.Transport = g
	httpClient.CheckRedirect = refuseRedirects

	waitMin := orDefault(cfg.RetryWaitMin, defaultRetryWaitMin)
	c := &Client{
		baseURL:                base,
		authHeader:             "User " + cfg.UserSecret + ", Organization " + cfg.OrganizationSecret,
		userAgent:              cfg.UserAgent,
		gate:                   g,
		logger:                 cfg.Logger,
		secrets:                []string{cfg.UserSecret, cfg.OrganizationSecret},
		journal:                cfg.Journal,
		account:                accountFingerprint(base, cfg.UserSecret, cfg.OrganizationSecret),
		retryMax:               retries,
		retryWaitMin:           waitMin,
		waitMax:                max(orDefault(cfg.RetryWaitMax, defaultRetryWaitMax), waitMin),
		maxRetryAfter:          MaxRetryAfter,
		maxBody:                maxResponseBytes,
		operationTimeout:       DefaultOperationTimeout,
		reconcileLookupTimeout: defaultReconcileLookupTimeout,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	c.http = &retryablehttp.Client{
		HTTPClient: &httpClient,
		// checkRetry decides and waits itself, where it has the call's
		// context to log the wait and explain a deadline that ends it.
		RetryMax:   retries,
		CheckRetry: checkRetry,
		Backoff:    func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		// Hand the last response back as it is, so that an exhausted retry
		// yields the platform's APIError rather than a generic "giving up".
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: beforeAttempt,
	}
	return c, nil
}

// refuseRedirects is the redirect policy: none is followed. The platform API
// does not redirect, and following one would re-send the Authorization
// header and the body (OAuth secrets, refresh tokens, codes) to wherever it
// points, in clear if it points to http://. decode turns the 3xx into a
// *RedirectError.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// orDefault is d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// BaseURL returns the normalized API root, ending in /elements/api-v2.
func (c *Client) BaseURL() string { return c.baseURL }

// normalizeBaseURL enforces the https-or-loopback rule and appends APIPath.
func normalizeBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", &BaseURLError{Reason: fmt.Sprintf("%q is not an absolute URL such as https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2", raw)}
	}
	shown := u.Redacted()
	if err := CheckSecureURL(u); err != nil {
		return "", &BaseURLError{Reason: err.Error()}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", &BaseURLError{Reason: fmt.Sprintf("%q must not have a query or fragment", shown)}
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if !strings.HasSuffix(p, APIPath) {
		p += APIPath
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// CheckSecureURL is the https-or-loopback rule for a URL the provider sends
// something secret or signed to: https://, or http:// to a loopback host (the
// local emulator, a local receiver). Its error is a sentence fit for a
// diagnostic on the setting that holds the URL.
func CheckSecureURL(u *url.URL) error {
	shown := u.Redacted()
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("%q uses http:// to a host that is not loopback; the secrets would travel in clear. Use https://", shown)
		}
	default:
		return fmt.Errorf("%q must start with https:// (or http:// for a loopback host)", shown)
	}
	return nil
}

// isLoopback reports whether host names this machine without a DNS lookup.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
