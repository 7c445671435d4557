package emulator

// This file renders stored instances the way the API shows them: secrets
// masked, event fields derived, configuration entries described.

import "sort"

// MaskedValue replaces secret configuration values in responses.
const MaskedValue = "********"

// devUser is the owner of every instance: the emulator has one user.
var devUser = map[string]any{
	"id":           1,
	"emailAddress": "developer@example.com",
	"firstName":    "Dev",
	"lastName":     "User",
}

// instanceView is an instance as the API returns it.
type instanceView struct {
	ID                            int64              `json:"id"`
	Name                          string             `json:"name"`
	CreatedDate                   string             `json:"createdDate"`
	Token                         string             `json:"token"`
	Element                       map[string]any     `json:"element"`
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
	User                          map[string]any     `json:"user"`
}

const dateLayout = "2006-01-02T15:04:05Z"

// renderInstance masks secrets and derives the event fields.
func renderInstance(inst *instance) instanceView {
	el := inst.element()
	cfg := make(map[string]*string, len(inst.Config))
	for k, v := range inst.Config {
		cfg[k] = maskValue(el, k, v)
	}
	callback := "false"
	if u := inst.value(keyCallbackURL); u != "" {
		callback = u
	}
	var sub int64
	if inst.eventsEnabled() && inst.value(keyCallbackURL) != "" {
		sub = inst.SubscriptionID
	}
	tags := inst.Tags
	if tags == nil {
		tags = []string{}
	}
	ext := inst.ExternalAuth
	if ext == "" {
		ext = externalNone
	}
	return instanceView{
		ID:                            inst.ID,
		Name:                          inst.Name,
		CreatedDate:                   inst.Created.UTC().Format(dateLayout),
		Token:                         inst.Token,
		Element:                       el.summary(),
		ElementID:                     el.ID,
		Tags:                          tags,
		ProvisionInteractions:         []any{},
		Valid:                         true,
		Disabled:                      inst.Disabled,
		Configuration:                 cfg,
		EventsEnabled:                 inst.eventsEnabled(),
		EventsNotificationCallbackURL: callback,
		SubscriptionID:                sub,
		ExternalAuthentication:        ext,
		User:                          devUser,
	}
}

// abridgedInstanceView is a list item under hydrate=false: the fields of
// the documented list example, without the element, the token, the
// configuration or the event fields.
type abridgedInstanceView struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	CreatedDate     string   `json:"createdDate"`
	ElementID       int64    `json:"elementId"`
	Tags            []string `json:"tags"`
	Valid           bool     `json:"valid"`
	MaxCacheSize    int64    `json:"maxCacheSize"`
	CacheTimeToLive int64    `json:"cacheTimeToLive"`
	CachingEnabled  bool     `json:"cachingEnabled"`
}

func renderAbridged(inst *instance) abridgedInstanceView {
	full := renderInstance(inst)
	return abridgedInstanceView{
		ID:          full.ID,
		Name:        full.Name,
		CreatedDate: full.CreatedDate,
		ElementID:   full.ElementID,
		Tags:        full.Tags,
		Valid:       full.Valid,
	}
}

func maskValue(el *elementDef, key string, v *string) *string {
	if v == nil {
		return nil
	}
	if el.isSecret(key) {
		m := MaskedValue
		return &m
	}
	s := *v
	return &s
}

// configEntry is one entry of GET /instances/{id}/configuration.
type configEntry struct {
	ID            int64   `json:"id"`
	Key           string  `json:"key"`
	Name          string  `json:"name"`
	PropertyValue *string `json:"propertyValue"`
	Type          string  `json:"type"`
	Required      bool    `json:"required"`
	DefaultValue  *string `json:"defaultValue"`
}

func renderConfigEntry(inst *instance, key string) configEntry {
	el := inst.element()
	e := configEntry{
		ID:            inst.ConfigIDs[key],
		Key:           key,
		Name:          key,
		PropertyValue: maskValue(el, key, inst.Config[key]),
		Type:          typeText,
	}
	if d := el.def(key); d != nil {
		e.Name, e.Type, e.Required, e.DefaultValue = d.Name, d.Type, d.Required, d.Default
	}
	return e
}

func renderConfigEntries(inst *instance) []configEntry {
	keys := make([]string, 0, len(inst.Config))
	for k := range inst.Config {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return inst.ConfigIDs[keys[a]] < inst.ConfigIDs[keys[b]] })
	out := make([]configEntry, 0, len(keys))
	for _, k := range keys {
		out = append(out, renderConfigEntry(inst, k))
	}
	return out
}
