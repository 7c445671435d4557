package emulator

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Configuration entry types, as the platform names them.
const (
	typeText     = "TEXTFIELD_128"
	typeLongText = "TEXTFIELD_1000"
	typeTextArea = "TEXTAREA"
	typePassword = "PASSWORD"
	typeBoolean  = "BOOLEAN"
	typeNumber   = "TEXTFIELD_32"
)

// configDef is one configuration entry an element accepts.
type configDef struct {
	Key      string
	Name     string
	Type     string
	Default  *string
	Required bool
}

// oauthSpec describes an OAuth 2.0 element's vendor, served by the emulator
// itself under /_vendor/<Vendor>.
type oauthSpec struct {
	Vendor    string
	AuthPath  string // relative to /_vendor/<Vendor>
	TokenPath string
	Scope     string
}

// elementDef is one element of the catalog.
type elementDef struct {
	ID          int64
	Key         string
	Name        string
	Description string
	Hub         string
	AuthType    string // "oauth2", "basic", "custom"
	OAuth       *oauthSpec
	Polling     bool
	Config      []configDef
}

func str(s string) *string { return &s }

const gmailScope = "https://mail.google.com/ https://www.googleapis.com/auth/gmail.settings.basic"

// eventConfig is the event configuration shared by polling elements.
func eventConfig(vendorType string) []configDef {
	return []configDef{
		{Key: "event.vendor.type", Name: "Event Type", Type: typeText, Default: str(vendorType)},
		{Key: "event.notification.enabled", Name: "Events Enabled", Type: typeBoolean, Default: str("false")},
		{Key: "event.notification.callback.url", Name: "Event Notification Callback URL", Type: typeLongText},
		{Key: "event.notification.signature.key", Name: "Callback Notification Signature Key", Type: typeText},
		{Key: "event.poller.refresh_interval", Name: "Event poller refresh interval (mins)", Type: typeNumber, Default: str("15")},
		{Key: "event.poller.configuration", Name: "Configure Polling", Type: typeTextArea},
		{Key: "filter.response.nulls", Name: "Filter null values from the response", Type: typeBoolean, Default: str("true")},
	}
}

// catalog is the element table. Add elements here; nothing else needs to
// know about them unless they have a hub.
var catalog = []*elementDef{
	{
		ID:          6409,
		Key:         "gmail",
		Name:        "Gmail",
		Description: "Gmail is a free, advertising-supported email service provided by Google.",
		Hub:         "general",
		AuthType:    "oauth2",
		OAuth: &oauthSpec{
			Vendor:    "google",
			AuthPath:  "/o/oauth2/v2/auth",
			TokenPath: "/token",
			Scope:     gmailScope,
		},
		Polling: true,
		Config: append([]configDef{
			{Key: "oauth.api.key", Name: "Client ID", Type: typeText, Required: true},
			{Key: "oauth.api.secret", Name: "Client Secret", Type: typePassword, Required: true},
			{Key: "oauth.callback.url", Name: "Callback URL", Type: typeLongText, Required: true},
			{Key: "oauth.scope", Name: "OAuth Scope", Type: typeLongText, Default: str(gmailScope)},
			{Key: "oauth.user.token", Name: "OAuth User Token", Type: typePassword},
			{Key: "oauth.user.refresh_token", Name: "OAuth User Refresh Token", Type: typePassword},
			{Key: "base.url", Name: "Base URL", Type: typeLongText, Default: str("https://www.googleapis.com/gmail/v1/users/me")},
			{Key: "pagination.type", Name: "Pagination Type", Type: typeText, Default: str("nextPageToken")},
			{Key: "pagination.max", Name: "Max Page Size", Type: typeNumber, Default: str("100")},
		}, eventConfig("polling")...),
	},
	{
		ID:          1094,
		Key:         "netsuiteerp",
		Name:        "NetSuite ERP 2018 Release 1",
		Description: "NetSuite ERP is a cloud business management suite.",
		Hub:         "erp",
		AuthType:    "basic",
		Polling:     true,
		Config: append([]configDef{
			{Key: "user.username", Name: "Email", Type: typeText, Required: true},
			{Key: "user.password", Name: "Password", Type: typePassword, Required: true},
			{Key: "netsuite.accountId", Name: "Account ID", Type: typeText, Required: true},
			{Key: "netsuite.sandbox", Name: "Sandbox", Type: typeBoolean, Default: str("false")},
			{Key: "pagination.max", Name: "Max Page Size", Type: typeNumber, Default: str("200")},
		}, eventConfig("polling")...),
	},
}

// findElement looks an element up by key or numeric id.
func findElement(keyOrID string) *elementDef {
	id, err := strconv.ParseInt(keyOrID, 10, 64)
	for _, e := range catalog {
		if e.Key == keyOrID || (err == nil && e.ID == id) {
			return e
		}
	}
	return nil
}

// resolveElement is findElement for handlers: an unknown element is a 404.
func resolveElement(keyOrID string) (*elementDef, error) {
	el := findElement(keyOrID)
	if el == nil {
		return nil, &notFound{msg: "No element found with key or id '" + keyOrID + "'"}
	}
	return el, nil
}

func (e *elementDef) def(key string) *configDef {
	for i := range e.Config {
		if e.Config[i].Key == key {
			return &e.Config[i]
		}
	}
	return nil
}

// alwaysSecret are keys masked whatever their declared type.
var alwaysSecret = map[string]bool{
	"oauth.api.key":                    true,
	"oauth.api.secret":                 true,
	"oauth.user.token":                 true,
	"oauth.user.refresh_token":         true,
	"oauth.user.token.secret":          true,
	"event.notification.signature.key": true,
}

// isSecret reports whether the value of key is masked in responses.
func (e *elementDef) isSecret(key string) bool {
	if alwaysSecret[key] {
		return true
	}
	d := e.def(key)
	return d != nil && d.Type == typePassword
}

// requiredKeys lists the configuration keys that must have a value.
// Instances created from an existing refresh token need no callback URL.
func (e *elementDef) requiredKeys(externalAuth string) []string {
	var keys []string
	for _, d := range e.Config {
		if d.Required && (externalAuth != externalInitial || d.Key != "oauth.callback.url") {
			keys = append(keys, d.Key)
		}
	}
	if e.OAuth != nil && externalAuth == externalInitial {
		keys = append(keys, "oauth.user.refresh_token")
	}
	return keys
}

// summary is the element as embedded in instances and served by GET /elements/{keyOrId}.
func (e *elementDef) summary() map[string]any {
	return map[string]any{
		"id":                     e.ID,
		"name":                   e.Name,
		"hookName":               strings.ReplaceAll(e.Name, " ", ""),
		"key":                    e.Key,
		"description":            e.Description,
		"image":                  "elements/provider_" + e.Key + ".png",
		"active":                 true,
		"deleted":                false,
		"typeOauth":              e.OAuth != nil,
		"trialAccount":           false,
		"resources":              []any{},
		"transformationsEnabled": true,
		"bulkDownloadEnabled":    false,
		"bulkUploadEnabled":      false,
		"cloneable":              true,
		"extendable":             false,
		"beta":                   false,
		"authentication":         map[string]string{"type": e.AuthType},
		"extended":               false,
		"hub":                    e.Hub,
		"protocolType":           "http",
		"parameters":             []any{},
		"private":                false,
	}
}

// configDefinitions is the answer of GET /elements/{keyOrId}/configuration.
func (e *elementDef) configDefinitions() []map[string]any {
	out := make([]map[string]any, 0, len(e.Config))
	for i, d := range e.Config {
		out = append(out, map[string]any{
			"id":           e.ID*1000 + int64(i) + 1,
			"key":          d.Key,
			"name":         d.Name,
			"type":         d.Type,
			"defaultValue": d.Default,
			"required":     d.Required,
		})
	}
	return out
}

// element resolves the {keyOrId} of the path, answering 404 when it names
// no element.
func (c *call) element() (*elementDef, bool) {
	el, err := resolveElement(c.params["keyOrId"])
	if err != nil {
		c.failErr(err)
		return nil, false
	}
	return el, true
}

// The element routes read the catalog only: they need no lock.

func (s *Server) listElements(c *call) {
	out := make([]map[string]any, 0, len(catalog))
	for _, el := range catalog {
		out = append(out, el.summary())
	}
	sort.Slice(out, func(a, b int) bool { return out[a]["key"].(string) < out[b]["key"].(string) })
	c.json(http.StatusOK, out)
}

func (s *Server) getElement(c *call) {
	el, ok := c.element()
	if !ok {
		return
	}
	c.json(http.StatusOK, el.summary())
}

func (s *Server) getElementConfiguration(c *call) {
	el, ok := c.element()
	if !ok {
		return
	}
	c.json(http.StatusOK, el.configDefinitions())
}
