package opencon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinel errors, matched with errors.Is.
var (
	ErrNotFound     = errors.New("opencon: not found")
	ErrUnauthorized = errors.New("opencon: unauthorized")
	ErrForbidden    = errors.New("opencon: forbidden")
	ErrConflict     = errors.New("opencon: conflict")
	// ErrAmbiguous means a POST may or may not have been processed: the
	// caller has to look for what it tried to create before trying again.
	ErrAmbiguous = errors.New("opencon: outcome unknown, the request may have been processed")
)

// ambiguousError marks a POST failure that does not prove the request was
// not processed.
type ambiguousError struct{ err error }

func (e *ambiguousError) Error() string {
	return e.err.Error() + "; the outcome is unknown, the request may have been processed"
}

func (e *ambiguousError) Unwrap() []error { return []error{ErrAmbiguous, e.err} }

// excerptLimit caps how much of an unexpected body goes into an error.
const excerptLimit = 200

// APIError is a non-2xx answer of the platform.
type APIError struct {
	StatusCode      int
	Method, Path    string
	RequestID       string
	Message         string
	ProviderMessage string
	// Body is a redacted excerpt of a body that carried no message.
	Body string
	// Attempts is how many times the request was sent.
	Attempts int
	// Ambiguous is set for a POST whose failure does not prove it was not processed.
	Ambiguous bool
	// RetryAfter is the answer's Retry-After header, if any.
	RetryAfter string
	// Note says why the call was not retried although the answer allowed it.
	Note string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opencon: %s %s: %d %s (request id %s)", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), e.requestID())
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Body != "":
		fmt.Fprintf(&b, ": unexpected response body %q", e.Body)
	default:
		b.WriteString(": empty response body")
	}
	if e.ProviderMessage != "" {
		b.WriteString("; provider message: " + e.ProviderMessage)
	}
	switch {
	case e.StatusCode == http.StatusTooManyRequests && e.RetryAfter != "":
		b.WriteString("; rate limited (429), Retry-After " + e.RetryAfter)
	case e.StatusCode == http.StatusTooManyRequests:
		b.WriteString("; rate limited (429), no Retry-After")
	case e.RetryAfter != "":
		b.WriteString("; Retry-After " + e.RetryAfter)
	}
	if e.Note != "" {
		b.WriteString("; " + e.Note)
	}
	if e.Ambiguous {
		b.WriteString("; the outcome is unknown, the request may have been processed")
	}
	return b.String()
}

func (e *APIError) requestID() string { return orUnknown(e.RequestID) }

// Is matches the sentinel errors by status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrAmbiguous:
		return e.Ambiguous
	}
	return false
}

// newAPIError builds the error of a non-2xx response from its body, which may
// be anything: the platform's JSON error, an HTML page, nothing or a fragment.
func newAPIError(resp *http.Response, method, path string, body []byte, secrets []string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
	var payload struct {
		RequestID       string          `json:"requestId"`
		Message         json.RawMessage `json:"message"`
		ProviderMessage json.RawMessage `json:"providerMessage"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &payload) == nil {
		e.RequestID = scrubSecrets(payload.RequestID, secrets)
		e.Message = messageText(payload.Message, secrets)
		e.ProviderMessage = messageText(payload.ProviderMessage, secrets)
	}
	if e.RequestID == "" {
		if id := headerRequestID(resp); id != "unknown" {
			e.RequestID = id
		}
	}
	if e.Message == "" && len(trimmed) > 0 {
		e.Body = excerpt(trimmed, secrets)
	}
	e.RetryAfter = truncate(scrubSecrets(strings.TrimSpace(resp.Header.Get("Retry-After")), secrets), 64)
	return e
}

// RedirectError is a 3xx answer. The client follows no redirect: the
// platform API does not redirect, and following one would send the
// Authorization header and the body (OAuth secrets, refresh tokens, codes)
// wherever it points, in clear if that is an http:// URL. It is never
// retried.
type RedirectError struct {
	StatusCode   int
	Method, Path string
	RequestID    string
	// Location is the scheme and host the redirect points to, without path
	// or query (which could carry anything), or "" when it names none.
	Location string
	// Ambiguous is set when the call must not be repeated and a 301, 302 or
	// 303 may mean it was processed.
	Ambiguous bool
}

func (e *RedirectError) Error() string {
	to := "no Location"
	if e.Location != "" {
		to = e.Location
	}
	msg := fmt.Sprintf("opencon: %s %s: %d %s (request id %s) redirecting to %s: refused; the platform API does not redirect, "+
		"and following would send the credentials there. Check base_url, or a proxy in between",
		e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), orUnknown(e.RequestID), to)
	if e.Ambiguous {
		msg += "; the outcome is unknown, the request may have been processed"
	}
	return msg
}

// Is matches ErrAmbiguous when the redirect leaves the outcome unknown.
func (e *RedirectError) Is(target error) bool { return target == ErrAmbiguous && e.Ambiguous }

func newRedirectError(resp *http.Response, cl *call) *RedirectError {
	e := &RedirectError{StatusCode: resp.StatusCode, Method: cl.method, Path: cl.path, Ambiguous: cl.outcomeUnknown(resp.StatusCode)}
	if id := headerRequestID(resp); id != "unknown" {
		e.RequestID = id
	}
	if u, err := resp.Location(); err == nil && u.Host != "" {
		e.Location = scrubSecrets(u.Scheme+"://"+u.Host, cl.secrets())
	}
	return e
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// messageText renders a message field, which is normally a string but is not
// guaranteed to be one.
func messageText(raw json.RawMessage, secrets []string) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(RedactJSON(raw, secrets...))
	}
	return truncate(redactText(strings.TrimSpace(s), secrets), 2000)
}

// excerpt is a redacted, short, printable prefix of a body.
func excerpt(body []byte, secrets []string) string {
	return truncate(string(RedactJSON(body, secrets...)), excerptLimit)
}

func truncate(s string, limit int) string {
	if len(s) <= limit {
		return strings.ToValidUTF8(s, "?")
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "?") + "..."
}
