package opencon

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// PollerConfiguration is the value of event.poller.configuration: each
// resource the platform polls, by name (for example "changed-messages"),
// which becomes the events' objectType. It is sent as a JSON object and
// echoed back as a re-encoded JSON string.
type PollerConfiguration map[string]PollerResource

// PollerResource is one entry of event.poller.configuration (reference
// section 5.2). Unset fields are left out; keys the platform may add are
// ignored when parsing.
type PollerResource struct {
	URL                   string       `json:"url"`
	IDField               *string      `json:"idField,omitempty"`
	FilterByUpdatedDate   *bool        `json:"filterByUpdatedDate,omitempty"`
	PageSize              *int64       `json:"pageSize,omitempty"`
	PollDelay             *int64       `json:"pollDelay,omitempty"`
	CreatedCheckTolerance *int64       `json:"createdCheckTolerance,omitempty"`
	DatesConfiguration    *PollerDates `json:"datesConfiguration,omitempty"`
}

// PollerDates is a resource's datesConfiguration: where its objects keep
// their dates, in which format (Java SimpleDateFormat) and time zone.
type PollerDates struct {
	UpdatedDateField    *string `json:"updatedDateField,omitempty"`
	UpdatedDateFormat   *string `json:"updatedDateFormat,omitempty"`
	UpdatedDateTimezone *string `json:"updatedDateTimezone,omitempty"`
	CreatedDateField    *string `json:"createdDateField,omitempty"`
	CreatedDateFormat   *string `json:"createdDateFormat,omitempty"`
	CreatedDateTimezone *string `json:"createdDateTimezone,omitempty"`
}

// ParsePollerConfiguration reads the JSON string the platform echoes back.
func ParsePollerConfiguration(raw string) (PollerConfiguration, error) {
	var pc PollerConfiguration
	if err := json.Unmarshal([]byte(raw), &pc); err != nil {
		return nil, fmt.Errorf("event.poller.configuration is not a JSON object of resources: %w", err)
	}
	return pc, nil
}

// PollerConfiguration parses the instance's event.poller.configuration. An
// absent, null or blank value is an empty configuration, not an error.
func (i *Instance) PollerConfiguration() (PollerConfiguration, error) {
	raw, ok := i.ConfigValue(KeyEventPollerConfiguration)
	if !ok || strings.TrimSpace(raw) == "" {
		return PollerConfiguration{}, nil
	}
	return ParsePollerConfiguration(raw)
}

// SameMeaning reports whether two poller configurations poll the same way:
// the platform's documented defaults (filterByUpdatedDate true, pollDelay 0,
// idField empty) count as set, and an empty datesConfiguration as absent.
func (pc PollerConfiguration) SameMeaning(other PollerConfiguration) bool {
	return reflect.DeepEqual(pc.normalized(), other.normalized())
}

// normalized fills in the documented defaults, so that a configuration and
// the platform's echo of it compare equal.
func (pc PollerConfiguration) normalized() PollerConfiguration {
	out := make(PollerConfiguration, len(pc))
	for name, r := range pc {
		if r.FilterByUpdatedDate == nil {
			t := true
			r.FilterByUpdatedDate = &t
		}
		if r.PollDelay == nil {
			var zero int64
			r.PollDelay = &zero
		}
		if r.IDField == nil {
			empty := ""
			r.IDField = &empty
		}
		if d := r.DatesConfiguration; d != nil && *d == (PollerDates{}) {
			r.DatesConfiguration = nil
		}
		out[name] = r
	}
	return out
}
