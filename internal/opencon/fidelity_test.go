package opencon_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// The fidelity checklist of the API reference (section 8), item by item,
// through the real client against the emulator. Items the client has no
// call for (Element-token routes, hub calls) go over raw HTTP.

const (
	userSecret   = "fidelity-user"
	orgSecret    = "fidelity-org"
	clientID     = "client-id.apps.googleusercontent.com"
	clientSecret = "client-secret"
	redirectURI  = "https://auth.example.com/oauth"
)

type fidelityEnv struct {
	t      testing.TB
	emu    *emulator.Server
	srv    *httptest.Server
	api    string
	client *opencon.Client
}

func newFidelityEnv(t testing.TB) *fidelityEnv {
	t.Helper()
	return newFidelityEnvWith(t, emulator.Options{})
}

func newFidelityEnvWith(t testing.TB, opts emulator.Options) *fidelityEnv {
	t.Helper()
	opts.UserSecret, opts.OrganizationSecret, opts.Seed = userSecret, orgSecret, 7
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	client, err := opencon.NewClient(opencon.Config{BaseURL: srv.URL, UserSecret: userSecret, OrganizationSecret: orgSecret, MaxRetries: new(0)})
	if err != nil {
		t.Fatal(err)
	}
	return &fidelityEnv{t: t, emu: emu, srv: srv, api: srv.URL + "/elements/api-v2", client: client}
}

func (e *fidelityEnv) code() string {
	e.t.Helper()
	u, err := e.client.GetOAuthURL(context.Background(), "gmail", opencon.OAuthURLRequest{APIKey: clientID, APISecret: clientSecret, CallbackURL: redirectURI})
	if err != nil {
		e.t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u.OAuthURL)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("code") == "" {
		e.t.Fatalf("no code in redirect %q", resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func gmailRequest(code string) opencon.CreateInstanceRequest {
	return opencon.CreateInstanceRequest{
		Element:      &opencon.ElementRef{Key: "gmail"},
		ProviderData: map[string]string{"code": code},
		Configuration: map[string]any{
			opencon.KeyOAuthAPIKey: clientID, opencon.KeyOAuthAPISecret: clientSecret, opencon.KeyOAuthCallbackURL: redirectURI,
			opencon.KeyEventNotificationEnabled: true, opencon.KeyEventNotificationCallbackURL: "http://127.0.0.1:1/events",
			opencon.KeyEventPollerRefreshInterval: 15,
			opencon.KeyEventPollerConfiguration:   map[string]any{"changed-messages": map[string]any{"url": "/hubs/general/changed-messages", "idField": "id"}},
		},
		Tags: []string{"Docs"},
		Name: "API Instance with Polling",
	}
}

func netsuiteRequest(name string, tags []string) opencon.CreateInstanceRequest {
	return opencon.CreateInstanceRequest{
		Element:       &opencon.ElementRef{Key: "netsuiteerp"},
		Configuration: map[string]any{"user.username": "jane", "user.password": "hunter2", "netsuite.accountId": "TST1"},
		Tags:          tags,
		Name:          name,
	}
}

func (e *fidelityEnv) gmail() *opencon.Instance {
	e.t.Helper()
	inst, err := e.client.CreateInstance(context.Background(), gmailRequest(e.code()))
	if err != nil {
		e.t.Fatal(err)
	}
	return inst
}

func (e *fidelityEnv) netsuite(name string, tags ...string) *opencon.Instance {
	e.t.Helper()
	inst, err := e.client.CreateInstance(context.Background(), netsuiteRequest(name, tags))
	if err != nil {
		e.t.Fatal(err)
	}
	return inst
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (r rawResponse) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return l
}

func (e *fidelityEnv) raw(method, path, auth string, body any) rawResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.api+path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header, b}
}

func platformAuth() string { return "User " + userSecret + ", Organization " + orgSecret }
func elementAuth(token string) string {
	return "User " + userSecret + ", Organization " + orgSecret + ", Element " + token
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func config(t *testing.T, inst *opencon.Instance, key string) string {
	t.Helper()
	v, ok := inst.ConfigValue(key)
	if !ok {
		t.Fatalf("configuration %q missing or null", key)
	}
	return v
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestFidelityChecklist(t *testing.T) {
	ctx := context.Background()
	items := []struct {
		item string
		run  func(t *testing.T, e *fidelityEnv)
	}{
		{"1 Authorization pairs in any order", func(t *testing.T, e *fidelityEnv) {
			e.netsuite("a")
			if r := e.raw("GET", "/instances", "Organization "+orgSecret+", User "+userSecret, nil); r.status != 200 {
				t.Fatalf("reversed pairs: %d", r.status)
			}
		}},
		{"2 bad secret: 401 with the exact message", func(t *testing.T, e *fidelityEnv) {
			bad, _ := opencon.NewClient(opencon.Config{BaseURL: e.api, UserSecret: "wrong", OrganizationSecret: orgSecret, MaxRetries: new(0)})
			_, err := bad.ListInstances(ctx, opencon.ListInstancesOptions{})
			var apiErr *opencon.APIError
			if !errors.Is(err, opencon.ErrUnauthorized) || !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			if apiErr.Message != "Invalid Organization or User secret, or invalid Element token provided." {
				t.Fatalf("message = %q", apiErr.Message)
			}
			if r := e.raw("GET", "/instances", "", nil); r.status != 401 {
				t.Fatalf("missing header: %d", r.status)
			}
		}},
		{"3 id-less routes act on the Element token's instance", func(t *testing.T, e *fidelityEnv) {
			inst := e.netsuite("before")
			other := e.netsuite("other")
			if r := e.raw("PATCH", "/instances", elementAuth(inst.Token), map[string]any{"name": "after"}); r.status != 200 {
				t.Fatalf("PATCH /instances: %d %s", r.status, r.body)
			}
			got, _ := e.client.GetInstance(ctx, inst.ID)
			untouched, _ := e.client.GetInstance(ctx, other.ID)
			if got.Name != "after" || untouched.Name != "other" {
				t.Fatalf("names %q, %q", got.Name, untouched.Name)
			}
			if r := e.raw("GET", "/instances/configuration", elementAuth(inst.Token), nil); r.status != 200 || !bytes.Contains(r.body, []byte("netsuite.accountId")) {
				t.Fatalf("GET /instances/configuration: %d %s", r.status, r.body)
			}
			if r := e.raw("DELETE", "/instances/enabled", elementAuth(inst.Token), nil); r.status != 200 {
				t.Fatalf("DELETE /instances/enabled: %d", r.status)
			}
			if got, _ := e.client.GetInstance(ctx, inst.ID); !got.Disabled {
				t.Fatal("not disabled")
			}
		}},
		{"4 hub responses carry elements-element-instance-id", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			r := e.raw("GET", "/hubs/general/messages", elementAuth(inst.Token), nil)
			if r.status != 200 || r.header.Get("elements-element-instance-id") != jsonNumber(inst.ID) {
				t.Fatalf("%d, header %q", r.status, r.header.Get("elements-element-instance-id"))
			}
		}},
		{"5 a deleted instance's token gets 401 on the hub", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			must(t, e.client.DeleteInstance(ctx, inst.ID))
			if r := e.raw("GET", "/hubs/general/messages", elementAuth(inst.Token), nil); r.status != 401 {
				t.Fatalf("%d", r.status)
			}
		}},
		{"6 disabled gets 403 on the hub; enabling restores", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			must(t, e.client.DisableInstance(ctx, inst.ID))
			if r := e.raw("GET", "/hubs/general/messages", elementAuth(inst.Token), nil); r.status != 403 {
				t.Fatalf("disabled: %d", r.status)
			}
			must(t, e.client.EnableInstance(ctx, inst.ID))
			if r := e.raw("GET", "/hubs/general/messages", elementAuth(inst.Token), nil); r.status != 200 {
				t.Fatalf("enabled: %d", r.status)
			}
		}},
		{"7 create answers 200 with the full instance and a token", func(t *testing.T, e *fidelityEnv) {
			r := e.raw("POST", "/instances", platformAuth(), netsuiteRequest("raw", nil))
			m := r.json(t)
			if r.status != 200 || m["token"] == "" || m["configuration"] == nil || m["element"] == nil {
				t.Fatalf("%d %s", r.status, r.body)
			}
			inst := e.gmail()
			if inst.ID == 0 || inst.Token == "" || !inst.Valid {
				t.Fatalf("%+v", inst)
			}
		}},
		{"8 POST /elements/{key}/instances without element.key", func(t *testing.T, e *fidelityEnv) {
			body := netsuiteRequest("by key", nil)
			body.Element = nil
			r := e.raw("POST", "/elements/netsuiteerp/instances", platformAuth(), body)
			if r.status != 200 || r.json(t)["element"].(map[string]any)["key"] != "netsuiteerp" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}},
		{"9 field types", func(t *testing.T, e *fidelityEnv) {
			m := e.raw("POST", "/instances", platformAuth(), netsuiteRequest("types", nil)).json(t)
			_, idNum := m["id"].(float64)
			_, tokenStr := m["token"].(string)
			_, validBool := m["valid"].(bool)
			tags, tagsArr := m["tags"].([]any)
			user, _ := m["user"].(map[string]any)
			_, userID := user["id"].(float64)
			if !idNum || !tokenStr || !validBool || !tagsArr || !userID || user["emailAddress"] == nil || user["firstName"] == nil || user["lastName"] == nil {
				t.Fatalf("%s", mustJSON(m))
			}
			for _, tag := range tags {
				if _, ok := tag.(string); !ok {
					t.Fatalf("tag %v is not a string", tag)
				}
			}
		}},
		{"10 createdDate is ISO-8601 UTC with seconds", func(t *testing.T, e *fidelityEnv) {
			if inst := e.netsuite("d"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(inst.CreatedDate) {
				t.Fatalf("%q", inst.CreatedDate)
			}
		}},
		{"11 HTML is stripped from names on create and update", func(t *testing.T, e *fidelityEnv) {
			inst := e.netsuite(`<a href="x">churros-xss</a>`, "t")
			if inst.Name != "churros-xss" {
				t.Fatalf("create: %q", inst.Name)
			}
			name := `<b>renamed</b>`
			got, err := e.client.UpdateInstance(ctx, inst.ID, opencon.UpdateInstanceRequest{Name: &name})
			must(t, err)
			if got.Name != "renamed" {
				t.Fatalf("update: %q", got.Name)
			}
		}},
		{"12 tags omitted: the sanitized name is tags[0]", func(t *testing.T, e *fidelityEnv) {
			if inst := e.netsuite("<i>tagless</i>"); len(inst.Tags) != 1 || inst.Tags[0] != "tagless" {
				t.Fatalf("%v", inst.Tags)
			}
		}},
		{"13 missing required configuration names the keys", func(t *testing.T, e *fidelityEnv) {
			req := netsuiteRequest("x", nil)
			delete(req.Configuration, "user.password")
			delete(req.Configuration, "netsuite.accountId")
			_, err := e.client.CreateInstance(ctx, req)
			var apiErr *opencon.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(err.Error(), "user.password") || !strings.Contains(err.Error(), "netsuite.accountId") {
				t.Fatalf("err = %v", err)
			}
			if e.emu.InstanceCount() != 0 {
				t.Fatal("an instance was created anyway")
			}
		}},
		{"14 externalAuthentication none, or initial from a refresh token", func(t *testing.T, e *fidelityEnv) {
			if inst := e.gmail(); inst.ExternalAuthentication != "none" {
				t.Fatalf("code: %q", inst.ExternalAuthentication)
			}
			req := gmailRequest("")
			req.ProviderData = nil
			req.ExternalAuthentication = "initial"
			req.Configuration[opencon.KeyOAuthUserRefreshToken] = "1//refresh"
			inst, err := e.client.CreateInstance(ctx, req)
			must(t, err)
			if inst.ExternalAuthentication != "initial" {
				t.Fatalf("refresh token: %q", inst.ExternalAuthentication)
			}
		}},
		{"16 configuration values come back as strings", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			if config(t, inst, opencon.KeyEventNotificationEnabled) != "true" || config(t, inst, opencon.KeyEventPollerRefreshInterval) != "15" {
				t.Fatalf("%v", inst.Configuration)
			}
		}},
		{"17 element defaults are returned too", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			for _, k := range []string{"base.url", "event.vendor.type", "filter.response.nulls"} {
				config(t, inst, k)
			}
			if _, present := inst.Configuration[opencon.KeyOAuthUserToken]; !present {
				t.Fatal("oauth.user.token missing")
			}
		}},
		{"18 poller configuration: object or string in, JSON string out", func(t *testing.T, e *fidelityEnv) {
			sent := `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`
			asObject := e.gmail()
			req := gmailRequest(e.code())
			req.Configuration[opencon.KeyEventPollerConfiguration] = sent
			asString, err := e.client.CreateInstance(ctx, req)
			must(t, err)
			for _, inst := range []*opencon.Instance{asObject, asString} {
				got := config(t, inst, opencon.KeyEventPollerConfiguration)
				if got == sent {
					t.Fatalf("echoed byte-identical; the emulator must re-encode like the platform")
				}
				var a, b any
				must(t, json.Unmarshal([]byte(got), &a))
				must(t, json.Unmarshal([]byte(sent), &b))
				if mustJSON(a) != mustJSON(b) {
					t.Fatalf("meaning changed: %s", got)
				}
			}
		}},
		{"19 oauth.api.key and secret masked in responses and configuration entries", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			for _, k := range []string{opencon.KeyOAuthAPIKey, opencon.KeyOAuthAPISecret} {
				if v := config(t, inst, k); v != opencon.MaskedValue {
					t.Fatalf("%s = %q", k, v)
				}
			}
			entries, err := e.client.ListInstanceConfiguration(ctx, inst.ID)
			must(t, err)
			seen := 0
			for _, en := range entries {
				if en.Key == opencon.KeyOAuthAPIKey || en.Key == opencon.KeyOAuthAPISecret {
					seen++
					if en.PropertyValue == nil || *en.PropertyValue != opencon.MaskedValue {
						t.Fatalf("%s propertyValue %v", en.Key, en.PropertyValue)
					}
				}
			}
			if seen != 2 {
				t.Fatalf("saw %d masked entries", seen)
			}
		}},
		{"20 password masked, username in clear", func(t *testing.T, e *fidelityEnv) {
			inst, err := e.client.GetInstance(ctx, e.netsuite("p").ID)
			must(t, err)
			if config(t, inst, "user.password") != opencon.MaskedValue || config(t, inst, "user.username") != "jane" {
				t.Fatalf("%v", inst.Configuration)
			}
		}},
		{"22 eventsEnabled and eventsNotificationCallbackUrl follow configuration", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			if !inst.EventsEnabled || inst.EventsNotificationCallbackURL != "http://127.0.0.1:1/events" {
				t.Fatalf("%v %q", inst.EventsEnabled, inst.EventsNotificationCallbackURL)
			}
			if plain := e.netsuite("n"); plain.EventsEnabled || plain.EventsNotificationCallbackURL != "false" {
				t.Fatalf("%v %q", plain.EventsEnabled, plain.EventsNotificationCallbackURL)
			}
		}},
		{"23 subscriptionId once events and a callback are set", func(t *testing.T, e *fidelityEnv) {
			if inst := e.gmail(); inst.SubscriptionID == 0 {
				t.Fatal("no subscriptionId")
			}
			if plain := e.netsuite("n"); plain.SubscriptionID != 0 {
				t.Fatal("subscriptionId without events")
			}
		}},
		{"24 configuration entries: list, patch one, read the change", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			entries, err := e.client.ListInstanceConfiguration(ctx, inst.ID)
			must(t, err)
			var entry *opencon.ConfigurationEntry
			for i := range entries {
				if entries[i].Key == "filter.response.nulls" {
					entry = &entries[i]
				}
			}
			if entry == nil || entry.ID == 0 {
				t.Fatalf("no filter.response.nulls entry in %v", entries)
			}
			f := "false"
			entry.PropertyValue = &f
			updated, err := e.client.UpdateInstanceConfiguration(ctx, inst.ID, *entry)
			must(t, err)
			if updated.PropertyValue == nil || *updated.PropertyValue != "false" {
				t.Fatalf("%+v", updated)
			}
			got, _ := e.client.GetInstance(ctx, inst.ID)
			if config(t, got, "filter.response.nulls") != "false" {
				t.Fatal("change not visible")
			}
		}},
		{"25-26 list is an array, filtered by every tag", func(t *testing.T, e *fidelityEnv) {
			e.netsuite("a", "x", "y")
			e.netsuite("b", "x")
			e.netsuite("c", "y")
			all, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{})
			must(t, err)
			both, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{Tags: []string{"x", "y"}})
			must(t, err)
			if len(all) != 3 || len(both) != 1 || both[0].Name != "a" {
				t.Fatalf("all %d, both %v", len(all), names(both))
			}
			if r := e.raw("GET", "/instances?tags%5B%5D=x&hydrate=false", platformAuth(), nil); r.status != 200 {
				t.Fatalf("hydrate=false: %d", r.status)
			}
		}},
		{"2.1 GET /instances pages: pageSize, nextPage, total and returned counts; the client reads every page", func(t *testing.T, _ *fidelityEnv) {
			e := newFidelityEnvWith(t, emulator.Options{PageSize: 2})
			for _, n := range []string{"p1", "p2", "p3", "p4", "p5"} {
				e.netsuite(n, "paged")
			}
			r := e.raw("GET", "/instances?tags%5B%5D=paged", platformAuth(), nil)
			token := r.header.Get("Elements-Next-Page-Token")
			if r.status != 200 || len(r.list(t)) != 2 || token == "" || r.header.Get("Elements-Total-Count") != "5" || r.header.Get("Elements-Returned-Count") != "2" {
				t.Fatalf("first page: %d, %d items, token %q, headers %v", r.status, len(r.list(t)), token, r.header)
			}
			r = e.raw("GET", "/instances?tags%5B%5D=paged&pageSize=1&nextPage="+url.QueryEscape(token), platformAuth(), nil)
			if r.status != 200 || len(r.list(t)) != 1 || r.header.Get("Elements-Returned-Count") != "1" {
				t.Fatalf("second page of 1: %d %v", r.status, r.header)
			}
			all, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{Tags: []string{"paged"}})
			must(t, err)
			if strings.Join(names(all), ",") != "p1,p2,p3,p4,p5" {
				t.Fatalf("client read %v", names(all))
			}
			abridged, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{Abridged: true})
			must(t, err)
			if len(abridged) != 5 || abridged[0].Configuration != nil || abridged[0].Token != "" {
				t.Fatalf("hydrate=false: %+v", abridged)
			}
		}},
		{"27-28 no match and no instances are 404; the client lists nothing", func(t *testing.T, e *fidelityEnv) {
			if r := e.raw("GET", "/instances", platformAuth(), nil); r.status != 404 {
				t.Fatalf("no instances: %d", r.status)
			}
			e.netsuite("present", "x")
			for _, q := range []string{"?searchText=absent", "?searchText=absent&tags%5B%5D=x"} {
				if r := e.raw("GET", "/instances"+q, platformAuth(), nil); r.status != 404 {
					t.Fatalf("%s: %d", q, r.status)
				}
			}
			got, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{SearchText: "absent"})
			if err != nil || len(got) != 0 {
				t.Fatalf("%v %v", got, err)
			}
			found, err := e.client.ListInstances(ctx, opencon.ListInstancesOptions{SearchText: "PRES"})
			if err != nil || len(found) != 1 {
				t.Fatalf("searchText is a case-insensitive substring: %v %v", names(found), err)
			}
		}},
		{"29, 38 unknown ids are 404 on GET and DELETE", func(t *testing.T, e *fidelityEnv) {
			if _, err := e.client.GetInstance(ctx, 987654); !errors.Is(err, opencon.ErrNotFound) {
				t.Fatalf("GET: %v", err)
			}
			if err := e.client.DeleteInstance(ctx, 987654); !errors.Is(err, opencon.ErrNotFound) {
				t.Fatalf("DELETE: %v", err)
			}
		}},
		{"30-31, 33 PATCH: full instance, no providerData, tags replaced, configuration merged", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			r := e.raw("PATCH", "/instances/"+jsonNumber(inst.ID), platformAuth(), map[string]any{
				"tags": []string{"new"}, "configuration": map[string]any{opencon.KeyEventPollerRefreshInterval: "5"},
			})
			m := r.json(t)
			if r.status != 200 || m["providerData"] != nil || m["token"] == nil {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got, _ := e.client.GetInstance(ctx, inst.ID)
			if len(got.Tags) != 1 || got.Tags[0] != "new" {
				t.Fatalf("tags %v", got.Tags)
			}
			if config(t, got, opencon.KeyEventPollerRefreshInterval) != "5" || config(t, got, opencon.KeyEventNotificationCallbackURL) != "http://127.0.0.1:1/events" {
				t.Fatalf("configuration not merged: %v", got.Configuration)
			}
		}},
		{"32 PUT with tags [] clears them", func(t *testing.T, e *fidelityEnv) {
			inst := e.netsuite("put", "x")
			req := netsuiteRequest("put", []string{})
			got, err := e.client.ReplaceInstance(ctx, inst.ID, req)
			must(t, err)
			if len(got.Tags) != 0 {
				t.Fatalf("tags %v", got.Tags)
			}
		}},
		{"34 PATCH element.id switches the element", func(t *testing.T, e *fidelityEnv) {
			inst := e.netsuite("switch")
			el, err := e.client.GetElement(ctx, "gmail")
			must(t, err)
			// The target element's required keys come along, as they would for a real switch.
			got, err := e.client.UpdateInstance(ctx, inst.ID, opencon.UpdateInstanceRequest{
				Element:       &opencon.ElementRef{ID: el.ID},
				Configuration: map[string]any{opencon.KeyOAuthAPIKey: clientID, opencon.KeyOAuthAPISecret: clientSecret, opencon.KeyOAuthCallbackURL: redirectURI},
			})
			must(t, err)
			if got.Element.ID != el.ID {
				t.Fatalf("element.id %d, want %d", got.Element.ID, el.ID)
			}
		}},
		{"35 PATCH with a new code re-provisions; a spent code is refused", func(t *testing.T, e *fidelityEnv) {
			inst := e.gmail()
			code := e.code()
			got, err := e.client.UpdateInstance(ctx, inst.ID, opencon.UpdateInstanceRequest{ProviderData: map[string]string{"code": code}})
			must(t, err)
			if !got.Valid {
				t.Fatal("not valid after re-authentication")
			}
			_, err = e.client.UpdateInstance(ctx, inst.ID, opencon.UpdateInstanceRequest{ProviderData: map[string]string{"code": code}})
			var apiErr *opencon.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.ProviderMessage == "" {
				t.Fatalf("reused code: %v", err)
			}
		}},
		{"37 DELETE answers 200 with User and Organization only", func(t *testing.T, e *fidelityEnv) {
			inst := e.netsuite("gone")
			if r := e.raw("DELETE", "/instances/"+jsonNumber(inst.ID), platformAuth(), nil); r.status != 200 {
				t.Fatalf("%d", r.status)
			}
			if e.emu.InstanceCount() != 0 {
				t.Fatal("still there")
			}
		}},
		{"39 error bodies carry requestId and message; every answer the request id header", func(t *testing.T, e *fidelityEnv) {
			r := e.raw("GET", "/instances/987654", platformAuth(), nil)
			m := r.json(t)
			id, _ := m["requestId"].(string)
			if r.status != 404 || !requestIDPattern.MatchString(id) || m["message"] == "" || r.header.Get("Elements-Request-Id") != id {
				t.Fatalf("%d %s header %q", r.status, r.body, r.header.Get("Elements-Request-Id"))
			}
			_, err := e.client.GetInstance(ctx, 987654)
			if err == nil || !regexp.MustCompile(`request id [0-9a-f]{24}`).MatchString(err.Error()) {
				t.Fatalf("the client's error must carry the request id: %v", err)
			}
			if r := e.raw("POST", "/instances", platformAuth(), nil); r.status != 400 {
				t.Fatalf("empty body: %d", r.status)
			}
		}},
		{"51 the OAuth URL", func(t *testing.T, e *fidelityEnv) {
			u, err := e.client.GetOAuthURL(ctx, "gmail", opencon.OAuthURLRequest{APIKey: clientID, APISecret: clientSecret, CallbackURL: redirectURI})
			must(t, err)
			parsed, err := url.Parse(u.OAuthURL)
			must(t, err)
			q := parsed.Query()
			scopes := strings.Fields(q.Get("scope"))
			sort.Strings(scopes)
			if u.Element != "gmail" || q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("response_type") != "code" ||
				q.Get("state") != "gmail" || q.Get("client_id") != clientID || q.Get("redirect_uri") != redirectURI ||
				strings.Join(scopes, " ") != "https://mail.google.com/ https://www.googleapis.com/auth/gmail.settings.basic" {
				t.Fatalf("%+v", u)
			}
		}},
		{"52 the code is exchanged by the platform, once", func(t *testing.T, e *fidelityEnv) {
			code := e.code()
			_, err := e.client.CreateInstance(ctx, gmailRequest(code))
			must(t, err)
			_, err = e.client.CreateInstance(ctx, gmailRequest(code))
			var apiErr *opencon.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.ProviderMessage == "" || e.emu.InstanceCount() != 1 {
				t.Fatalf("reused code: %v, %d instances", err, e.emu.InstanceCount())
			}
		}},
	}
	for _, it := range items {
		t.Run(it.item, func(t *testing.T) {
			it.run(t, newFidelityEnv(t))
		})
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func names(list []opencon.Instance) []string {
	out := make([]string, 0, len(list))
	for _, i := range list {
		out = append(out, i.Name)
	}
	return out
}

// callbackRecorder is an event receiver that can be told to fail.
type callbackRecorder struct {
	mu        chan struct{}
	failFirst int
	bodies    [][]byte
	headers   []http.Header
	attempts  int
}

func newCallbackRecorder(failFirst int) *callbackRecorder {
	r := &callbackRecorder{mu: make(chan struct{}, 1), failFirst: failFirst}
	r.mu <- struct{}{}
	return r
}

func (r *callbackRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	<-r.mu
	defer func() { r.mu <- struct{}{} }()
	r.attempts++
	if r.attempts <= r.failFirst {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
}

func (r *callbackRecorder) snapshot() ([][]byte, []http.Header, int) {
	<-r.mu
	defer func() { r.mu <- struct{}{} }()
	return append([][]byte(nil), r.bodies...), append([]http.Header(nil), r.headers...), r.attempts
}

// TestFidelityEvents covers items 41 and 45 to 49: polling at the refresh
// interval, at most ten events per notification, the envelope, the
// signature, and retries of a failing callback.
func TestFidelityEvents(t *testing.T) {
	ctx := context.Background()
	emu := emulator.New(emulator.Options{UserSecret: userSecret, OrganizationSecret: orgSecret, Seed: 9, Minute: 100 * time.Millisecond})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	e := &fidelityEnv{t: t, emu: emu, srv: srv, api: srv.URL + "/elements/api-v2"}
	var err error
	e.client, err = opencon.NewClient(opencon.Config{BaseURL: srv.URL, UserSecret: userSecret, OrganizationSecret: orgSecret, MaxRetries: new(0)})
	must(t, err)

	recorder := newCallbackRecorder(2)
	callback := httptest.NewServer(recorder)
	t.Cleanup(callback.Close)
	const key = "fidelity-signature-key"
	req := gmailRequest(e.code())
	req.Configuration[opencon.KeyEventNotificationCallbackURL] = callback.URL
	req.Configuration[opencon.KeyEventNotificationSignatureKey] = key
	req.Configuration[opencon.KeyEventPollerRefreshInterval] = "1"
	inst, err := e.client.CreateInstance(ctx, req)
	must(t, err)

	const messages = 12
	ids := map[string]bool{}
	for i := 0; i < messages; i++ {
		r := e.raw("POST", "/hubs/general/messages", elementAuth(inst.Token), map[string]string{"subject": "m" + jsonNumber(int64(i))})
		if r.status != 200 {
			t.Fatalf("hub POST: %d %s", r.status, r.body)
		}
		ids[r.json(t)["id"].(string)] = true
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		bodies, headers, attempts := recorder.snapshot()
		seen := map[string]bool{}
		for i, body := range bodies {
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write(body)
			if want := "sha256=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)); headers[i].Get("Elements-Webhook-Signature") != want {
				t.Fatalf("48: signature %q, want %q", headers[i].Get("Elements-Webhook-Signature"), want)
			}
			if headers[i].Get("Elements-Webhook-Id") == "" {
				t.Fatal("48: no Elements-Webhook-Id")
			}
			var n struct {
				Message struct {
					EventID any               `json:"eventId"`
					Raw     json.RawMessage   `json:"raw"`
					Events  []json.RawMessage `json:"events"`
				} `json:"message"`
			}
			must(t, json.Unmarshal(body, &n))
			if len(n.Message.Events) == 0 || len(n.Message.Events) > 10 {
				t.Fatalf("45: a notification carries %d events", len(n.Message.Events))
			}
			if n.Message.EventID == nil || len(n.Message.Raw) == 0 {
				t.Fatalf("46: envelope %s", body)
			}
			for _, raw := range n.Message.Events {
				var ev map[string]any
				must(t, json.Unmarshal(raw, &ev))
				for _, f := range []string{"objectType", "objectId", "eventType", "elementKey", "date"} {
					if ev[f] == nil || ev[f] == "" {
						t.Fatalf("46: event lacks %s: %s", f, raw)
					}
				}
				if ev["eventType"] != "CREATED" || ev["elementKey"] != "gmail" || ev["objectType"] != "changed-messages" {
					t.Fatalf("47: %s", raw)
				}
				seen[ev["objectId"].(string)] = true
			}
		}
		if len(seen) == messages {
			for id := range ids {
				if !seen[id] {
					t.Fatalf("no event for message %s", id)
				}
			}
			if len(bodies) < 2 {
				t.Fatalf("45: %d events arrived in %d notification(s)", messages, len(bodies))
			}
			if attempts < len(bodies)+2 {
				t.Fatalf("49: the two failed deliveries were not retried (%d attempts)", attempts)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d events arrived after %d attempts", len(seen), messages, attempts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
