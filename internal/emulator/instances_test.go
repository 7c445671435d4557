package emulator

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestAuthorization(t *testing.T) {
	e := newEnv(t, Options{})
	_, token, _ := e.createNetsuite("auth", nil)
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"missing header", "GET", "/instances", "", 401},
		{"wrong user", "GET", "/instances", "User nope, Organization dev-organization-secret", 401},
		{"wrong organization", "GET", "/instances", "User dev-user-secret, Organization nope", 401},
		{"organization missing on platform route", "GET", "/instances", "User dev-user-secret", 401},
		{"any order", "GET", "/instances", "Organization dev-organization-secret, User dev-user-secret", 200},
		{"extra spaces", "GET", "/instances", "  User   dev-user-secret ,Organization dev-organization-secret ", 200},
		{"with element token", "GET", "/instances", uo + ", Element " + token, 200},
		{"element token first", "GET", "/instances/configuration", "Element " + token + ", " + uo, 200},
		{"unknown element token", "GET", "/instances", uo + ", Element bogus", 401},
		{"id-less route without token", "GET", "/instances/configuration", uo, 401},
		{"hub with user and element", "GET", "/hubs/general/messages", "User dev-user-secret, Element " + token, 404},
		{"hub without element", "GET", "/hubs/general/messages", uo, 401},
		{"hub with wrong organization", "GET", "/hubs/general/messages", "User dev-user-secret, Organization x, Element " + token, 401},
		{"element routes", "GET", "/elements/gmail", uo, 200},
		{"emulator routes need nothing", "GET", "/_emulator/stats", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.auth, nil)
			if r.status != tc.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want == 401 {
				m := r.json(t)
				if m["message"] != "Invalid Organization or User secret, or invalid Element token provided." {
					t.Errorf("message = %q", m["message"])
				}
				if !hex24.MatchString(fmt.Sprint(m["requestId"])) {
					t.Errorf("requestId = %v", m["requestId"])
				}
			}
		})
	}
}

func TestErrorBodyAndRequestIDHeader(t *testing.T) {
	e := newEnv(t, Options{})
	for _, path := range []string{"/instances/999", "/nowhere", "/_emulator/nowhere"} {
		r := e.do("GET", path, uo, nil)
		if r.status != 404 {
			t.Fatalf("%s: status %d", path, r.status)
		}
		m := r.json(t)
		id := r.header.Get("Elements-Request-Id")
		if !hex24.MatchString(id) || m["requestId"] != id {
			t.Errorf("%s: header %q, body requestId %v", path, id, m["requestId"])
		}
		if m["message"] == "" || m["message"] == nil {
			t.Errorf("%s: no message", path)
		}
	}
	r := e.do("GET", "/elements/gmail", uo, nil)
	if !hex24.MatchString(r.header.Get("Elements-Request-Id")) {
		t.Errorf("success lacks Elements-Request-Id")
	}
}

func TestCreateInstanceShape(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/instances", uo, netsuiteBody("<b>Net</b>Suite <a href='x'>prod</a>"))
	e.mustStatus(r, 200)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["providerData"]; ok {
		t.Error("providerData must not be returned")
	}
	if _, ok := raw["updatedDate"]; ok {
		t.Error("updatedDate must not be returned")
	}
	if !regexp.MustCompile(`^\d+$`).Match(raw["id"]) {
		t.Errorf("id is not a number: %s", raw["id"])
	}
	m := r.json(t)
	checks := map[string]any{
		"name":                          "NetSuite prod",
		"valid":                         true,
		"disabled":                      false,
		"maxCacheSize":                  0.0,
		"cacheTimeToLive":               0.0,
		"traceLoggingEnabled":           false,
		"cachingEnabled":                false,
		"eventsEnabled":                 false,
		"eventsNotificationCallbackUrl": "false",
		"externalAuthentication":        "none",
		"elementId":                     1094.0,
	}
	for k, want := range checks {
		if !reflect.DeepEqual(m[k], want) {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(m["createdDate"].(string)) {
		t.Errorf("createdDate = %v", m["createdDate"])
	}
	if tok, _ := m["token"].(string); len(tok) < 20 {
		t.Errorf("token = %q", tok)
	}
	if !reflect.DeepEqual(m["tags"], []any{"NetSuite prod"}) {
		t.Errorf("tags = %v, want the sanitized name", m["tags"])
	}
	if !reflect.DeepEqual(m["provisionInteractions"], []any{}) {
		t.Errorf("provisionInteractions = %v", m["provisionInteractions"])
	}
	if _, ok := m["subscriptionId"]; ok {
		t.Error("subscriptionId without events")
	}
	user := m["user"].(map[string]any)
	for _, k := range []string{"id", "emailAddress", "firstName", "lastName"} {
		if _, ok := user[k]; !ok {
			t.Errorf("user.%s missing", k)
		}
	}
	el := m["element"].(map[string]any)
	if el["key"] != "netsuiteerp" || el["id"] != 1094.0 || el["authentication"].(map[string]any)["type"] != "basic" {
		t.Errorf("element = %v", el)
	}
	cfg := cfgOf(t, m)
	if cfg["user.password"] != "********" || cfg["user.username"] != "ops@example.com" {
		t.Errorf("password/username = %v / %v", cfg["user.password"], cfg["user.username"])
	}
	if cfg["netsuite.sandbox"] != "false" || cfg["event.poller.refresh_interval"] != "15" || cfg["filter.response.nulls"] != "true" {
		t.Errorf("defaults not filled: %v", cfg)
	}
	if v, ok := cfg["event.notification.callback.url"]; !ok || v != nil {
		t.Errorf("callback url default = %v, %v; want null", v, ok)
	}
	id := int64(m["id"].(float64))
	if v, _ := e.s.SecretValue(id, "user.password"); v != "hunter2" {
		t.Errorf("stored password = %q", v)
	}

	r2 := e.do("POST", "/instances", uo, netsuiteBody("second"))
	e.mustStatus(r2, 200)
	if r2.json(t)["token"] == m["token"] {
		t.Error("tokens repeat")
	}
}

func TestCreateByElementPath(t *testing.T) {
	e := newEnv(t, Options{})
	for _, ref := range []string{"netsuiteerp", "1094"} {
		b := netsuiteBody("by path " + ref)
		delete(b, "element")
		r := e.do("POST", "/elements/"+ref+"/instances", uo, b)
		e.mustStatus(r, 200)
		if r.json(t)["element"].(map[string]any)["key"] != "netsuiteerp" {
			t.Errorf("%s: wrong element", ref)
		}
	}
	r := e.do("GET", "/elements/netsuiteerp/instances", uo, nil)
	e.mustStatus(r, 200)
	if n := len(r.list(t)); n != 2 {
		t.Errorf("element instances = %d", n)
	}
	b := netsuiteBody("by id")
	b["element"] = map[string]any{"id": 1094}
	e.mustStatus(e.do("POST", "/instances", uo, b), 200)
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name    string
		body    any
		status  int
		message []string
	}{
		{"malformed JSON", `{"name": `, 400, []string{"Invalid JSON"}},
		{"empty body", "", 400, nil},
		{"unknown element", map[string]any{"element": map[string]any{"key": "nosuch"}, "name": "x"}, 404, []string{"nosuch"}},
		{"missing element", map[string]any{"name": "x"}, 400, []string{"element"}},
		{"missing required keys", map[string]any{"element": map[string]any{"key": "netsuiteerp"}, "name": "x",
			"configuration": map[string]any{"user.username": "u"}}, 400, []string{"user.password", "netsuite.accountId"}},
		{"missing name", func() any { b := netsuiteBody(""); delete(b, "name"); return b }(), 400, []string{"name"}},
		{"gmail without code or external auth", map[string]any{"element": map[string]any{"key": "gmail"}, "name": "g",
			"configuration": map[string]any{"oauth.api.key": "k", "oauth.api.secret": "s", "oauth.callback.url": "https://cb"}}, 400, []string{"providerData.code"}},
		{"gmail missing every key", map[string]any{"element": map[string]any{"key": "gmail"}, "name": "g"}, 400,
			[]string{"oauth.api.key", "oauth.api.secret", "oauth.callback.url"}},
		{"external auth without refresh token", map[string]any{"element": map[string]any{"key": "gmail"}, "name": "g",
			"externalAuthentication": "initial", "configuration": map[string]any{"oauth.api.key": "k", "oauth.api.secret": "s"}}, 400, []string{"oauth.user.refresh_token"}},
		{"bad externalAuthentication", func() any { b := netsuiteBody("x"); b["externalAuthentication"] = "later"; return b }(), 400, nil},
	}
	for _, interval := range []any{"0", "1.5", "abc", -1, 0, 2.5, true, ""} {
		tests = append(tests, struct {
			name    string
			body    any
			status  int
			message []string
		}{fmt.Sprintf("refresh interval %#v", interval), withConfig(netsuiteBody("x"), "event.poller.refresh_interval", interval), 400, []string{"refresh_interval"}})
	}
	for name, pc := range map[string]any{
		"poller config invalid JSON":        `{"a": `,
		"poller config no url":              map[string]any{"messages": map[string]any{"idField": "id"}},
		"poller config string no url":       `{"messages": {"url": ""}}`,
		"poller config not an object":       `["x"]`,
		"poller config resource not object": map[string]any{"messages": "url"},
	} {
		tests = append(tests, struct {
			name    string
			body    any
			status  int
			message []string
		}{name, withConfig(netsuiteBody("x"), "event.poller.configuration", pc), 400, []string{"event.poller.configuration"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.s.InstanceCount()
			r := e.do("POST", "/instances", uo, tc.body)
			e.mustStatus(r, tc.status)
			msg := fmt.Sprint(r.json(t)["message"])
			for _, want := range tc.message {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not name %q", msg, want)
				}
			}
			if e.s.InstanceCount() != before {
				t.Error("a failed create created an instance")
			}
		})
	}
}

func withConfig(b map[string]any, key string, v any) map[string]any {
	b["configuration"].(map[string]any)[key] = v
	return b
}

func TestConfigurationValues(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, key string
		in        any
		want      any
	}{
		{"bool true", "netsuite.sandbox", true, "true"},
		{"bool false", "netsuite.sandbox", false, "false"},
		{"number", "pagination.max", 15, "15"},
		{"null", "netsuite.sandbox", nil, nil},
		{"unknown key kept", "custom.key", "v", "v"},
		{"refresh interval number", "event.poller.refresh_interval", 5, "5"},
		{"refresh interval string", "event.poller.refresh_interval", " 1 ", "1"},
		{"refresh interval integral float", "event.poller.refresh_interval", 30.0, "30"},
		{"events enabled bool", "event.notification.enabled", true, "true"},
		{"signature key masked", "event.notification.signature.key", "sig", "********"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, m := e.createNetsuite("cfg", func(b map[string]any) { withConfig(b, tc.key, tc.in) })
			got, ok := cfgOf(t, m)[tc.key]
			if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v (present %v), want %#v", tc.key, got, ok, tc.want)
			}
		})
	}
}

func TestPollerConfigurationEcho(t *testing.T) {
	e := newEnv(t, Options{})
	obj := map[string]any{"changed-messages": map[string]any{"url": "/hubs/general/changed-messages", "idField": "id", "pageSize": 10}}
	compact, _ := json.Marshal(obj)
	for name, in := range map[string]any{"object": obj, "string": string(compact)} {
		t.Run(name, func(t *testing.T) {
			_, _, m := e.createNetsuite("poll", func(b map[string]any) { withConfig(b, "event.poller.configuration", in) })
			got, ok := cfgOf(t, m)["event.poller.configuration"].(string)
			if !ok {
				t.Fatalf("not echoed as a string: %#v", cfgOf(t, m)["event.poller.configuration"])
			}
			if got == string(compact) {
				t.Error("echo is byte-identical to the compact input")
			}
			var back any
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("echo is not JSON: %v", err)
			}
			var want any
			_ = json.Unmarshal(compact, &want)
			if !reflect.DeepEqual(back, want) {
				t.Errorf("echo %s differs semantically from %s", got, compact)
			}
		})
	}
}

func TestEventsDerivedFields(t *testing.T) {
	e := newEnv(t, Options{})
	_, _, m := e.createNetsuite("events", func(b map[string]any) {
		withConfig(b, "event.notification.enabled", true)
		withConfig(b, "event.notification.callback.url", "http://127.0.0.1:1/cb")
	})
	if m["eventsEnabled"] != true || m["eventsNotificationCallbackUrl"] != "http://127.0.0.1:1/cb" {
		t.Errorf("eventsEnabled=%v callback=%v", m["eventsEnabled"], m["eventsNotificationCallbackUrl"])
	}
	if sub, _ := m["subscriptionId"].(float64); sub <= 0 {
		t.Errorf("subscriptionId = %v", m["subscriptionId"])
	}
	_, _, m = e.createNetsuite("string flag", func(b map[string]any) { withConfig(b, "event.notification.enabled", "true") })
	if m["eventsEnabled"] != true || m["eventsNotificationCallbackUrl"] != "false" {
		t.Errorf("string flag: eventsEnabled=%v callback=%v", m["eventsEnabled"], m["eventsNotificationCallbackUrl"])
	}
	if _, ok := m["subscriptionId"]; ok {
		t.Error("subscriptionId without a callback URL")
	}
}

func TestPatchInstance(t *testing.T) {
	e := newEnv(t, Options{})
	id, _, _ := e.createNetsuite("before", func(b map[string]any) { b["tags"] = []string{"a", "b"} })
	path := fmt.Sprintf("/instances/%d", id)
	r := e.do("PATCH", path, uo, map[string]any{
		"name":          "<i>after</i>",
		"tags":          []string{"c"},
		"configuration": map[string]any{"netsuite.sandbox": true, "user.password": "********"},
		"providerData":  map[string]any{"ignored": "x"},
	})
	e.mustStatus(r, 200)
	m := r.json(t)
	if _, ok := m["providerData"]; ok {
		t.Error("providerData returned")
	}
	if m["name"] != "after" || !reflect.DeepEqual(m["tags"], []any{"c"}) {
		t.Errorf("name=%v tags=%v", m["name"], m["tags"])
	}
	cfg := cfgOf(t, m)
	if cfg["netsuite.sandbox"] != "true" || cfg["user.username"] != "ops@example.com" || cfg["netsuite.accountId"] != "TSTDRV123" {
		t.Errorf("merge failed: %v", cfg)
	}
	if v, _ := e.s.SecretValue(id, "user.password"); v != "hunter2" {
		t.Errorf("sending the mask back overwrote the secret: %q", v)
	}
	r = e.do("PATCH", path, uo, map[string]any{"configuration": map[string]any{"user.password": "new-pass"}, "tags": []string{}})
	e.mustStatus(r, 200)
	if v, _ := e.s.SecretValue(id, "user.password"); v != "new-pass" {
		t.Errorf("password = %q", v)
	}
	if !reflect.DeepEqual(r.json(t)["tags"], []any{}) {
		t.Errorf("tags not cleared: %v", r.json(t)["tags"])
	}
	for name, body := range map[string]any{
		"malformed":                    `{`,
		"bad interval":                 map[string]any{"configuration": map[string]any{"event.poller.refresh_interval": "0"}},
		"remove required":              map[string]any{"configuration": map[string]any{"user.username": nil}},
		"bad poller":                   map[string]any{"configuration": map[string]any{"event.poller.configuration": "nope"}},
		"unknown element":              map[string]any{"element": map[string]any{"key": "zzz"}},
		"switch to gmail without keys": map[string]any{"element": map[string]any{"id": 6409}},
	} {
		r := e.do("PATCH", path, uo, body)
		if r.status != 400 && r.status != 404 {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	if r := e.do("PATCH", "/instances/424242", uo, map[string]any{"name": "x"}); r.status != 404 {
		t.Errorf("unknown id: %d", r.status)
	}
}

func TestPutInstance(t *testing.T) {
	e := newEnv(t, Options{})
	id, _, _ := e.createNetsuite("put", func(b map[string]any) {
		b["tags"] = []string{"a"}
		withConfig(b, "custom.key", "x")
	})
	path := fmt.Sprintf("/instances/%d", id)
	body := netsuiteBody("put <b>2</b>")
	body["tags"] = []string{}
	withConfig(body, "user.password", "********")
	r := e.do("PUT", path, uo, body)
	e.mustStatus(r, 200)
	m := r.json(t)
	if m["name"] != "put 2" || !reflect.DeepEqual(m["tags"], []any{}) {
		t.Errorf("name=%v tags=%v", m["name"], m["tags"])
	}
	if _, ok := cfgOf(t, m)["custom.key"]; ok {
		t.Error("PUT did not replace the configuration")
	}
	if v, _ := e.s.SecretValue(id, "user.password"); v != "hunter2" {
		t.Errorf("password = %q", v)
	}
	body = netsuiteBody("put 3")
	delete(body["configuration"].(map[string]any), "netsuite.accountId")
	e.mustStatus(e.do("PUT", path, uo, body), 400)
}

func TestListInstances(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/instances", uo, nil)
	e.mustStatus(r, 404)
	e.createNetsuite("Alpha One", func(b map[string]any) { b["tags"] = []string{"x", "y"} })
	e.createNetsuite("alpha two", func(b map[string]any) { b["tags"] = []string{"x"} })
	e.createNetsuite("Beta", func(b map[string]any) { b["tags"] = []string{"y"} })
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"Alpha One", "alpha two", "Beta"}},
		{"?tags[]=x", []string{"Alpha One", "alpha two"}},
		{"?tags%5B%5D=x&tags%5B%5D=y&hydrate=false", []string{"Alpha One"}},
		{"?searchText=ALPHA", []string{"Alpha One", "alpha two"}},
		{"?searchText=two&tags[]=x", []string{"alpha two"}},
		{"?searchText=nothing", nil},
		{"?searchText=beta&tags[]=x", nil},
		{"?tags[]=z", nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := e.do("GET", "/instances"+tc.query, uo, nil)
			if tc.want == nil {
				e.mustStatus(r, 404)
				return
			}
			e.mustStatus(r, 200)
			var names []string
			for _, i := range r.list(t) {
				names = append(names, i["name"].(string))
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("names = %v, want %v", names, tc.want)
			}
		})
	}
}

func TestGetDeleteInstance(t *testing.T) {
	e := newEnv(t, Options{})
	id, _, created := e.createNetsuite("gd", nil)
	path := fmt.Sprintf("/instances/%d", id)
	r := e.do("GET", path, uo, nil)
	e.mustStatus(r, 200)
	if !reflect.DeepEqual(r.json(t), created) {
		t.Errorf("GET differs from the create response")
	}
	raw, ok := e.s.Instance(id)
	if !ok || !strings.Contains(string(raw), `"user.password":"********"`) {
		t.Errorf("Instance helper = %s, %v", raw, ok)
	}
	e.mustStatus(e.do("DELETE", path, uo, nil), 200)
	e.mustStatus(e.do("GET", path, uo, nil), 404)
	e.mustStatus(e.do("DELETE", path, uo, nil), 404)
	e.mustStatus(e.do("GET", "/instances/abc", uo, nil), 404)
	if e.s.InstanceCount() != 0 {
		t.Error("instance still stored")
	}
}

func TestEnableDisable(t *testing.T) {
	e := newEnv(t, Options{})
	id, token := e.createGmail("toggle", nil)
	hub := "User dev-user-secret, Element " + token
	e.mustStatus(e.do("GET", "/hubs/general/messages", hub, nil), 200)

	r := e.do("DELETE", fmt.Sprintf("/instances/%d/enabled", id), uo, nil)
	e.mustStatus(r, 200)
	if r.json(t)["disabled"] != true {
		t.Error("not disabled")
	}
	e.mustStatus(e.do("GET", "/hubs/general/messages", hub, nil), 403)
	e.mustStatus(e.do("GET", fmt.Sprintf("/instances/%d", id), uo, nil), 200)

	r = e.do("PUT", "/instances/enabled", uo+", Element "+token, nil)
	e.mustStatus(r, 200)
	if r.json(t)["disabled"] != false {
		t.Error("not enabled")
	}
	e.mustStatus(e.do("GET", "/hubs/general/messages", hub, nil), 200)
	e.mustStatus(e.do("DELETE", "/instances/enabled", uo+", Element "+token, nil), 200)
	e.mustStatus(e.do("GET", "/hubs/general/messages", hub, nil), 403)
	e.mustStatus(e.do("PUT", "/instances/9/enabled", uo, nil), 404)

	e.mustStatus(e.do("DELETE", fmt.Sprintf("/instances/%d", id), uo, nil), 200)
	e.mustStatus(e.do("GET", "/hubs/general/messages", hub, nil), 401)
}

func TestIdlessRoutesUseElementToken(t *testing.T) {
	e := newEnv(t, Options{})
	id, token, _ := e.createNetsuite("idless", nil)
	other, _, _ := e.createNetsuite("other", nil)
	uoe := uo + ", Element " + token
	r := e.do("PATCH", "/instances", uoe, map[string]any{"name": "renamed"})
	e.mustStatus(r, 200)
	if int64(r.json(t)["id"].(float64)) != id || r.json(t)["name"] != "renamed" {
		t.Errorf("PATCH /instances acted on %v", r.json(t)["id"])
	}
	body := netsuiteBody("put-idless")
	e.mustStatus(e.do("PUT", "/instances", uoe, body), 200)
	var o map[string]any
	raw, _ := e.s.Instance(other)
	_ = json.Unmarshal(raw, &o)
	if o["name"] != "other" {
		t.Error("id-less PUT touched another instance")
	}

	r = e.do("GET", "/instances/configuration", uoe, nil)
	e.mustStatus(r, 200)
	entries := r.list(t)
	var pwID float64
	for _, en := range entries {
		if en["key"] == "user.password" {
			pwID = en["id"].(float64)
			if en["propertyValue"] != "********" {
				t.Errorf("password propertyValue = %v", en["propertyValue"])
			}
		}
	}
	if pwID == 0 {
		t.Fatal("no user.password entry")
	}
	r = e.do("GET", fmt.Sprintf("/instances/configuration/%.0f", pwID), uoe, nil)
	e.mustStatus(r, 200)
	if r.json(t)["key"] != "user.password" {
		t.Errorf("entry = %v", r.json(t))
	}
}

func TestConfigurationEntries(t *testing.T) {
	e := newEnv(t, Options{})
	id, _ := e.createGmail("entries", nil)
	r := e.do("GET", fmt.Sprintf("/instances/%d/configuration", id), uo, nil)
	e.mustStatus(r, 200)
	byKey := map[string]map[string]any{}
	for _, en := range r.list(t) {
		byKey[en["key"].(string)] = en
		if _, ok := en["id"].(float64); !ok {
			t.Errorf("entry without numeric id: %v", en)
		}
	}
	for _, k := range []string{"oauth.api.key", "oauth.api.secret", "oauth.user.refresh_token"} {
		if byKey[k]["propertyValue"] != "********" {
			t.Errorf("%s propertyValue = %v", k, byKey[k]["propertyValue"])
		}
	}
	entry := byKey["filter.response.nulls"]
	if entry["propertyValue"] != "true" {
		t.Fatalf("filter.response.nulls = %v", entry["propertyValue"])
	}
	entry["propertyValue"] = false
	path := fmt.Sprintf("/instances/%d/configuration/%.0f", id, entry["id"].(float64))
	r = e.do("PATCH", path, uo, entry)
	e.mustStatus(r, 200)
	if got := r.json(t); got["propertyValue"] != "false" || got["id"] != entry["id"] {
		t.Errorf("patched entry = %v", got)
	}
	r = e.do("GET", path, uo, nil)
	e.mustStatus(r, 200)
	if r.json(t)["propertyValue"] != "false" {
		t.Error("change not visible")
	}
	raw, _ := e.s.Instance(id)
	if !strings.Contains(string(raw), `"filter.response.nulls":"false"`) {
		t.Error("instance does not show the change")
	}
	e.mustStatus(e.do("PATCH", path, uo, map[string]any{"key": "filter.response.nulls"}), 400)
	e.mustStatus(e.do("GET", fmt.Sprintf("/instances/%d/configuration/1", id), uo, nil), 404)
	refresh := byKey["event.poller.refresh_interval"]
	refresh["propertyValue"] = "0"
	e.mustStatus(e.do("PATCH", fmt.Sprintf("/instances/%d/configuration/%.0f", id, refresh["id"].(float64)), uo, refresh), 400)
}

func TestElements(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/elements/gmail", uo, nil)
	e.mustStatus(r, 200)
	m := r.json(t)
	if m["id"] != 6409.0 || m["hub"] != "general" || m["authentication"].(map[string]any)["type"] != "oauth2" {
		t.Errorf("gmail = %v", m)
	}
	r = e.do("GET", "/elements/6409/configuration", uo, nil)
	e.mustStatus(r, 200)
	defs := map[string]map[string]any{}
	for _, d := range r.list(t) {
		for _, f := range []string{"id", "key", "name", "type", "defaultValue", "required"} {
			if _, ok := d[f]; !ok {
				t.Errorf("definition %v lacks %s", d["key"], f)
			}
		}
		defs[d["key"].(string)] = d
	}
	wantDefaults := map[string]any{
		"base.url":                         "https://www.googleapis.com/gmail/v1/users/me",
		"oauth.scope":                      "https://mail.google.com/ https://www.googleapis.com/auth/gmail.settings.basic",
		"event.vendor.type":                "polling",
		"event.notification.enabled":       "false",
		"event.poller.refresh_interval":    "15",
		"filter.response.nulls":            "true",
		"event.notification.callback.url":  nil,
		"event.notification.signature.key": nil,
		"event.poller.configuration":       nil,
		"oauth.user.token":                 nil,
		"oauth.user.refresh_token":         nil,
	}
	for k, want := range wantDefaults {
		d, ok := defs[k]
		if !ok || !reflect.DeepEqual(d["defaultValue"], want) {
			t.Errorf("%s default = %v, want %v", k, d["defaultValue"], want)
		}
	}
	for _, k := range []string{"oauth.api.key", "oauth.api.secret", "oauth.callback.url"} {
		if defs[k]["required"] != true {
			t.Errorf("%s not required", k)
		}
	}
	r = e.do("GET", "/elements/netsuiteerp/configuration", uo, nil)
	e.mustStatus(r, 200)
	found := false
	for _, d := range r.list(t) {
		if d["key"] == "user.password" {
			found = d["type"] == "PASSWORD" && d["required"] == true
		}
	}
	if !found {
		t.Error("netsuite user.password is not a required PASSWORD")
	}
	r = e.do("GET", "/elements/unknown-thing", uo, nil)
	e.mustStatus(r, 404)
	if !strings.Contains(string(r.body), "unknown-thing") {
		t.Errorf("404 does not name the element: %s", r.body)
	}
	e.mustStatus(e.do("GET", "/elements", uo, nil), 200)
	e.mustStatus(e.do("POST", "/elements/gmail", uo, nil), 405)
}

func TestStatsAndLastRequest(t *testing.T) {
	e := newEnv(t, Options{})
	id, _, _ := e.createNetsuite("stats", nil)
	for i := 0; i < 3; i++ {
		e.do("GET", fmt.Sprintf("/instances/%d", id), uo, nil)
	}
	patch := `{"name":"patched"}`
	e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, patch)
	r := e.do("GET", "/_emulator/stats", "", nil)
	e.mustStatus(r, 200)
	var stats map[string]int
	if err := json.Unmarshal(r.body, &stats); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"POST /instances": 1, "GET /instances/{id}": 3, "PATCH /instances/{id}": 1}
	for k, v := range want {
		if stats[k] != v {
			t.Errorf("stats[%q] = %d, want %d (all: %v)", k, stats[k], v, stats)
		}
	}
	if got := string(e.s.LastRequest("PATCH /instances/{id}")); got != patch {
		t.Errorf("LastRequest = %q", got)
	}
	if got := string(e.s.LastRequest("PATCH /elements/api-v2/instances/{instanceId}")); got != patch {
		t.Errorf("LastRequest with other spelling = %q", got)
	}
	if !strings.Contains(string(e.s.LastRequest("POST /instances")), "hunter2") {
		t.Error("LastRequest of POST lacks the body")
	}
	e.mustStatus(e.do("POST", "/_emulator/reset", "", nil), 200)
	if n := e.s.Stats()["GET /instances/{id}"]; n != 0 {
		t.Errorf("after reset: %d", n)
	}
	e.do("GET", "/instances", uo, nil)
	e.s.ResetStats()
	if len(e.s.Stats()) != 3 { // only the event counters remain
		t.Errorf("after ResetStats: %v", e.s.Stats())
	}
}

func TestSeedRepeatable(t *testing.T) {
	a := newEnv(t, Options{Seed: 7})
	b := newEnv(t, Options{Seed: 7})
	c := newEnv(t, Options{Seed: 8})
	ida, toka, _ := a.createNetsuite("s", nil)
	idb, tokb, _ := b.createNetsuite("s", nil)
	idc, tokc, _ := c.createNetsuite("s", nil)
	if ida != idb || toka != tokb {
		t.Errorf("same seed: %d/%s vs %d/%s", ida, toka, idb, tokb)
	}
	if ida == idc && toka == tokc {
		t.Error("different seeds gave the same id and token")
	}
}
