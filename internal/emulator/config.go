package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const (
	keyEventsEnabled    = "event.notification.enabled"
	keyCallbackURL      = "event.notification.callback.url"
	keySignatureKey     = "event.notification.signature.key"
	keyRefreshInterval  = "event.poller.refresh_interval"
	keyPollerConfig     = "event.poller.configuration"
	keyOAuthAPIKey      = "oauth.api.key"
	keyOAuthAPISecret   = "oauth.api.secret"
	keyOAuthCallbackURL = "oauth.callback.url"
	keyOAuthUserToken   = "oauth.user.token"
	keyOAuthRefresh     = "oauth.user.refresh_token"
)

func isTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// decodeJSON decodes with numbers kept as written, so 15 stays "15".
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// normalizeValue converts one configuration value from a request into the
// string (or nil) the platform stores and returns.
func normalizeValue(key string, raw json.RawMessage) (*string, error) {
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, badRequestf("configuration %q: %v", key, err)
	}
	switch key {
	case keyPollerConfig:
		return normalizePollerConfig(v)
	case keyRefreshInterval:
		return normalizeRefreshInterval(v)
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &x, nil
	case bool:
		s := strconv.FormatBool(x)
		return &s, nil
	case json.Number:
		s := x.String()
		return &s, nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, badRequestf("configuration %q: %v", key, err)
		}
		s := string(b)
		return &s, nil
	}
}

func normalizeRefreshInterval(v any) (*string, error) {
	var text string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		text = strings.TrimSpace(x)
	case json.Number:
		text = x.String()
	default:
		return nil, badRequestf("%s must be a whole number of minutes >= 1", keyRefreshInterval)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < 1 || f != math.Trunc(f) || f > math.MaxInt32 {
		return nil, badRequestf("%s must be a whole number of minutes >= 1, got %q", keyRefreshInterval, text)
	}
	s := strconv.FormatInt(int64(f), 10)
	return &s, nil
}

// normalizePollerConfig accepts the poller configuration as an object or a
// JSON string and stores it re-encoded with sorted keys and spaces, the way
// the platform's own serializer does, so it never round-trips byte for byte.
func normalizePollerConfig(v any) (*string, error) {
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		if err := decodeJSON([]byte(s), &v); err != nil {
			return nil, badRequestf("%s is not valid JSON: %v", keyPollerConfig, err)
		}
	}
	if v == nil {
		return nil, nil
	}
	resources, ok := v.(map[string]any)
	if !ok {
		return nil, badRequestf("%s must be a JSON object keyed by resource name", keyPollerConfig)
	}
	names := make([]string, 0, len(resources))
	for name := range resources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		res, ok := resources[name].(map[string]any)
		if !ok {
			return nil, badRequestf("%s: resource %q must be a JSON object", keyPollerConfig, name)
		}
		if u, _ := res["url"].(string); strings.TrimSpace(u) == "" {
			return nil, badRequestf("%s: resource %q has no url", keyPollerConfig, name)
		}
	}
	var buf bytes.Buffer
	writeCanonical(&buf, v)
	s := buf.String()
	return &s, nil
}

// writeCanonical encodes v with sorted keys and ", " / ": " separators.
func writeCanonical(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(", ")
			}
			writeJSONString(buf, k)
			buf.WriteString(": ")
			writeCanonical(buf, x[k])
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteString(", ")
			}
			writeCanonical(buf, e)
		}
		buf.WriteByte(']')
	case string:
		writeJSONString(buf, x)
	case json.Number:
		buf.WriteString(x.String())
	default:
		b, _ := json.Marshal(x)
		buf.Write(b)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}

// normalizeConfig converts a request's configuration object. A secret sent
// back as the mask keeps the stored value (callers PUT what they GET).
func normalizeConfig(el *elementDef, raw map[string]json.RawMessage, old map[string]*string) (map[string]*string, error) {
	out := make(map[string]*string, len(raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := normalizeValue(k, raw[k])
		if err != nil {
			return nil, err
		}
		if v != nil && *v == MaskedValue && el.isSecret(k) {
			if prev, ok := old[k]; ok {
				v = prev
			}
		}
		out[k] = v
	}
	return out, nil
}

// withDefaults adds the element's default for every key cfg lacks.
func withDefaults(el *elementDef, cfg map[string]*string) map[string]*string {
	for _, d := range el.Config {
		if _, ok := cfg[d.Key]; !ok {
			if d.Default != nil {
				v := *d.Default
				cfg[d.Key] = &v
			} else {
				cfg[d.Key] = nil
			}
		}
	}
	return cfg
}

// missingKeys names the required keys without a value.
func missingKeys(el *elementDef, externalAuth string, cfg map[string]*string) []string {
	var missing []string
	for _, k := range el.requiredKeys(externalAuth) {
		if v := cfg[k]; v == nil || strings.TrimSpace(*v) == "" {
			missing = append(missing, k)
		}
	}
	return missing
}

var htmlTagRE = regexp.MustCompile(`<[^>]*>`)

// sanitize strips HTML tags, as the platform does for names and tags.
func sanitize(s string) string { return strings.TrimSpace(htmlTagRE.ReplaceAllString(s, "")) }
