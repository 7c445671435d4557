package opencon

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

const instanceJSON = `{"id":42,"name":"My instance","token":"elem-token","elementId":8153,
 "element":{"id":6409,"key":"gmail","name":"Gmail","hub":"general","authentication":{"type":"oauth2"}},
 "tags":["a","b"],"valid":true,"disabled":false,"externalAuthentication":"none",
 "configuration":{"oauth.api.key":"********","event.notification.enabled":"true","base.url":null},
 "user":{"id":3,"emailAddress":"u@example.com","firstName":"U","lastName":"V"}}`

func ptr[T any](v T) *T { return &v }

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestMethodsRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		response  string
		call      func(c *Client) (any, error)
		method    string
		path      string
		query     url.Values
		body      string // "" means no body
		checkResp func(t *testing.T, got any)
	}{
		{
			name:     "CreateInstance",
			response: instanceJSON,
			call: func(c *Client) (any, error) {
				return c.CreateInstance(ctx, CreateInstanceRequest{
					Element:                &ElementRef{Key: "gmail"},
					Configuration:          map[string]any{"event.notification.enabled": true, "event.poller.refresh_interval": "15"},
					Tags:                   []string{"a"},
					Name:                   "My instance",
					ExternalAuthentication: ExternalAuthenticationInitial,
				})
			},
			method: "POST", path: "/elements/api-v2/instances",
			body: `{"element":{"key":"gmail"},"configuration":{"event.notification.enabled":true,"event.poller.refresh_interval":"15"},"tags":["a"],"name":"My instance","externalAuthentication":"initial"}`,
			checkResp: func(t *testing.T, got any) {
				inst := got.(*Instance)
				if inst.ID != 42 || inst.Element.Key != "gmail" || inst.Element.Authentication.Type != "oauth2" || inst.User.EmailAddress != "u@example.com" {
					t.Errorf("instance = %+v", inst)
				}
				if v, ok := inst.ConfigValue("event.notification.enabled"); !ok || v != "true" {
					t.Errorf("configuration value = %q %v", v, ok)
				}
				if _, ok := inst.ConfigValue("base.url"); ok {
					t.Errorf("null configuration value reported present")
				}
			},
		},
		{
			name: "GetInstance", response: instanceJSON,
			call:   func(c *Client) (any, error) { return c.GetInstance(ctx, 42) },
			method: "GET", path: "/elements/api-v2/instances/42",
			checkResp: func(t *testing.T, got any) {
				if got.(*Instance).Name != "My instance" {
					t.Errorf("instance = %+v", got)
				}
			},
		},
		{
			name: "ListInstances", response: "[" + instanceJSON + "]",
			call: func(c *Client) (any, error) {
				return c.ListInstances(ctx, ListInstancesOptions{Tags: []string{"a", "b c"}, SearchText: "My inst"})
			},
			method: "GET", path: "/elements/api-v2/instances",
			query: url.Values{"tags[]": {"a", "b c"}, "searchText": {"My inst"}},
			checkResp: func(t *testing.T, got any) {
				if l := got.([]Instance); len(l) != 1 || l[0].ID != 42 {
					t.Errorf("list = %+v", l)
				}
			},
		},
		{
			name: "UpdateInstance", response: instanceJSON,
			call: func(c *Client) (any, error) {
				return c.UpdateInstance(ctx, 42, UpdateInstanceRequest{Name: ptr("new"), Tags: &[]string{}, Configuration: map[string]any{"event.notification.callback.url": "https://cb"}})
			},
			method: "PATCH", path: "/elements/api-v2/instances/42",
			body: `{"name":"new","tags":[],"configuration":{"event.notification.callback.url":"https://cb"}}`,
		},
		{
			name: "ReplaceInstance", response: instanceJSON,
			call: func(c *Client) (any, error) {
				return c.ReplaceInstance(ctx, 42, CreateInstanceRequest{Element: &ElementRef{ID: 6409}, Name: "n", Tags: []string{}})
			},
			method: "PUT", path: "/elements/api-v2/instances/42",
			body: `{"element":{"id":6409},"name":"n","tags":[]}`,
		},
		{
			name: "ReplaceInstance omits nil tags", response: instanceJSON,
			call: func(c *Client) (any, error) {
				return c.ReplaceInstance(ctx, 42, CreateInstanceRequest{Element: &ElementRef{Key: "gmail"}, Name: "n", ProviderData: map[string]string{"code": "c"}})
			},
			method: "PUT", path: "/elements/api-v2/instances/42",
			body: `{"element":{"key":"gmail"},"name":"n","providerData":{"code":"c"}}`,
		},
		{
			name:   "DeleteInstance",
			call:   func(c *Client) (any, error) { return nil, c.DeleteInstance(ctx, 42) },
			method: "DELETE", path: "/elements/api-v2/instances/42",
		},
		{
			name:   "EnableInstance",
			call:   func(c *Client) (any, error) { return nil, c.EnableInstance(ctx, 42) },
			method: "PUT", path: "/elements/api-v2/instances/42/enabled",
		},
		{
			name:   "DisableInstance",
			call:   func(c *Client) (any, error) { return nil, c.DisableInstance(ctx, 42) },
			method: "DELETE", path: "/elements/api-v2/instances/42/enabled",
		},
		{
			name:     "ListInstanceConfiguration",
			response: `[{"id":11,"key":"filter.response.nulls","propertyValue":"true"},{"id":12,"key":"oauth.api.secret","propertyValue":"********"}]`,
			call:     func(c *Client) (any, error) { return c.ListInstanceConfiguration(ctx, 42) },
			method:   "GET", path: "/elements/api-v2/instances/42/configuration",
			checkResp: func(t *testing.T, got any) {
				l := got.([]ConfigurationEntry)
				if len(l) != 2 || l[0].ID != 11 || *l[0].PropertyValue != "true" || l[1].Key != "oauth.api.secret" {
					t.Errorf("entries = %+v", l)
				}
			},
		},
		{
			name:     "UpdateInstanceConfiguration",
			response: `{"id":11,"key":"filter.response.nulls","propertyValue":"false"}`,
			call: func(c *Client) (any, error) {
				return c.UpdateInstanceConfiguration(ctx, 42, ConfigurationEntry{ID: 11, Key: "filter.response.nulls", Name: "Filter nulls", PropertyValue: ptr("false"), Type: "BOOLEAN"})
			},
			method: "PATCH", path: "/elements/api-v2/instances/42/configuration/11",
			body: `{"id":11,"key":"filter.response.nulls","name":"Filter nulls","propertyValue":"false","type":"BOOLEAN"}`,
			checkResp: func(t *testing.T, got any) {
				if e := got.(*ConfigurationEntry); e.ID != 11 || *e.PropertyValue != "false" {
					t.Errorf("entry = %+v", e)
				}
			},
		},
		{
			name:     "GetElement",
			response: `{"id":6409,"key":"gmail","name":"Gmail","hub":"general","authentication":{"type":"oauth2"}}`,
			call:     func(c *Client) (any, error) { return c.GetElement(ctx, "gmail") },
			method:   "GET", path: "/elements/api-v2/elements/gmail",
			checkResp: func(t *testing.T, got any) {
				if e := got.(*Element); e.ID != 6409 || e.Hub != "general" {
					t.Errorf("element = %+v", e)
				}
			},
		},
		{
			name:     "ListElementConfiguration",
			response: `[{"id":1,"key":"event.poller.refresh_interval","name":"Interval","type":"TEXTFIELD_32","defaultValue":"15","required":false}]`,
			call:     func(c *Client) (any, error) { return c.ListElementConfiguration(ctx, "6409") },
			method:   "GET", path: "/elements/api-v2/elements/6409/configuration",
			checkResp: func(t *testing.T, got any) {
				if l := got.([]ElementConfigurationEntry); len(l) != 1 || *l[0].DefaultValue != "15" {
					t.Errorf("entries = %+v", l)
				}
			},
		},
		{
			name:     "GetOAuthURL escapes the key",
			response: `{"oauthUrl":"https://accounts.google.com/o/oauth2/v2/auth?state=gmail","element":"gmail"}`,
			call: func(c *Client) (any, error) {
				return c.GetOAuthURL(ctx, "my el/x", OAuthURLRequest{APIKey: "k", APISecret: "s&t", CallbackURL: "https://cb/x?y=1", Scope: "a b", State: "st"})
			},
			method: "GET", path: "/elements/api-v2/elements/my%20el%2Fx/oauth/url",
			query: url.Values{"apiKey": {"k"}, "apiSecret": {"s&t"}, "callbackUrl": {"https://cb/x?y=1"}, "scope": {"a b"}, "state": {"st"}},
			checkResp: func(t *testing.T, got any) {
				if u := got.(*OAuthURL); u.Element != "gmail" || u.OAuthURL == "" {
					t.Errorf("oauth url = %+v", u)
				}
			},
		},
		{
			name:     "GetOAuthURL without optional parameters",
			response: `{"oauthUrl":"https://x","element":"gmail"}`,
			call: func(c *Client) (any, error) {
				return c.GetOAuthURL(ctx, "gmail", OAuthURLRequest{APIKey: "k", APISecret: "s", CallbackURL: "https://cb"})
			},
			method: "GET", path: "/elements/api-v2/elements/gmail/oauth/url",
			query: url.Values{"apiKey": {"k"}, "apiSecret": {"s"}, "callbackUrl": {"https://cb"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.response
			if resp == "" {
				resp = "{}"
			}
			rec := newRecorder(t, jsonResponse(200, resp))
			c := newTestClient(t, rec.srv.URL)
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != tt.path {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, tt.method, tt.path)
			}
			gotQuery, err := url.ParseQuery(r.Query)
			if err != nil {
				t.Fatalf("query %q: %v", r.Query, err)
			}
			if len(tt.query) == 0 && len(gotQuery) != 0 || len(tt.query) != 0 && !reflect.DeepEqual(gotQuery, tt.query) {
				t.Errorf("query = %v, want %v", gotQuery, tt.query)
			}
			if tt.body == "" {
				if len(r.Body) != 0 {
					t.Errorf("unexpected body %s", r.Body)
				}
			} else {
				jsonEqual(t, r.Body, tt.body)
			}
			if tt.checkResp != nil {
				tt.checkResp(t, got)
			}
		})
	}
}

func TestListInstancesTagsAreRepeated(t *testing.T) {
	rec := newRecorder(t, jsonResponse(200, `[]`))
	c := newTestClient(t, rec.srv.URL)
	if _, err := c.ListInstances(context.Background(), ListInstancesOptions{Tags: []string{"x", "y"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.requests()[0].Query, "tags%5B%5D=x&tags%5B%5D=y"; got != want {
		t.Errorf("raw query = %q, want %q", got, want)
	}
}

func TestListInstancesNotFoundIsEmpty(t *testing.T) {
	rec := newRecorder(t, jsonResponse(404, `{"requestId":"abc","message":"No instances found"}`))
	c := newTestClient(t, rec.srv.URL)
	got, err := c.ListInstances(context.Background(), ListInstancesOptions{SearchText: "nothing"})
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("ListInstances = %#v, want an empty non-nil slice", got)
	}

	// Other errors still surface.
	rec = newRecorder(t, jsonResponse(401, `{"requestId":"abc","message":"Invalid Organization or User secret, or invalid Element token provided."}`))
	c = newTestClient(t, rec.srv.URL)
	if _, err := c.ListInstances(context.Background(), ListInstancesOptions{}); err == nil {
		t.Error("ListInstances hid a 401")
	}
}

func TestGetInstanceNotFound(t *testing.T) {
	rec := newRecorder(t, jsonResponse(404, `{"requestId":"5b0437c6e4b07731ae39b533","message":"No instance found with ID 9"}`))
	c := newTestClient(t, rec.srv.URL)
	inst, err := c.GetInstance(context.Background(), 9)
	if inst != nil || err == nil {
		t.Fatalf("GetInstance = %v, %v; want an error", inst, err)
	}
	if rec.count() != 1 {
		t.Errorf("a 404 was retried: %d requests", rec.count())
	}
}

func TestLenientConfigurationDecoding(t *testing.T) {
	var inst Instance
	err := json.Unmarshal([]byte(`{"id":1,"name":"n","tags":["t"],"configuration":{
		"a":"s","b":true,"c":15,"d":null,"e":{"changed-messages":{"url":"/hubs/general/changed-messages", "idField":"id"}}}}`), &inst)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "s", "b": "true", "c": "15", "e": `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`}
	for k, w := range want {
		if v, ok := inst.ConfigValue(k); !ok || v != w {
			t.Errorf("config %s = %q %v, want %q", k, v, ok, w)
		}
	}
	if v, ok := inst.Configuration["d"]; !ok || v != nil {
		t.Errorf("null value = %v %v, want a present nil", v, ok)
	}
	if inst.ID != 1 || inst.Name != "n" || len(inst.Tags) != 1 {
		t.Errorf("other fields lost: %+v", inst)
	}

	var e ConfigurationEntry
	if err := json.Unmarshal([]byte(`{"id":3,"key":"k","propertyValue":false}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 3 || e.PropertyValue == nil || *e.PropertyValue != "false" {
		t.Errorf("entry = %+v", e)
	}
}

func TestInputValidation(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL)
	ctx := context.Background()
	if _, err := c.GetElement(ctx, ""); err == nil {
		t.Error("GetElement accepted an empty key")
	}
	if _, err := c.UpdateInstanceConfiguration(ctx, 1, ConfigurationEntry{Key: "k"}); err == nil {
		t.Error("UpdateInstanceConfiguration accepted an entry without id")
	}
	if rec.count() != 0 {
		t.Errorf("invalid input reached the server %d times", rec.count())
	}
}
