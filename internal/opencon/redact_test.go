package opencon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		secrets        []string
	}{
		{
			name: "create body",
			in: `{"element":{"key":"gmail"},"providerData":{"code":"4/oauth-code","state":"s"},
				"configuration":{"oauth.api.key":"client-id","oauth.api.secret":"client-secret","oauth.callback.url":"https://cb",
				"oauth.user.refresh_token":"refresh-tok","event.notification.signature.key":"sig","user.password":"pw",
				"event.poller.refresh_interval":15,"event.notification.enabled":true},"name":"n"}`,
			want: `{"configuration":{"event.notification.enabled":true,"event.notification.signature.key":"[REDACTED]",
				"event.poller.refresh_interval":15,"oauth.api.key":"[REDACTED]","oauth.api.secret":"[REDACTED]",
				"oauth.callback.url":"https://cb","oauth.user.refresh_token":"[REDACTED]","user.password":"[REDACTED]"},
				"element":{"key":"gmail"},"name":"n","providerData":{"code":"[REDACTED]","state":"[REDACTED]"}}`,
		},
		{
			name: "instance response",
			in:   `{"id":1,"token":"elem-token","configuration":{"oauth.api.key":"********","oauth.user.token":null,"base.url":"https://x"}}`,
			want: `{"configuration":{"base.url":"https://x","oauth.api.key":"********","oauth.user.token":null},"id":1,"token":"[REDACTED]"}`,
		},
		{
			name: "configuration entries",
			in: `[{"id":1,"key":"oauth.api.secret","propertyValue":"cs"},{"id":2,"key":"filter.response.nulls","propertyValue":"true"},
				{"id":3,"key":"sftp.auth","type":"PASSWORD","propertyValue":"pw","defaultValue":"dpw"}]`,
			want: `[{"id":1,"key":"oauth.api.secret","propertyValue":"[REDACTED]"},{"id":2,"key":"filter.response.nulls","propertyValue":"true"},
				{"defaultValue":"[REDACTED]","id":3,"key":"sftp.auth","propertyValue":"[REDACTED]","type":"PASSWORD"}]`,
		},
		{
			name: "oauth tokens and query-like names",
			in:   `{"access_token":"at","refresh_token":"rt","apiSecret":"as","secret":"s","expires_in":3600}`,
			want: `{"access_token":"[REDACTED]","apiSecret":"[REDACTED]","expires_in":3600,"refresh_token":"[REDACTED]","secret":"[REDACTED]"}`,
		},
		{
			name:    "secrets anywhere",
			in:      `{"message":"bad header User usr-1, Organization org-2","list":["usr-1"]}`,
			want:    `{"list":["[REDACTED]"],"message":"bad header User [REDACTED], Organization [REDACTED]"}`,
			secrets: []string{"usr-1", "org-2"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactJSON([]byte(tt.in), tt.secrets...)
			jsonEqual(t, got, tt.want)
		})
	}
}

func TestRedactJSONNotJSON(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		hidden   []string
		kept     []string
	}{
		{
			name:   "truncated",
			in:     `{"id":1,"token":"elem-tok","configuration":{"oauth.api.secret":"cs","base.url":"https://x"},"providerData":{"code":"the-co`,
			hidden: []string{"elem-tok", `"cs"`, "the-co"},
			kept:   []string{`"id":1`, "https://x"},
		},
		{
			name:   "html with a query",
			in:     `<html><a href="/cb?code=abc123&state=gmail&apiSecret=zzz">User usr-1</a></html>`,
			hidden: []string{"abc123", "zzz", "usr-1"},
			kept:   []string{"state=gmail", "<html>"},
		},
		{
			name:   "entries cut short",
			in:     `[{"id":1,"key":"oauth.api.secret","propertyValue":"cs"},{"id":2,"key":"x","propertyVa`,
			hidden: []string{`"cs"`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RedactJSON([]byte(tt.in), "usr-1"))
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("RedactJSON kept %q: %s", h, got)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("RedactJSON lost %q: %s", k, got)
				}
			}
		})
	}
}

func TestRedactPath(t *testing.T) {
	got := redactPath("/elements/gmail/oauth/url", url.Values{"apiKey": {"k"}, "apiSecret": {"s3cr3t"}, "callbackUrl": {"https://cb"}})
	want := "/elements/gmail/oauth/url?apiKey=k&apiSecret=[REDACTED]&callbackUrl=https%3A%2F%2Fcb"
	if got != want {
		t.Errorf("redactPath = %q, want %q", got, want)
	}
}

// TestSecretsNeverLeak drives every kind of traffic that carries secrets and
// greps the logs and the errors for them.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		code         = "4/oauth-code-Q1W2E3"
		elementToken = "ElemTok+abc/XYZ="
		refreshToken = "1//refresh-R4T5Y6"
		apiSecret    = "oauth-client-secret-U7I8"
		apiKey       = "oauth-client-key-O9P0"
	)
	secrets := []string{testUserSecret, testOrgSecret, code, elementToken, refreshToken, apiSecret, apiKey}

	instance := `{"id":3,"name":"n","token":"` + elementToken + `","configuration":{"oauth.api.key":"` + apiKey +
		`","oauth.api.secret":"` + apiSecret + `","oauth.user.refresh_token":"` + refreshToken + `"},"providerData":{"code":"` + code + `"}}`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /elements/api-v2/instances", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, instance)
	})
	mux.HandleFunc("GET /elements/api-v2/instances/3/configuration", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `[{"id":1,"key":"oauth.api.secret","propertyValue":"`+apiSecret+`"}]`)
	})
	mux.HandleFunc("GET /elements/api-v2/elements/gmail/oauth/url", func(w http.ResponseWriter, r *http.Request) {
		// An unhelpful server that echoes everything back in its error.
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"requestId":"r1","message":"bad query `+r.URL.RawQuery+` auth `+r.Header.Get("Authorization")+`"}`)
	})
	mux.HandleFunc("PATCH /elements/api-v2/instances/3", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>proxy error for "+string(body)+" with "+r.Header.Get("Authorization")+"</html>")
	})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })

	var logs logCapture
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Logger = &logs; c.MaxRetries = new(1) })
	ctx := context.Background()
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	_, err := c.CreateInstance(ctx, CreateInstanceRequest{
		Element:       &ElementRef{Key: "gmail"},
		ProviderData:  map[string]string{"code": code},
		Configuration: map[string]any{KeyOAuthAPIKey: apiKey, KeyOAuthAPISecret: apiSecret, KeyOAuthUserRefreshToken: refreshToken},
		Name:          "n",
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	_, err = c.ListInstanceConfiguration(ctx, 3)
	if err != nil {
		t.Fatalf("ListInstanceConfiguration: %v", err)
	}
	_, err = c.GetOAuthURL(ctx, "gmail", OAuthURLRequest{APIKey: "public-id", APISecret: apiSecret, CallbackURL: "https://cb"})
	if err == nil {
		t.Fatal("GetOAuthURL succeeded against an erroring server")
	}
	collect(err)
	_, err = c.UpdateInstance(ctx, 3, UpdateInstanceRequest{ProviderData: map[string]string{"code": code}, Configuration: map[string]any{KeyOAuthUserRefreshToken: refreshToken}})
	if err == nil {
		t.Fatal("UpdateInstance succeeded against an erroring server")
	}
	collect(err)

	// A transport error names the URL, query included.
	dead := newTestClient(t, "http://"+closedAddr(t), func(c *Config) { c.Logger = &logs; c.MaxRetries = new(0) })
	_, err = dead.GetOAuthURL(ctx, "gmail", OAuthURLRequest{APIKey: "public-id", APISecret: apiSecret, CallbackURL: "https://cb"})
	if err == nil {
		t.Fatal("GetOAuthURL reached a closed port")
	}
	collect(err)

	out := logs.text()
	if !strings.Contains(out, "/instances") || !strings.Contains(out, Redacted) || !strings.Contains(out, `"status":502`) {
		t.Fatalf("the logs do not show the traffic, the test would prove nothing:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("logs reveal %q:\n%s", s, out)
		}
		for _, e := range errs {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error reveals %q: %v", s, e)
			}
		}
	}
	if strings.Contains(out, "Authorization") {
		t.Errorf("logs mention the Authorization header:\n%s", out)
	}

	// The wire still carried the real values.
	var sent map[string]any
	if err := json.Unmarshal(rec.requests()[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent["providerData"].(map[string]any)["code"] != code {
		t.Errorf("the request body itself was redacted: %v", sent)
	}
	var apiErr *APIError
	if !errors.As(errs[0], &apiErr) || apiErr.RequestID != "r1" {
		t.Errorf("GetOAuthURL error = %v, want the APIError with request id r1", errs[0])
	}
}
