package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

const (
	testUserSecret         = "dev-user-secret"
	testOrganizationSecret = "dev-organization-secret"
	testGmailClientID      = "gmail-client-id.apps.googleusercontent.com"
	testGmailClientSecret  = "gmail-client-secret"
	testGmailRedirectURI   = "https://auth.mycoolapp.com/oauth"
)

var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	// Through internal/server, as main.go serves it.
	"opencon": func() (tfprotov6.ProviderServer, error) { return ProtocolServer("test") },
}

// testEnv is one in-process emulator on loopback, fresh for each test.
type testEnv struct {
	t       *testing.T
	emu     *emulator.Server
	server  *httptest.Server
	baseURL string
	client  *opencon.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, emulator.Options{Seed: 1})
}

// newTestEnvWith starts an emulator with the test secrets and opts.
func newTestEnvWith(t *testing.T, opts emulator.Options) *testEnv {
	t.Helper()
	opts.UserSecret, opts.OrganizationSecret = testUserSecret, testOrganizationSecret
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	baseURL := srv.URL + "/elements/api-v2"
	client, err := opencon.NewClient(opencon.Config{
		BaseURL:            baseURL,
		UserSecret:         testUserSecret,
		OrganizationSecret: testOrganizationSecret,
		MaxRetries:         new(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, emu: emu, server: srv, baseURL: baseURL, client: client}
}

// TestMain pins the provider's address to the one it is published under;
// OpenTofu refuses terraform-plugin-testing's legacy "-" namespace.
// Under OpenTofu the host is OpenTofu's registry, so that configurations
// that say `source = "opencon/opencon"`, like the quickstart, resolve to the
// provider under test too.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
		os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "opencon")
	}
	if os.Getenv("TF_ACC_PROVIDER_HOST") == "" && strings.HasPrefix(filepath.Base(os.Getenv("TF_ACC_TERRAFORM_PATH")), "tofu") {
		os.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org")
	}
	// The provider runs in this process, whose working directory is this
	// package: keep its create journal out of the source tree.
	journal, err := os.MkdirTemp("", "opencon-acc-journal-")
	if err != nil {
		panic(err)
	}
	os.Setenv(EnvCreateJournal, journal)
	code := m.Run()
	os.RemoveAll(journal)
	removeProviderBinary()
	os.Exit(code)
}

func testProviderSource() string {
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	return host + "/" + os.Getenv("TF_ACC_PROVIDER_NAMESPACE") + "/opencon"
}

// providerConfig is the provider block pointing at this emulator. It names
// the provider's source itself, so import steps (which get no generated
// terraform block) resolve the same provider under both CLIs.
func (e *testEnv) providerConfig() string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    opencon = {
      source = %q
    }
  }
}

provider "opencon" {
  base_url            = %q
  user_secret         = %q
  organization_secret = %q
  max_retries         = 0
}
`, testProviderSource(), e.baseURL, testUserSecret, testOrganizationSecret)
}

// authorizationCode walks the OAuth flow as a browser would: ask the platform
// for the vendor URL, open it, and take the code from the redirect.
func (e *testEnv) authorizationCode() string {
	e.t.Helper()
	u, err := e.client.GetOAuthURL(context.Background(), "gmail", opencon.OAuthURLRequest{
		APIKey: testGmailClientID, APISecret: testGmailClientSecret, CallbackURL: testGmailRedirectURI,
	})
	if err != nil {
		e.t.Fatalf("oauth url: %v", err)
	}
	return followOAuthURL(e.t, u.OAuthURL)
}

func followOAuthURL(t *testing.T, oauthURL string) string {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(oauthURL)
	if err != nil {
		t.Fatalf("open oauth url: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("oauth url answered %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("redirect %q carries no code", loc)
	}
	return code
}

// apiCalls counts the API calls the emulator answered, by route.
func (e *testEnv) apiCalls() int {
	n := 0
	for route, c := range e.emu.Stats() {
		if strings.HasPrefix(route, "events.") {
			continue
		}
		n += c
	}
	return n
}

// expectRefusedBeforeAnyCall plans config, expects an error matching pattern,
// and asserts the emulator saw no API call: validation happens before any.
func (e *testEnv) expectRefusedBeforeAnyCall(t *testing.T, config, pattern string) {
	t.Helper()
	e.emu.ResetStats()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			PlanOnly:    true,
			ExpectError: expectError(pattern),
		}},
	})
	if n := e.apiCalls(); n != 0 {
		t.Fatalf("validation made %d API calls (%v), want none", n, e.emu.Stats())
	}
}

func expectError(pattern string) *regexp.Regexp {
	return regexp.MustCompile(pattern)
}
