package opencon

import "strings"

// MaskedValue is what the platform returns in place of a secret configuration value.
const MaskedValue = "********"

// Configuration keys the provider and the emulator both speak of.
const (
	KeyOAuthAPIKey                   = "oauth.api.key"
	KeyOAuthAPISecret                = "oauth.api.secret"
	KeyOAuthCallbackURL              = "oauth.callback.url"
	KeyOAuthUserToken                = "oauth.user.token"
	KeyOAuthUserRefreshToken         = "oauth.user.refresh_token"
	KeyEventNotificationEnabled      = "event.notification.enabled"
	KeyEventNotificationCallbackURL  = "event.notification.callback.url"
	KeyEventNotificationSignatureKey = "event.notification.signature.key"
	KeyEventPollerRefreshInterval    = "event.poller.refresh_interval"
	KeyEventPollerConfiguration      = "event.poller.configuration"
)

// ExternalAuthenticationInitial creates an OAuth instance from an existing refresh token.
const ExternalAuthenticationInitial = "initial"

// secretKeys are configuration keys whose values the platform never returns in clear.
var secretKeys = map[string]bool{
	KeyOAuthAPIKey:                   true,
	KeyOAuthAPISecret:                true,
	KeyOAuthUserToken:                true,
	KeyOAuthUserRefreshToken:         true,
	KeyEventNotificationSignatureKey: true,
	"oauth.user.token.secret":        true,
}

// IsSecretKey reports whether a configuration key holds a secret by its name alone.
// Element-specific PASSWORD-typed keys are secret too; the element's configuration
// metadata (ElementConfigurationEntry.Type) tells those apart.
func IsSecretKey(key string) bool {
	if secretKeys[key] {
		return true
	}
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, ".secret") || strings.HasSuffix(k, "token")
}

// ElementRef names an element in a request body, by key or by id.
type ElementRef struct {
	ID  int64  `json:"id,omitempty"`
	Key string `json:"key,omitempty"`
}

// Element is the element summary embedded in an instance.
type Element struct {
	ID             int64                 `json:"id"`
	Key            string                `json:"key"`
	Name           string                `json:"name"`
	Hub            string                `json:"hub,omitempty"`
	Authentication ElementAuthentication `json:"authentication"`
}

// ElementAuthentication says how an element authenticates ("oauth2", "basic", "custom").
type ElementAuthentication struct {
	Type string `json:"type"`
}

// User is the owner of an instance.
type User struct {
	ID           int64  `json:"id"`
	EmailAddress string `json:"emailAddress"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
}

// Instance is a connector instance as the platform returns it. Configuration
// values are strings or null; secrets come back as MaskedValue.
type Instance struct {
	ID                            int64              `json:"id"`
	Name                          string             `json:"name"`
	CreatedDate                   string             `json:"createdDate"`
	Token                         string             `json:"token"`
	Element                       Element            `json:"element"`
	ElementID                     int64              `json:"elementId"`
	Tags                          []string           `json:"tags"`
	ProvisionInteractions         []any              `json:"provisionInteractions"`
	Valid                         bool               `json:"valid"`
	Disabled                      bool               `json:"disabled"`
	MaxCacheSize                  int64              `json:"maxCacheSize"`
	CacheTimeToLive               int64              `json:"cacheTimeToLive"`
	Configuration                 map[string]*string `json:"configuration"`
	EventsEnabled                 bool               `json:"eventsEnabled"`
	EventsNotificationCallbackURL string             `json:"eventsNotificationCallbackUrl"`
	SubscriptionID                int64              `json:"subscriptionId,omitempty"`
	TraceLoggingEnabled           bool               `json:"traceLoggingEnabled"`
	CachingEnabled                bool               `json:"cachingEnabled"`
	ExternalAuthentication        string             `json:"externalAuthentication"`
	User                          User               `json:"user"`
}

// ConfigValue returns a configuration value and whether it is present and not null.
func (i *Instance) ConfigValue(key string) (string, bool) {
	if i == nil || i.Configuration == nil {
		return "", false
	}
	v, ok := i.Configuration[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// CreateInstanceRequest is the body of POST /instances and PUT /instances/{id}.
// Configuration values may be strings, booleans, numbers, or (for
// event.poller.configuration) a JSON object; the platform stores strings.
type CreateInstanceRequest struct {
	Element                *ElementRef       `json:"element,omitempty"`
	ProviderData           map[string]string `json:"providerData,omitempty"`
	Configuration          map[string]any    `json:"configuration,omitempty"`
	Tags                   []string          `json:"tags,omitempty"`
	Name                   string            `json:"name,omitempty"`
	ExternalAuthentication string            `json:"externalAuthentication,omitempty"`
}

// UpdateInstanceRequest is the body of PATCH /instances/{id}: only the fields
// that are set are sent. Tags, when not nil, replace every tag (an empty
// non-nil slice clears them). Configuration keys are merged.
type UpdateInstanceRequest struct {
	Name          *string           `json:"name,omitempty"`
	Tags          *[]string         `json:"tags,omitempty"`
	Configuration map[string]any    `json:"configuration,omitempty"`
	ProviderData  map[string]string `json:"providerData,omitempty"`
	Element       *ElementRef       `json:"element,omitempty"`
}

// ListInstancesOptions filters GET /instances. Every tag must match; SearchText
// matches part of the name.
type ListInstancesOptions struct {
	Tags       []string
	SearchText string
	// Abridged asks for abridged items (hydrate=false): no configuration, no
	// token, possibly no element. Enough to find instances, not to read them.
	Abridged bool
	// PageSize, when positive, asks for pages of at most this many; the
	// platform's default (200) is also its maximum.
	PageSize int
}

// ConfigurationEntry is one entry of GET /instances/{id}/configuration.
type ConfigurationEntry struct {
	ID            int64   `json:"id"`
	Key           string  `json:"key"`
	Name          string  `json:"name,omitempty"`
	PropertyValue *string `json:"propertyValue"`
	Type          string  `json:"type,omitempty"`
}

// ElementConfigurationEntry is one entry of GET /elements/{keyOrId}/configuration:
// what an element accepts, with its default.
type ElementConfigurationEntry struct {
	ID           int64   `json:"id"`
	Key          string  `json:"key"`
	Name         string  `json:"name"`
	Type         string  `json:"type"`
	DefaultValue *string `json:"defaultValue"`
	Required     bool    `json:"required"`
}

// OAuthURLRequest holds the query of GET /elements/{keyOrId}/oauth/url.
type OAuthURLRequest struct {
	APIKey      string
	APISecret   string
	CallbackURL string
	Scope       string
	State       string
}

// OAuthURL is the answer of GET /elements/{keyOrId}/oauth/url.
type OAuthURL struct {
	OAuthURL string `json:"oauthUrl"`
	Element  string `json:"element"`
}
