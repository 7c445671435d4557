package opencon

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Redacted replaces every secret value in logs and error excerpts.
const Redacted = "[REDACTED]"

// secretFields are JSON keys and query parameters that carry credentials
// although IsSecretKey does not recognise them by name.
var secretFields = map[string]bool{
	"code":          true,
	"apisecret":     true,
	"client_secret": true,
	"secret":        true,
	"password":      true,
	"authorization": true,
}

// isSecretField reports whether a JSON key or query parameter holds a secret.
// IsSecretKey covers configuration keys and anything ending in "token"
// (token, refresh_token, access_token).
func isSecretField(key string) bool {
	return IsSecretKey(key) || secretFields[strings.ToLower(key)]
}

// RedactJSON returns body with secret values replaced by Redacted:
//   - values of keys for which IsSecretKey is true, and of token, code,
//     refresh_token, access_token, apiSecret, secret and password;
//   - everything inside providerData;
//   - propertyValue/defaultValue of a configuration entry whose key is secret
//     or whose type is PASSWORD;
//   - any occurrence of one of the given secrets (the user and organization
//     secrets).
//
// A body that is not valid JSON (an HTML page, a truncated document) is
// redacted textually, erring on the side of hiding too much. The result of a
// valid document is compact JSON with sorted keys.
func RedactJSON(body []byte, secrets ...string) []byte {
	if json.Valid(body) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode((&redactor{secrets: secrets}).value(v)) == nil {
				return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			}
		}
	}
	return []byte(redactText(string(body), secrets))
}

// redactor walks a decoded JSON value; hidden collects the string values it hid.
type redactor struct {
	secrets []string
	hidden  []string
}

func (r *redactor) value(v any) any {
	switch t := v.(type) {
	case map[string]any:
		secretEntry := false
		if k, ok := t["key"].(string); ok && IsSecretKey(k) {
			secretEntry = true
		}
		if typ, ok := t["type"].(string); ok && strings.EqualFold(typ, "PASSWORD") {
			secretEntry = true
		}
		out := make(map[string]any, len(t))
		for k, val := range t {
			switch {
			case isSecretField(k):
				out[k] = r.hide(val)
			case k == "providerData":
				out[k] = r.hideAll(val)
			case secretEntry && (k == "propertyValue" || k == "defaultValue" || k == "value"):
				out[k] = r.hide(val)
			default:
				out[scrubSecrets(k, r.secrets)] = r.value(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = r.value(val)
		}
		return out
	case string:
		return scrubSecrets(redactQueryPairs(t), r.secrets)
	}
	return v
}

// hide replaces a secret value, keeping null and the platform's mask visible
// because they show that no secret is there.
func (r *redactor) hide(v any) any {
	if v == nil || v == MaskedValue {
		return v
	}
	switch t := v.(type) {
	case string:
		r.hidden = append(r.hidden, t)
	case map[string]any, []any:
		return r.hideAll(v)
	}
	return Redacted
}

// hideAll hides every leaf of a value but keeps its shape.
func (r *redactor) hideAll(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = r.hideAll(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = r.hideAll(val)
		}
		return out
	}
	return r.hide(v)
}

// minEchoedSecret is the shortest request value that is searched for in
// answers; shorter ones would blank out ordinary text.
const minEchoedSecret = 4

// callSecrets lists what must never appear in the logs or errors of one
// request: the client's secrets and the secret values the request carries.
func callSecrets(base []string, query url.Values, body []byte) []string {
	out := append([]string(nil), base...)
	add := func(v string) {
		if len(v) >= minEchoedSecret && v != MaskedValue && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for k, vs := range query {
		if isSecretField(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	if len(body) > 0 {
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			r := &redactor{}
			r.value(v)
			for _, h := range r.hidden {
				add(h)
			}
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

var (
	// jsonPairRe matches `"key": value` where value may be a string cut short
	// by truncation.
	jsonPairRe = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,{}\[\]\s"]+)`)
	// queryPairRe matches key=value in form or query text.
	queryPairRe = regexp.MustCompile(`(?i)\b([a-z_.]*(?:token|secret|password|code))=([^&\s"'<>]*)`)
)

// redactText is the fallback for bodies that are not valid JSON.
func redactText(s string, secrets []string) string {
	s = jsonPairRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := jsonPairRe.FindStringSubmatch(m)
		key, sep, val := sub[1], sub[2], sub[3]
		switch key {
		case "propertyValue", "defaultValue", "value":
			// The sibling "key" cannot be trusted in a broken document.
		default:
			if !isSecretField(key) {
				return m
			}
		}
		if val == "null" || val == `"`+MaskedValue+`"` {
			return m
		}
		return `"` + key + `"` + sep + `"` + Redacted + `"`
	})
	return scrubSecrets(redactQueryPairs(s), secrets)
}

// redactQueryPairs hides the values of secret parameters in URL or form text.
func redactQueryPairs(s string) string {
	return queryPairRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := queryPairRe.FindStringSubmatch(m)
		if !isSecretField(sub[1]) {
			return m
		}
		return sub[1] + "=" + Redacted
	})
}

// scrubSecrets replaces every occurrence of a secret, also in its JSON- and
// URL-escaped forms.
func scrubSecrets(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
		if b, err := json.Marshal(secret); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		for _, f := range forms {
			if f != "" {
				s = strings.ReplaceAll(s, f, Redacted)
			}
		}
	}
	return s
}

// redactPath renders path and query for logs and errors, hiding the values of
// secret parameters such as apiSecret.
func redactPath(path string, query url.Values) string {
	if len(query) == 0 {
		return path
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(path)
	sep := byte('?')
	for _, k := range keys {
		for _, v := range query[k] {
			b.WriteByte(sep)
			sep = '&'
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if isSecretField(k) {
				b.WriteString(Redacted)
			} else {
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}
