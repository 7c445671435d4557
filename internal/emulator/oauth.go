package emulator

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// codeTTL is how long an authorization code can be exchanged.
const codeTTL = 10 * time.Minute

// providerError is a failure reported by the (emulated) vendor; it is
// answered 400 with providerMessage.
type providerError struct{ msg, provider string }

func (e *providerError) Error() string { return e.msg + ": " + e.provider }

type authCode struct {
	vendor      string
	clientID    string
	redirectURI string
	scope       string
	expires     time.Time
	used        bool
}

type oauthTokens struct{ access, refresh string }

// vendorState is the emulated OAuth 2.0 authorization server.
type vendorState struct {
	rnd *randSource

	mu sync.Mutex
	// apps maps client id to client secret, learned from the OAuth URL
	// request (the platform is told both) or from the first exchange.
	apps          map[string]string
	codes         map[string]*authCode
	refreshTokens map[string]string // refresh token -> client id
}

func newVendorState(r *randSource) *vendorState {
	return &vendorState{rnd: r, apps: map[string]string{}, codes: map[string]*authCode{}, refreshTokens: map[string]string{}}
}

func (v *vendorState) token(prefix string, n int) string {
	return prefix + base64.RawURLEncoding.EncodeToString(v.rnd.bytes(n))
}

// baseURL is the scheme and host the request came in on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func vendorURL(r *http.Request, spec *oauthSpec, path string) string {
	return baseURL(r) + "/_vendor/" + spec.Vendor + path
}

// getOAuthURL answers GET /elements/{keyOrId}/oauth/url.
func (s *Server) getOAuthURL(c *call) {
	el, ok := c.element()
	if !ok {
		return
	}
	if el.OAuth == nil {
		c.fail(http.StatusBadRequest, "Element %s does not use OAuth (authentication type %s)", el.Key, el.AuthType)
		return
	}
	q := c.r.URL.Query()
	var missing []string
	for _, p := range []string{"apiKey", "apiSecret", "callbackUrl"} {
		if strings.TrimSpace(q.Get(p)) == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		c.fail(http.StatusBadRequest, "Missing required query parameters: %s", strings.Join(missing, ", "))
		return
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = el.OAuth.Scope
	}
	state := q.Get("state")
	if state == "" {
		state = el.Key
	}
	s.vendor.mu.Lock()
	s.vendor.apps[q.Get("apiKey")] = q.Get("apiSecret")
	s.vendor.mu.Unlock()

	// Parameter order follows the platform's documented URL.
	params := []string{
		"access_type=offline",
		"prompt=consent",
		"scope=" + url.QueryEscape(scope),
		"response_type=code",
		"redirect_uri=" + url.QueryEscape(q.Get("callbackUrl")),
		"state=" + url.QueryEscape(state),
		"client_id=" + url.QueryEscape(q.Get("apiKey")),
	}
	c.json(http.StatusOK, map[string]string{
		"oauthUrl": vendorURL(c.r, el.OAuth, el.OAuth.AuthPath) + "?" + strings.Join(params, "&"),
		"element":  el.Key,
	})
}

// serveVendor answers the emulated vendors' authorization and token endpoints.
func (s *Server) serveVendor(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/_vendor/")
	vendor, path, _ := strings.Cut(rest, "/")
	path = "/" + path
	for _, el := range catalog {
		if el.OAuth == nil || el.OAuth.Vendor != vendor {
			continue
		}
		switch {
		case path == el.OAuth.AuthPath && r.Method == http.MethodGet:
			s.vendorAuthorize(w, r, vendor)
			return
		case path == el.OAuth.TokenPath && r.Method == http.MethodPost:
			s.vendorToken(w, r, vendor)
			return
		}
	}
	oauthError(w, http.StatusNotFound, "not_found", "unknown vendor endpoint")
}

// vendorAuthorize approves at once and redirects back with a code. A
// request with emulator_deny=true is refused the way a user would refuse.
func (s *Server) vendorAuthorize(w http.ResponseWriter, r *http.Request, vendor string) {
	q := r.URL.Query()
	clientID, redirect := q.Get("client_id"), q.Get("redirect_uri")
	if clientID == "" || redirect == "" || q.Get("response_type") != "code" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "client_id, redirect_uri and response_type=code are required")
		return
	}
	target, err := url.Parse(redirect)
	if err != nil || !target.IsAbs() {
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be an absolute URL")
		return
	}
	back := target.Query()
	if q.Get("emulator_deny") == "true" {
		back.Set("error", "access_denied")
	} else {
		code := s.vendor.token("4/", 32)
		s.vendor.mu.Lock()
		s.vendor.codes[code] = &authCode{
			vendor:      vendor,
			clientID:    clientID,
			redirectURI: redirect,
			scope:       q.Get("scope"),
			expires:     s.now().Add(codeTTL),
		}
		s.vendor.mu.Unlock()
		back.Set("code", code)
		back.Set("scope", q.Get("scope"))
	}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	// Google leaves the "/" of "4/…" codes unescaped in the redirect, so a
	// code copied from the browser's address bar works as it is.
	target.RawQuery = strings.ReplaceAll(back.Encode(), "%2F", "/")
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// vendorToken is the token endpoint: authorization_code and refresh_token grants.
func (s *Server) vendorToken(w http.ResponseWriter, r *http.Request, vendor string) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse form")
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if clientID == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	v := s.vendor
	v.mu.Lock()
	defer v.mu.Unlock()
	if known, ok := v.apps[clientID]; ok && subtle.ConstantTimeCompare([]byte(known), []byte(secret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}

	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := v.codes[r.PostForm.Get("code")]
		switch {
		case code == nil || code.vendor != vendor:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		case code.used:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Code was already redeemed.")
			return
		case !s.now().Before(code.expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Code has expired.")
			return
		case code.clientID != clientID:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Code was issued to another client.")
			return
		case code.redirectURI != r.PostForm.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		}
		code.used = true
		v.apps[clientID] = secret
		refresh := v.token("1//", 48)
		v.refreshTokens[refresh] = clientID
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token":  v.token("ya29.", 96),
			"token_type":    "Bearer",
			"expires_in":    3599,
			"refresh_token": refresh,
			"scope":         code.scope,
		})
	case "refresh_token":
		owner, ok := v.refreshTokens[r.PostForm.Get("refresh_token")]
		if !ok || owner != clientID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": v.token("ya29.", 96),
			"token_type":   "Bearer",
			"expires_in":   3599,
		})
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type.")
	}
}

// exchangeCode redeems a code at the emulated vendor's token endpoint over
// real HTTP, on the host the API request came in on, as the platform does.
// golang.org/x/oauth2 sends the standard RFC 6749 section 4.1.3 form post;
// AuthStyleInParams puts the client credentials in the form body (the
// emulated token endpoint accepts Basic auth as well).
func (s *Server) exchangeCode(r *http.Request, el *elementDef, clientID, secret, redirect *string, code string) (oauthTokens, error) {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	cfg := oauth2.Config{
		ClientID:     deref(clientID),
		ClientSecret: deref(secret),
		RedirectURL:  deref(redirect),
		Endpoint:     oauth2.Endpoint{TokenURL: vendorURL(r, el.OAuth, el.OAuth.TokenPath), AuthStyle: oauth2.AuthStyleInParams},
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			return oauthTokens{}, &providerError{msg: "Failed to reach the OAuth provider of " + el.Name, provider: err.Error()}
		}
		pm := re.ErrorCode
		if re.ErrorDescription != "" {
			pm += ": " + re.ErrorDescription
		}
		if pm == "" && re.Response != nil {
			pm = re.Response.Status
		}
		return oauthTokens{}, &providerError{msg: "Failed to exchange the OAuth authorization code with " + el.Name, provider: pm}
	}
	return oauthTokens{access: tok.AccessToken, refresh: tok.RefreshToken}, nil
}
