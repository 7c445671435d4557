package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// TestConfigureBaseURL: every refusal of the client's base URL rule
// (TestNewClientBaseURLRule has them all) reaches the user as an error on
// base_url.
func TestConfigureBaseURL(t *testing.T) {
	t.Setenv(EnvBaseURL, "")
	cases := []struct {
		url     string
		wantErr string
	}{
		{"https://api.openconnectors.us2.ext.hana.ondemand.com", ""},
		{"http://localhost:8787", ""},
		{"http://api.cloud-elements.com/elements/api-v2", "not loopback"},
		{"api.cloud-elements.com", "not an absolute URL"},
		{"https://example.com/elements/api-v2?x=1", "must not have a query"},
		{"", `Set "base_url"`},
	}
	for _, c := range cases {
		resp := configure(t, map[string]tftypes.Value{
			"base_url":            tftypes.NewValue(tftypes.String, c.url),
			"user_secret":         tftypes.NewValue(tftypes.String, testUserSecret),
			"organization_secret": tftypes.NewValue(tftypes.String, testOrganizationSecret),
		})
		diags := resp.Diagnostics
		switch {
		case c.wantErr == "" && diags.HasError():
			t.Errorf("base_url %q: %v, want no error", c.url, diags)
		case c.wantErr == "" && resp.ResourceData == nil:
			t.Errorf("base_url %q: no client configured", c.url)
		case c.wantErr != "":
			if len(diags) != 1 || diags[0].Severity() != diag.SeverityError {
				t.Errorf("base_url %q: %v, want one error", c.url, diags)
				continue
			}
			d, ok := diags[0].(diag.DiagnosticWithPath)
			if !ok || !d.Path().Equal(path.Root("base_url")) || !strings.Contains(d.Detail(), c.wantErr) {
				t.Errorf("base_url %q: %v, want an error on base_url containing %q", c.url, diags[0], c.wantErr)
			}
		}
	}
}

func TestUserAgent(t *testing.T) {
	for _, c := range []struct{ provider, terraform, want string }{
		{"1.2.3", "1.9.0", "terraform-provider-opencon/1.2.3 Terraform/1.9.0"},
		{"", "", "terraform-provider-opencon/dev Terraform/unknown"},
	} {
		if got := userAgent(c.provider, c.terraform); got != c.want {
			t.Errorf("userAgent(%q, %q) = %q, want %q", c.provider, c.terraform, got, c.want)
		}
	}
}

// configure runs the provider's Configure with the given attributes, the
// others null.
func configure(t *testing.T, attrs map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var sch provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sch)
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{
		TerraformVersion: "1.5.7",
		Config:           tfsdk.Config{Schema: sch.Schema, Raw: objectWith(t, sch.Schema.Type().TerraformType(ctx), attrs)},
	}, &resp)
	return &resp
}

// netsuiteResource needs no OAuth code, so provider tests can create it freely.
const netsuiteResource = `
resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "erp"
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}
`

func TestAccProvider_missingSettingsNameAttributeAndVariable(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv(EnvBaseURL, "")
	t.Setenv(EnvUserSecret, "")
	t.Setenv(EnvOrganizationSecret, "")
	for _, c := range []struct{ attr, env, block string }{
		{"base_url", EnvBaseURL, `provider "opencon" {
  user_secret         = "u"
  organization_secret = "o"
}`},
		{"user_secret", EnvUserSecret, fmt.Sprintf(`provider "opencon" {
  base_url            = %q
  organization_secret = "o"
}`, e.baseURL)},
		{"organization_secret", EnvOrganizationSecret, fmt.Sprintf(`provider "opencon" {
  base_url    = %q
  user_secret = "u"
}`, e.baseURL)},
	} {
		t.Run(c.attr, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:      c.block + netsuiteResource,
					ExpectError: expectError(fmt.Sprintf(`(?s)Set "%s" in the provider block or the\s+%s`, c.attr, c.env)),
				}},
			})
		})
	}
}

func TestAccProvider_refusesPlainHTTPToRemoteHosts(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "opencon" {
  base_url            = "http://api.cloud-elements.com/elements/api-v2"
  user_secret         = "u"
  organization_secret = "o"
}` + netsuiteResource,
			ExpectError: expectError(`(?s)Invalid base_url.*not loopback`),
		}},
	})
}

func TestAccProvider_environmentFallbackAndAttributePrecedence(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv(EnvBaseURL, e.baseURL)
	t.Setenv(EnvUserSecret, "wrong-user-secret")
	t.Setenv(EnvOrganizationSecret, testOrganizationSecret)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				// The variable alone: its wrong secret gets the platform's 401.
				Config:      `provider "opencon" {}` + netsuiteResource,
				ExpectError: expectError(`(?s)401.*Invalid Organization or User secret`),
			},
			{
				// The attribute wins over the variable.
				Config: fmt.Sprintf(`provider "opencon" {
  user_secret = %q
}`, testUserSecret) + netsuiteResource,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccProvider_unknownConfigurationDuringPlan(t *testing.T) {
	e := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}

provider "opencon" {
  base_url            = terraform_data.endpoint.output
  user_secret         = %q
  organization_secret = %q
}
`, e.baseURL, testUserSecret, testOrganizationSecret) + netsuiteResource,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("opencon_instance.erp", plancheck.ResourceActionCreate)},
			},
		}},
	})
}

// TestConfigureRetriesAndTimeout: max_retries 0 turns retries off, unset
// leaves the client's default of 4; request_timeout bounds one attempt.
func TestConfigureRetriesAndTimeout(t *testing.T) {
	var requests atomic.Int32
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/elements/api-v2/instances/2" {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
			return
		}
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) })

	for _, c := range []struct {
		name     string
		attrs    map[string]tftypes.Value
		id       int64
		requests int32
		wantErr  string
	}{
		{"retries unset", nil, 1, 5, "503"},
		{"no retries", map[string]tftypes.Value{"max_retries": tftypes.NewValue(tftypes.Number, 0)}, 1, 1, "503"},
		{"two retries", map[string]tftypes.Value{"max_retries": tftypes.NewValue(tftypes.Number, 2)}, 1, 3, "503"},
		{"timeout", map[string]tftypes.Value{
			"max_retries":     tftypes.NewValue(tftypes.Number, 0),
			"request_timeout": tftypes.NewValue(tftypes.String, "50ms"),
		}, 2, 1, "no answer within the request timeout of 50ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			attrs := map[string]tftypes.Value{
				"base_url":            tftypes.NewValue(tftypes.String, srv.URL),
				"user_secret":         tftypes.NewValue(tftypes.String, testUserSecret),
				"organization_secret": tftypes.NewValue(tftypes.String, testOrganizationSecret),
			}
			for k, v := range c.attrs {
				attrs[k] = v
			}
			resp := configure(t, attrs)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			requests.Store(0)
			_, err := resp.ResourceData.(*providerData).client.GetInstance(context.Background(), c.id)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("GetInstance = %v, want an error containing %q", err, c.wantErr)
			}
			if got := requests.Load(); got != c.requests {
				t.Errorf("server saw %d requests, want %d", got, c.requests)
			}
		})
	}
}

// TestConfigureRequestLimits: max_concurrent_requests and
// max_requests_per_second reach the client that every resource shares.
func TestConfigureRequestLimits(t *testing.T) {
	var inFlight, peak, requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(10 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"id":%s}`, strings.TrimPrefix(r.URL.Path, "/elements/api-v2/instances/"))
	}))
	t.Cleanup(srv.Close)
	base := map[string]tftypes.Value{
		"base_url":            tftypes.NewValue(tftypes.String, srv.URL),
		"user_secret":         tftypes.NewValue(tftypes.String, testUserSecret),
		"organization_secret": tftypes.NewValue(tftypes.String, testOrganizationSecret),
	}
	run := func(t *testing.T, attrs map[string]tftypes.Value) time.Duration {
		t.Helper()
		for k, v := range base {
			attrs[k] = v
		}
		resp := configure(t, attrs)
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
		client := resp.ResourceData.(*providerData).client
		peak.Store(0)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				if _, err := client.GetInstance(context.Background(), int64(i+1)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	t.Run("max_concurrent_requests", func(t *testing.T) {
		run(t, map[string]tftypes.Value{"max_concurrent_requests": tftypes.NewValue(tftypes.Number, 1)})
		if p := peak.Load(); p != 1 {
			t.Errorf("peak of %d requests in flight, want 1", p)
		}
	})
	t.Run("max_requests_per_second", func(t *testing.T) {
		// Six requests at 20 a second, evenly spaced: the sixth at 250ms.
		if took := run(t, map[string]tftypes.Value{"max_requests_per_second": tftypes.NewValue(tftypes.Number, 20)}); took < 245*time.Millisecond {
			t.Errorf("6 requests at 20/s took %v, want at least 250ms", took)
		}
	})
}

func TestAccProvider_requestLimitsValidated(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct{ setting, err string }{
		{"max_requests_per_second = 0", `(?s)max_requests_per_second must be a number greater than 0`},
		{"max_requests_per_second = -2.5", `(?s)max_requests_per_second must be a number greater than 0`},
		{"max_concurrent_requests = 0", `(?s)max_concurrent_requests must be a whole number from 1 to 1000, not 0`},
		{"max_concurrent_requests = 2.5", `(?s)max_concurrent_requests must be a whole number from 1 to 1000, not 2.5`},
		{"max_retries = 1.5", `(?s)max_retries must be a whole number from 0 to 20, not 1.5`},
	} {
		t.Run(c.setting, func(t *testing.T) {
			setting := "max_retries         = 0\n  " + c.setting
			if strings.HasPrefix(c.setting, "max_retries") {
				setting = c.setting
			}
			cfg := strings.Replace(e.providerConfig(), "max_retries         = 0", setting, 1) + netsuiteResource
			e.expectRefusedBeforeAnyCall(t, cfg, c.err)
		})
	}
}

// TestConfigureEmptySettingDoesNotFallBack: an empty value in the provider
// block is not "unset": it does not fall back to the environment, although
// the environment holds a value (issue 9.11). The schema refuses it at
// validate (TestAccProvider_emptySettingIsRefused); should one reach
// Configure, it is reported as missing.
func TestConfigureEmptySettingDoesNotFallBack(t *testing.T) {
	t.Setenv(EnvBaseURL, "https://api.openconnectors.us2.ext.hana.ondemand.com")
	t.Setenv(EnvUserSecret, testUserSecret)
	t.Setenv(EnvOrganizationSecret, testOrganizationSecret)
	for _, attr := range []string{"base_url", "user_secret", "organization_secret"} {
		resp := configure(t, map[string]tftypes.Value{attr: tftypes.NewValue(tftypes.String, "")})
		if !resp.Diagnostics.HasError() || resp.ResourceData != nil {
			t.Errorf("%s = \"\" with the environment variable set: %v, want an error and no client", attr, resp.Diagnostics)
			continue
		}
		d, ok := resp.Diagnostics[0].(diag.DiagnosticWithPath)
		if !ok || !d.Path().Equal(path.Root(attr)) {
			t.Errorf("%s = \"\": %v, want the error on %s", attr, resp.Diagnostics[0], attr)
		}
	}
}

func TestAccProvider_emptySettingIsRefused(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv(EnvUserSecret, testUserSecret)
	e.expectRefusedBeforeAnyCall(t, fmt.Sprintf(`provider "opencon" {
  base_url            = %q
  user_secret         = ""
  organization_secret = %q
}`, e.baseURL, testOrganizationSecret)+netsuiteResource, `(?s)user_secret.*at least 1`)
}
