package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

func TestCheckBaseURL(t *testing.T) {
	cases := []struct {
		url     string
		wantErr string
	}{
		{"https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2", ""},
		{"https://api.openconnectors.us2.ext.hana.ondemand.com", ""},
		{"http://127.0.0.1:8787/elements/api-v2", ""},
		{"http://localhost:8787", ""},
		{"http://[::1]:8787", ""},
		{"http://api.cloud-elements.com/elements/api-v2", "not loopback"},
		{"ftp://example.com", "must start with https://"},
		{"api.cloud-elements.com", "not an absolute URL"},
		{"", "not an absolute URL"},
	}
	for _, c := range cases {
		err := checkBaseURL(c.url)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("checkBaseURL(%q) = %v, want nil", c.url, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("checkBaseURL(%q) = %v, want an error containing %q", c.url, err, c.wantErr)
		}
	}
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
