package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
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

	// once marks a call that must not be repeated while its outcome is
	// unknown: a POST, and a PATCH or PUT that spends providerData such as
	// a one-time code.
	once bool

	attempt int
	start   time.Time
	// mayHaveReached is set when the last attempt failed in a way that does not
	// prove the server never saw the request.
	mayHaveReached bool
	// retrying describes the answer the call is waiting to retry, for the
	// error should its context end during the wait.
	retrying string
	// note is why the call was not retried although the answer allowed it.
	note string
}

type callKey struct{}

// callOf returns the call a request context carries. Every request the
// Client sends carries one; the zero call (not once, not logging) stands
// in should that ever fail, rather than a panic.
func callOf(ctx context.Context) *call {
	if cl, ok := ctx.Value(callKey{}).(*call); ok {
		return cl
	}
	return &call{}
}

// request is one API call to make.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	// once: see call.once. newRequest sets it for POST.
	once bool
}

func newRequest(method, path string, query url.Values, body any) request {
	return request{method: method, path: path, query: query, body: body, once: method == http.MethodPost}
}

// answer is a 2xx the caller may still find unusable: its status, request id
// and headers, and the call to name in an error.
type answer struct {
	cl        *call
	status    int
	requestID string
	header    http.Header
}

// fail is the error of an answer that came but cannot be used; for a call
// that must not be repeated it is ErrAmbiguous, as the request may have
// been processed.
func (a *answer) fail(format string, args ...any) error {
	return a.cl.unknownIf(a.status, a.cl.errorf("%d response (request id %s): "+format,
		append([]any{a.status, a.requestID}, args...)...))
}

// do sends one request with retries and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	_, err := c.exchange(ctx, newRequest(method, path, query, in), out)
	return err
}

// exchange is do for callers that check the answer further. A call whose
// context has no deadline gets DefaultOperationTimeout.
func (c *Client) exchange(ctx context.Context, r request, out any) (*answer, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.operationTimeout)
		defer cancel()
	}
	cl, req, err := c.newCall(ctx, r)
	if err != nil {
		return nil, err
	}
	resp, err := cl.send(req)
	if err != nil {
		return nil, err
	}
	return cl.decode(resp, out)
}

// newCall builds the request: body, URL, headers, and the call in its context.
func (c *Client) newCall(ctx context.Context, r request) (*call, *retryablehttp.Request, error) {
	method, path, query, in := r.method, r.path, r.query, r.body
	cl := &call{c: c, ctx: ctx, method: method, path: redactPath(path, query), query: query, once: r.once}
	if err := ctx.Err(); err != nil {
		return nil, nil, cl.errorf("%w", err)
	}
	cl.logging = c.logger != nil && c.logger.Enabled(ctx, LevelDebug)
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
	if cl.note != "" {
		err = fmt.Errorf("%w; %s", err, cl.note)
	}
	if cl.attempt > 1 && !cl.outcomeUnknown(status) {
		return nil, cl.errorf("after %d attempts: %w", cl.attempt, err)
	}
	return nil, cl.unknownIf(status, cl.errorf("%w", err))
}

// decode reads the answer: at most the client's body cap of it, logged
// redacted. A redirect becomes a RedirectError, any other non-2xx an
// APIError; a 2xx that is not JSON, or is empty or null where out expects a
// value, is an error naming the call, the status and the request id.
func (cl *call) decode(resp *http.Response, out any) (*answer, error) {
	defer resp.Body.Close()
	limit := cl.c.maxBody
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if readErr == nil && int64(len(body)) > limit {
		readErr = fmt.Errorf("response body larger than %d bytes", limit)
	}
	if cl.logging && len(body) > 0 {
		cl.log("opencon response body", map[string]any{
			"method": cl.method, "path": cl.path, "status": resp.StatusCode,
			"body": string(RedactJSON(body, cl.secrets()...)),
		})
	}

	status := resp.StatusCode
	if status >= 300 && status <= 399 {
		return nil, newRedirectError(resp, cl)
	}
	if status < 200 || status > 299 {
		apiErr := newAPIError(resp, cl.method, cl.path, body, cl.secrets())
		apiErr.Attempts = cl.attempt
		apiErr.Ambiguous = cl.outcomeUnknown(status)
		apiErr.Note = cl.note
		return nil, apiErr
	}
	a := &answer{cl: cl, status: status, requestID: headerRequestID(resp), header: resp.Header}
	if readErr != nil {
		return nil, a.fail("reading body: %v", sanitizeErr(readErr, cl.secrets()))
	}
	if out == nil {
		return a, nil
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, a.fail("empty body, expected JSON")
	case string(trimmed) == "null":
		return nil, a.fail("body is null, expected JSON")
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONMediaType(ct) {
		return nil, a.fail("Content-Type is %q, expected application/json; body starts %q", excerpt([]byte(ct), cl.secrets()), excerpt(body, cl.secrets()))
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		return nil, a.fail("cannot decode body: %v; body starts %q", err, excerpt(body, cl.secrets()))
	}
	return a, nil
}

// isJSONMediaType accepts application/json, the +json types and
// text/plain, which gateways and servers that do not label their answers
// use; HTML (a proxy's or portal's page), XML and the like are refused.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain")
}

// outcomeUnknown is the one place that decides whether a failed call may
// have been processed all the same, so that the caller must look before it
// tries again; status is the answer's, 0 when none came. Only calls marked
// once count (a POST, a PATCH or PUT spending providerData): every other
// call is idempotent. Their outcome is unknown when no answer came although
// the request may have reached the server, when the answer was a 5xx (the
// platform may have failed after processing it), a 2xx that could not be
// used, or a 301, 302 or 303 (which after a POST may mean "done, see
// there"). A 307 or 308 asks for the request to be repeated elsewhere, and
// a 429 or another 4xx was refused before processing.
func (cl *call) outcomeUnknown(status int) bool {
	if !cl.once {
		return false
	}
	switch {
	case status == 0:
		return cl.mayHaveReached
	case status >= 500:
		return true
	case status == http.StatusTemporaryRedirect || status == http.StatusPermanentRedirect:
		return false
	default:
		return status >= 200 && status <= 399
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

// log writes a debug record; callers check cl.logging first.
func (cl *call) log(msg string, fields map[string]any) {
	cl.c.logger.Log(cl.ctx, LevelDebug, msg, fields)
}

// logAt writes a record of level when the Logger wants it.
func (cl *call) logAt(level Level, msg string, fields map[string]any) {
	if cl.c != nil {
		cl.c.logAt(cl.ctx, level, msg, fields)
	}
}

func (c *Client) logAt(ctx context.Context, level Level, msg string, fields map[string]any) {
	if c.logger != nil && c.logger.Enabled(ctx, level) {
		c.logger.Log(ctx, level, msg, fields)
	}
}

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
	cl.mayHaveReached = err != nil && !neverSent(err)
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
