package opencon

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func noRetries(c *Config) { c.MaxRetries = new(0) }

func getErr(t *testing.T, h func(http.ResponseWriter, *http.Request), mods ...func(*Config)) error {
	t.Helper()
	rec := newRecorder(t, h)
	c := newTestClient(t, rec.srv.URL, mods...)
	_, err := c.GetInstance(context.Background(), 1)
	if err == nil {
		t.Fatal("GetInstance succeeded, want an error")
	}
	return err
}

func asAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	return apiErr
}

func TestAPIErrorFromJSONBody(t *testing.T) {
	err := getErr(t, jsonResponse(400, `{"requestId":"53dbca9430045c016b46566c","message":"Bad request","providerMessage":"Item with the same name already exists"}`,
		"Elements-Request-Id", "header-id"))
	e := asAPIError(t, err)
	if e.StatusCode != 400 || e.Method != "GET" || e.Path != "/instances/1" {
		t.Errorf("APIError = %+v", e)
	}
	if e.RequestID != "53dbca9430045c016b46566c" {
		t.Errorf("RequestID = %q, want the body's requestId", e.RequestID)
	}
	if e.Message != "Bad request" || e.ProviderMessage != "Item with the same name already exists" {
		t.Errorf("messages = %q / %q", e.Message, e.ProviderMessage)
	}
	msg := err.Error()
	for _, want := range []string{"400", "53dbca9430045c016b46566c", "Bad request", "Item with the same name already exists", "GET /instances/1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, missing %q", msg, want)
		}
	}
}

func TestAPIErrorFromHTMLPage(t *testing.T) {
	page := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("<p>nginx upstream failure</p>", 40) + "</body></html>"
	err := getErr(t, rawResponse(502, "text/html", page, "Elements-Request-Id", "hdr-req-1"), noRetries)
	e := asAPIError(t, err)
	if e.StatusCode != 502 || e.RequestID != "hdr-req-1" || e.Message != "" {
		t.Errorf("APIError = %+v", e)
	}
	if !strings.HasPrefix(e.Body, "<html><head><title>502") {
		t.Errorf("Body excerpt = %q", e.Body)
	}
	if len(e.Body) > excerptLimit+3 {
		t.Errorf("Body excerpt is %d bytes, want at most ~%d", len(e.Body), excerptLimit)
	}
	if len(err.Error()) > 600 {
		t.Errorf("Error() is %d bytes long: %q", len(err.Error()), err.Error())
	}
	if !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "hdr-req-1") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestAPIErrorFromEmptyBody(t *testing.T) {
	err := getErr(t, rawResponse(500, "", ""))
	e := asAPIError(t, err)
	if e.StatusCode != 500 || e.RequestID != "" {
		t.Errorf("APIError = %+v", e)
	}
	for _, want := range []string{"500", "request id unknown", "empty response body"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() = %q, missing %q", err.Error(), want)
		}
	}
}

func TestAPIErrorFromTruncatedJSON(t *testing.T) {
	err := getErr(t, jsonResponse(400, `{"requestId":"abc123","message":"Missing required conf`))
	e := asAPIError(t, err)
	if e.StatusCode != 400 || e.Message != "" {
		t.Errorf("APIError = %+v", e)
	}
	if !strings.Contains(e.Body, "Missing required conf") {
		t.Errorf("Body excerpt = %q", e.Body)
	}
	if !strings.Contains(err.Error(), "request id unknown") {
		t.Errorf("Error() = %q, want request id unknown", err.Error())
	}
}

func TestAPIErrorNonStringMessage(t *testing.T) {
	err := getErr(t, jsonResponse(400, `{"requestId":"r","message":{"detail":"bad field"}}`))
	if !strings.Contains(err.Error(), "bad field") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestAPIErrorExcerptRedactsSecrets(t *testing.T) {
	body := "<html>" + strings.Repeat("x", 50) + " auth=User " + testUserSecret + ", Organization " + testOrgSecret +
		` {"code":"oauth-code-123"} ?code=oauth-code-123&state=s</html>`
	err := getErr(t, rawResponse(400, "text/html", body))
	for _, secret := range []string{testUserSecret, testOrgSecret, "oauth-code-123"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Error() reveals %q: %q", secret, err.Error())
		}
	}
	if !strings.Contains(err.Error(), Redacted) {
		t.Errorf("Error() = %q, want a redaction marker", err.Error())
	}

	err = getErr(t, jsonResponse(401, `{"requestId":"r","message":"bad secret `+testUserSecret+`"}`))
	if strings.Contains(err.Error(), testUserSecret) {
		t.Errorf("Error() reveals the user secret: %q", err.Error())
	}
}

func TestSentinelErrors(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrConflict, ErrAmbiguous}
	for _, tt := range []struct {
		status int
		want   error
	}{
		{404, ErrNotFound},
		{401, ErrUnauthorized},
		{403, ErrForbidden},
		{409, ErrConflict},
		{400, nil},
		{500, nil},
	} {
		err := getErr(t, jsonResponse(tt.status, `{"requestId":"r","message":"m"}`))
		for _, s := range sentinels {
			if got := errors.Is(err, s); got != (s == tt.want) {
				t.Errorf("status %d: errors.Is(err, %v) = %v", tt.status, s, got)
			}
		}
	}
}

func TestSuccessBodyThatDoesNotDecode(t *testing.T) {
	for name, body := range map[string]string{
		"html":      "<html>maintenance</html>",
		"truncated": `{"id":42,"name":"My ins`,
		"empty":     "",
		"wrong":     `{"id":"not a number"}`,
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, rawResponse(200, "application/json", body, "Elements-Request-Id", "rid-9"))
			c := newTestClient(t, rec.srv.URL)
			inst, err := c.GetInstance(context.Background(), 42)
			if err == nil || inst != nil {
				t.Fatalf("GetInstance = %v, %v; want an error", inst, err)
			}
			if !strings.Contains(err.Error(), "rid-9") || !strings.Contains(err.Error(), "200") {
				t.Errorf("Error() = %q, want the status and request id", err.Error())
			}
			if errors.Is(err, ErrAmbiguous) {
				t.Errorf("a GET reported an ambiguous outcome: %v", err)
			}
			// The same answer to a POST means something may have been created.
			if _, err := c.CreateInstance(context.Background(), CreateInstanceRequest{Name: "x"}); !errors.Is(err, ErrAmbiguous) {
				t.Errorf("CreateInstance error = %v, want ErrAmbiguous", err)
			}
		})
	}
}
