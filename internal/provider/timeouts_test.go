package provider

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// hanging points cfg, written for e, at a server that never answers: a
// call ends only when its context does.
func hanging(t *testing.T, e *testEnv, cfg string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(cfg, e.baseURL, srv.URL+"/elements/api-v2", 1)
}

// TestAccDataSources_readHasADeadline: each data source's read ends at its
// `timeouts.read` deadline however long the platform takes, retries and
// Retry-After waits included (issue 9.5).
func TestAccDataSources_readHasADeadline(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cfg := hanging(t, e, e.providerConfig())
	for name, body := range map[string]string{
		"instance":  `data "opencon_instance" "x" {` + "\n  id = \"12345\"\n",
		"instances": `data "opencon_instances" "x" {` + "\n",
		"oauth_url": `data "opencon_oauth_url" "x" {` + "\n  element_key = \"gmail\"\n  api_key = \"k\"\n  api_secret = \"s\"\n  callback_url = \"https://example.com/cb\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:      cfg + body + "  timeouts {\n    read = \"1s\"\n  }\n}\n",
					ExpectError: expectError(`(?s)context deadline exceeded`),
				}},
			})
		})
	}
}

// TestAccInstanceTokenEphemeralResource_openHasADeadline: likewise for the
// ephemeral resource's open and `timeouts.open`.
func TestAccInstanceTokenEphemeralResource_openHasADeadline(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: withEchoProvider(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		Steps: []resource.TestStep{{
			Config: hanging(t, e, e.echoProviderConfig()) + `
ephemeral "opencon_instance_token" "x" {
  id = "12345"
  timeouts {
    open = "1s"
  }
}

provider "echo" {
  data = ephemeral.opencon_instance_token.x.token
}

resource "echo" "token" {}
`,
			ExpectError: expectError(`(?s)context deadline exceeded`),
		}},
	})
}
