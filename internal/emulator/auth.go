package emulator

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// msgUnauthorized is the platform's exact 401 message.
const msgUnauthorized = "Invalid Organization or User secret, or invalid Element token provided."

// authInfo is what the Authorization header named.
type authInfo struct {
	user, org, element       string
	hasUser, hasOrg, hasElem bool
	// instanceID is the instance of the Element token, 0 if none was given.
	instanceID int64
}

// parseAuthorization reads "User x, Organization y, Element z" in any order.
// Element tokens are base64 and may contain "=", "/" and "+", never ",".
func parseAuthorization(h string) authInfo {
	var a authInfo
	for _, part := range strings.Split(h, ",") {
		scheme, value, ok := strings.Cut(strings.TrimSpace(part), " ")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(scheme) {
		case "user":
			a.user, a.hasUser = value, true
		case "organization":
			a.org, a.hasOrg = value, true
		case "element":
			a.element, a.hasElem = value, true
		}
	}
	return a
}

func secretEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticate checks the header against the route's needs and answers
// 401 (or 403 for a disabled instance on a hub route) when it fails.
func (s *Server) authenticate(c *call) bool {
	a := parseAuthorization(c.r.Header.Get("Authorization"))
	ok := a.hasUser && secretEqual(a.user, s.opts.UserSecret)
	switch c.route.auth {
	case authPlatform:
		ok = ok && a.hasOrg && secretEqual(a.org, s.opts.OrganizationSecret)
	case authPlatformElement:
		ok = ok && a.hasOrg && secretEqual(a.org, s.opts.OrganizationSecret) && a.hasElem
	case authHub:
		ok = ok && a.hasElem && (!a.hasOrg || secretEqual(a.org, s.opts.OrganizationSecret))
	}
	disabled := false
	if ok && a.hasElem {
		s.mu.Lock()
		inst := s.st.byToken(a.element)
		if inst != nil {
			a.instanceID = inst.ID
			disabled = inst.Disabled
		}
		s.mu.Unlock()
		ok = inst != nil
	}
	if !ok {
		c.fail(http.StatusUnauthorized, msgUnauthorized)
		return false
	}
	if disabled && c.route.auth == authHub {
		c.fail(http.StatusForbidden, "Element instance %d is disabled", a.instanceID)
		return false
	}
	c.auth = a
	return true
}
