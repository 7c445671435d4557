// Package opencon is a typed client for the SAP Open Connectors (Cloud
// Elements) platform API, elements/api-v2.
package opencon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	// Logger receives debug records of every attempt; nil logs nothing.
	Logger Logger
}

// Logger receives the client's debug records: one per attempt sent (with the
// request body on the first), one per answer or transport failure, one per
// response body. Paths, bodies and errors in them are already redacted.
type Logger interface {
	// Enabled reports whether records logged with ctx are written anywhere.
	// When it is false the client builds no record: no fields, no redaction.
	Enabled(ctx context.Context) bool
	Log(ctx context.Context, msg string, fields map[string]any)
}

// Client calls the Open Connectors platform API. It is safe for concurrent
// use; its one retrying HTTP client, and so its connection pool, serves every
// call.
type Client struct {
	baseURL    string
	authHeader string
	userAgent  string
	http       *retryablehttp.Client
	logger     Logger
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
		logger:     cfg.Logger,
		secrets:    []string{cfg.UserSecret, cfg.OrganizationSecret},
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = defaultMaxRetries
	case retries < 0:
		retries = 0
	}
	waitMin, waitMax := cfg.RetryWaitMin, cfg.RetryWaitMax
	if waitMin <= 0 {
		waitMin = defaultRetryWaitMin
	}
	if waitMax <= 0 {
		waitMax = defaultRetryWaitMax
	}
	c.http = &retryablehttp.Client{
		HTTPClient:   httpClient,
		RetryWaitMin: waitMin,
		RetryWaitMax: max(waitMax, waitMin),
		RetryMax:     retries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		// Hand the last response back as it is, so that an exhausted retry
		// yields the platform's APIError rather than a generic "giving up".
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: beforeAttempt,
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
