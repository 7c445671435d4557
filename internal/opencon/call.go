package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// call is the state of one logical request across its attempts. The
// Client's shared retrying HTTP client finds it in the request context.
type call struct {
	c      *Client
	ctx    context.Context
	method string
	// path is the path and query as logs and errors show them, secret
	// parameters such as apiSecret hidden.
	path  string
	query url.Values
	body  []byte
	// logging is whether the Logger wants this call's records at all.
	logging bool
	// secretList is what must never appear in this call's logs or errors;
	// see secrets.
	secretList []string

	attempt int
	start   time.Time
	// mayHaveReached is set when the last attempt failed in a way that does not
	// prove the server never saw the request.
	mayHaveReached bool
}

type callKey struct{}

// callOf returns the call a request context carries. Every request the
// Client sends carries one; the zero call (not a POST, not logging) stands
// in should that ever fail, rather than a panic.
func callOf(ctx context.Context) *call {
	if cl, ok := ctx.Value(callKey{}).(*call); ok {
		return cl
	}
	return &call{}
}

// do sends one request with retries and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	cl, req, err := c.newCall(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	resp, err := cl.send(req)
	if err != nil {
		return err
	}
	return cl.decode(resp, out)
}

// newCall builds the request: body, URL, headers, and the call in its context.
func (c *Client) newCall(ctx context.Context, method, path string, query url.Values, in any) (*call, *retryablehttp.Request, error) {
	cl := &call{c: c, ctx: ctx, method: method, path: redactPath(path, query), query: query}
	if err := ctx.Err(); err != nil {
		return nil, nil, cl.errorf("%w", err)
	}
	cl.logging = c.logger != nil && c.logger.Enabled(ctx)
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, cl.errorf("encoding request: %w", err)
		}
		cl.body, body = b, b
	}
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, cl), method, target, body)
	if err != nil {
		return nil, nil, cl.errorf("%w", sanitizeErr(err, cl.secrets()))
	}
	req.Header.Set("Authorization", c.authHeader)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return cl, req, nil
}

// send makes the attempts and turns a failure without a usable answer into
// an error that names the call, its attempts and, for a POST, whether its
// outcome is unknown.
func (cl *call) send(req *retryablehttp.Request) (*http.Response, error) {
	resp, err := cl.c.http.Do(req)
	if err == nil {
		return resp, nil
	}
	status := 0
	if resp != nil {
		// The context ended just as an answer came: the answer still says
		// whether the request was processed.
		status = resp.StatusCode
		resp.Body.Close()
	}
	err = sanitizeErr(err, cl.secrets())
	if cl.attempt > 1 && !cl.outcomeUnknown(status) {
		return nil, cl.errorf("after %d attempts: %w", cl.attempt, err)
	}
	return nil, cl.unknownIf(status, cl.errorf("%w", err))
}

// decode reads the answer: at most maxResponseBytes of it, logged redacted;
// a non-2xx becomes an APIError and a 2xx is decoded into out.
func (cl *call) decode(resp *http.Response, out any) error {
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if readErr == nil && len(body) > maxResponseBytes {
		readErr = fmt.Errorf("response body larger than %d bytes", maxResponseBytes)
	}
	if cl.logging && len(body) > 0 {
		cl.log("opencon response body", map[string]any{
			"method": cl.method, "path": cl.path, "status": resp.StatusCode,
			"body": string(RedactJSON(body, cl.secrets()...)),
		})
	}

	status := resp.StatusCode
	if status < 200 || status > 299 {
		apiErr := newAPIError(resp, cl.method, cl.path, body, cl.secrets())
		apiErr.Attempts = cl.attempt
		apiErr.Ambiguous = cl.outcomeUnknown(status)
		return apiErr
	}
	requestID := headerRequestID(resp)
	if readErr != nil {
		return cl.unknownIf(status, cl.errorf("%d response (request id %s): reading body: %v",
			status, requestID, sanitizeErr(readErr, cl.secrets())))
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return cl.unknownIf(status, cl.errorf("%d response (request id %s): empty body, expected JSON", status, requestID))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return cl.unknownIf(status, cl.errorf("%d response (request id %s): cannot decode body: %v; body starts %q",
			status, requestID, err, excerpt(body, cl.secrets())))
	}
	return nil
}

// outcomeUnknown is the one place that decides whether a failed call may
// have been processed all the same, so that the caller must look before it
// tries again; status is the answer's, 0 when none came. Only POST creates:
// every other method is idempotent. A POST's outcome is unknown when no
// answer came although the request may have reached the server, when the
// answer was a 5xx (the platform may have failed after processing it), and
// when a 2xx answer could not be used. A 429 or another 4xx was refused
// before processing.
func (cl *call) outcomeUnknown(status int) bool {
	if cl.method != http.MethodPost {
		return false
	}
	switch {
	case status == 0:
		return cl.mayHaveReached
	case status >= 500:
		return true
	default:
		return status >= 200 && status <= 299
	}
}

// unknownIf marks err as ErrAmbiguous when the outcome is unknown.
func (cl *call) unknownIf(status int, err error) error {
	if cl.outcomeUnknown(status) {
		return &ambiguousError{err}
	}
	return err
}

// errorf is an error naming the call: "opencon: METHOD /path: ...".
func (cl *call) errorf(format string, args ...any) error {
	return fmt.Errorf("opencon: %s %s: "+format, append([]any{cl.method, cl.path}, args...)...)
}

// secrets lists what must never appear in the call's logs or errors: the
// client's secrets and the secret values the request carries, which a
// server might echo back. It is worked out only when a log record or an
// error needs it.
func (cl *call) secrets() []string {
	if cl.secretList == nil {
		cl.secretList = callSecrets(cl.c.secrets, cl.query, cl.body)
	}
	return cl.secretList
}

func (cl *call) log(msg string, fields map[string]any) { cl.c.logger.Log(cl.ctx, msg, fields) }

// beforeAttempt is the RequestLogHook: it counts and times the attempt and
// logs it, with the redacted body on the first.
func beforeAttempt(_ retryablehttp.Logger, r *http.Request, i int) {
	cl := callOf(r.Context())
	cl.attempt, cl.start = i+1, time.Now()
	if !cl.logging {
		return
	}
	fields := map[string]any{"method": cl.method, "path": cl.path, "attempt": cl.attempt}
	if cl.body != nil && cl.attempt == 1 {
		fields["body"] = string(RedactJSON(cl.body, cl.secrets()...))
	}
	cl.log("opencon request", fields)
}

// afterAttempt notes how an attempt ended and logs it.
func (cl *call) afterAttempt(resp *http.Response, err error) {
	cl.mayHaveReached = err != nil && !isDialError(err)
	if !cl.logging {
		return
	}
	fields := map[string]any{
		"method":   cl.method,
		"path":     cl.path,
		"attempt":  cl.attempt,
		"duration": time.Since(cl.start).String(),
	}
	if err != nil {
		fields["error"] = sanitizeErr(err, cl.secrets()).Error()
	}
	if resp != nil {
		fields["status"] = resp.StatusCode
		fields["request_id"] = headerRequestID(resp)
	}
	cl.log("opencon response", fields)
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
