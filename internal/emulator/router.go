package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// authLevel says which parts of the Authorization header a route needs.
type authLevel int

const (
	// authPlatform needs User and Organization; an Element token is optional.
	authPlatform authLevel = iota
	// authPlatformElement needs User, Organization and Element: the id-less
	// instance routes act on the token's instance.
	authPlatformElement
	// authHub needs User and Element; Organization is optional.
	authHub
)

type route struct {
	method  string
	pattern string   // relative to APIPrefix, e.g. "/instances/{id}"
	segs    []string // pattern split on "/"
	key     string   // "GET /instances/{id}", used for stats and faults
	norm    string   // key with placeholder names removed
	auth    authLevel
	handle  func(*call)
}

// call is one API request on its way through a handler.
type call struct {
	s      *Server
	r      *http.Request
	w      http.ResponseWriter
	params map[string]string
	route  *route
	reqID  string
	body   []byte
	auth   authInfo
	status int
}

func (c *call) json(status int, v any) {
	c.status = status
	writeJSON(c.w, status, v)
}

func (c *call) fail(status int, format string, args ...any) {
	c.status = status
	writeError(c.w, c.reqID, status, fmt.Sprintf(format, args...), "")
}

func (c *call) failProvider(status int, msg, providerMsg string) {
	c.status = status
	writeError(c.w, c.reqID, status, msg, providerMsg)
}

// failErr answers a handler error: validation errors are 400, lookups 404,
// vendor failures 400 with providerMessage.
func (c *call) failErr(err error) {
	var br *badRequest
	var nf *notFound
	var pe *providerError
	switch {
	case errors.As(err, &br):
		c.fail(http.StatusBadRequest, "%s", br.msg)
	case errors.As(err, &nf):
		c.fail(http.StatusNotFound, "%s", nf.msg)
	case errors.As(err, &pe):
		c.failProvider(http.StatusBadRequest, pe.msg, pe.provider)
	default:
		c.fail(http.StatusInternalServerError, "%v", err)
	}
}

type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// badRequest is a validation failure answered with 400.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf(format, args...)}
}

// emptyBody is the value of a handler that answers 200 without a body.
type emptyBody struct{}

// read and change are the tail every handler of stored state shares: fn
// runs holding s.mu; then, with the lock released, the call answers fn's
// error, or 200 with fn's value. change saves the state file first.
func (c *call) read(fn func() (any, error))   { c.underLock(false, fn) }
func (c *call) change(fn func() (any, error)) { c.underLock(true, fn) }

func (c *call) underLock(save bool, fn func() (any, error)) {
	c.s.mu.Lock()
	v, err := fn()
	c.s.mu.Unlock()
	if err != nil {
		c.failErr(err)
		return
	}
	if save {
		c.s.changed()
	}
	c.ok(v)
}

// ok answers 200 with v. Hub routes name the token's instance in
// elements-element-instance-id, as the platform does.
func (c *call) ok(v any) {
	if c.route.auth == authHub {
		c.w.Header().Set("elements-element-instance-id", strconv.FormatInt(c.auth.instanceID, 10))
	}
	if _, empty := v.(emptyBody); empty {
		c.status = http.StatusOK
		c.w.WriteHeader(http.StatusOK)
		return
	}
	c.json(http.StatusOK, v)
}

// apiError is the platform's error body.
type apiError struct {
	RequestID       string `json:"requestId"`
	Message         string `json:"message"`
	ProviderMessage string `json:"providerMessage,omitempty"`
}

func writeError(w http.ResponseWriter, reqID string, status int, msg, providerMsg string) {
	writeJSON(w, status, apiError{RequestID: reqID, Message: msg, ProviderMessage: providerMsg})
}

// writeJSON answers v as JSON. Like the platform (Jackson), it leaves &, <
// and > unescaped, so URLs such as oauthUrl read as they are.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func newRoute(method, pattern string, auth authLevel, h func(*call)) *route {
	key := method + " " + pattern
	return &route{
		method:  method,
		pattern: pattern,
		segs:    strings.Split(strings.Trim(pattern, "/"), "/"),
		key:     key,
		norm:    placeholderless(key),
		auth:    auth,
		handle:  h,
	}
}

func (s *Server) buildRoutes() []*route {
	P, PE, H := authPlatform, authPlatformElement, authHub
	return []*route{
		newRoute("GET", "/elements", P, s.listElements),
		newRoute("GET", "/elements/{keyOrId}", P, s.getElement),
		newRoute("GET", "/elements/{keyOrId}/configuration", P, s.getElementConfiguration),
		newRoute("GET", "/elements/{keyOrId}/oauth/url", P, s.getOAuthURL),
		newRoute("GET", "/elements/{keyOrId}/instances", P, s.listElementInstances),
		newRoute("POST", "/elements/{keyOrId}/instances", P, s.createElementInstance),

		newRoute("POST", "/instances", P, s.createInstance),
		newRoute("GET", "/instances", P, s.listInstances),
		newRoute("PUT", "/instances", PE, s.putInstance),
		newRoute("PATCH", "/instances", PE, s.patchInstance),
		newRoute("GET", "/instances/{id}", P, s.getInstance),
		newRoute("PUT", "/instances/{id}", P, s.putInstance),
		newRoute("PATCH", "/instances/{id}", P, s.patchInstance),
		newRoute("DELETE", "/instances/{id}", P, s.deleteInstance),

		newRoute("GET", "/instances/configuration", PE, s.listInstanceConfiguration),
		newRoute("GET", "/instances/configuration/{configId}", PE, s.getInstanceConfiguration),
		newRoute("PATCH", "/instances/configuration/{configId}", PE, s.patchInstanceConfiguration),
		newRoute("GET", "/instances/{id}/configuration", P, s.listInstanceConfiguration),
		newRoute("GET", "/instances/{id}/configuration/{configId}", P, s.getInstanceConfiguration),
		newRoute("PATCH", "/instances/{id}/configuration/{configId}", P, s.patchInstanceConfiguration),

		newRoute("PUT", "/instances/enabled", PE, s.enableInstance),
		newRoute("DELETE", "/instances/enabled", PE, s.disableInstance),
		newRoute("PUT", "/instances/{id}/enabled", P, s.enableInstance),
		newRoute("DELETE", "/instances/{id}/enabled", P, s.disableInstance),

		newRoute("GET", "/instances/events", PE, s.listEvents),
		newRoute("GET", "/instances/events/{eventId}", PE, s.getEvent),
		newRoute("GET", "/instances/{id}/events", P, s.listEvents),
		newRoute("GET", "/instances/{id}/events/{eventId}", P, s.getEvent),

		newRoute("GET", "/hubs/general/messages", H, s.hubListMessages),
		newRoute("POST", "/hubs/general/messages", H, s.hubCreateMessage),
		newRoute("GET", "/hubs/general/messages/{id}", H, s.hubGetMessage),
		newRoute("PATCH", "/hubs/general/messages/{id}", H, s.hubPatchMessage),
		newRoute("DELETE", "/hubs/general/messages/{id}", H, s.hubDeleteMessage),
		newRoute("GET", "/hubs/general/changed-messages", H, s.hubChangedMessages),
	}
}

// match finds the route for a method and a path relative to APIPrefix.
// Literal segments win over placeholders, position by position, so
// "/instances/configuration" beats "/instances/{id}". pathKnown reports
// whether some route had the path under another method.
func (s *Server) match(method, path string) (best *route, params map[string]string, pathKnown bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range s.routes {
		if len(rt.segs) != len(segs) || !segsMatch(rt.segs, segs) {
			continue
		}
		pathKnown = true
		if rt.method != method {
			continue
		}
		if best == nil || moreLiteral(rt.segs, best.segs) {
			best = rt
		}
	}
	if best == nil {
		return nil, nil, pathKnown
	}
	params = map[string]string{}
	for i, p := range best.segs {
		if isPlaceholder(p) {
			params[p[1:len(p)-1]] = segs[i]
		}
	}
	return best, params, true
}

func segsMatch(pattern, segs []string) bool {
	for i, p := range pattern {
		if isPlaceholder(p) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if p != segs[i] {
			return false
		}
	}
	return true
}

func moreLiteral(a, b []string) bool {
	for i := range a {
		la, lb := !isPlaceholder(a[i]), !isPlaceholder(b[i])
		if la != lb {
			return la
		}
	}
	return false
}

func isPlaceholder(seg string) bool {
	return len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

var placeholderRE = regexp.MustCompile(`\{[^}/]*\}`)

func placeholderless(key string) string { return placeholderRE.ReplaceAllString(key, "{}") }

// normalizeRouteKey turns "post /elements/api-v2/instances/{instanceId}"
// into "POST /instances/{}" so routes can be named loosely.
func normalizeRouteKey(route string) (string, error) {
	method, path, ok := strings.Cut(strings.TrimSpace(route), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("route %q must look like \"POST /instances\"", route)
	}
	path = strings.TrimPrefix(path, APIPrefix)
	if path == "" {
		path = "/"
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(method) + " " + placeholderless(path), nil
}
