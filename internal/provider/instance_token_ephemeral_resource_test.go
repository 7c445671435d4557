package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// withEchoProvider is the opencon provider plus terraform-plugin-testing's
// echo provider, which copies its configuration's `data` into the state of
// its `echo` resource: the only way to observe an ephemeral value in a test.
func withEchoProvider() map[string]func() (tfprotov6.ProviderServer, error) {
	out := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for k, v := range testProviderFactories {
		out[k] = v
	}
	return out
}

// echoProviderConfig adds the echo provider's source next to opencon's, under
// the namespace the test harness serves it at.
func (e *testEnv) echoProviderConfig() string {
	cfg := e.providerConfig()
	const anchor = "required_providers {"
	if !strings.Contains(cfg, anchor) {
		e.t.Fatalf("provider configuration has no %q to extend", anchor)
	}
	return strings.Replace(cfg, anchor, anchor+fmt.Sprintf(`
    echo = {
      source = %q
    }`, strings.TrimSuffix(testProviderSource(), "/opencon")+"/echo"), 1)
}

func TestAccInstanceTokenEphemeralResource(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	// Made through the API, not by an opencon_instance resource, whose state
	// holds the token by design.
	inst := createGmail(t, e, "Mailbox for hub calls")
	other := createNetsuite(t, e, "another instance")
	token := getInstance(t, e, inst.ID).Token
	if token == "" || token == other.Token {
		t.Fatalf("instance tokens %q and %q are not usable for this test", token, other.Token)
	}

	cfg := e.echoProviderConfig() + fmt.Sprintf(`
ephemeral "opencon_instance_token" "gmail" {
  id = "%d"
}

# A data source of this provider in the same state, to check it does not get the token either.
data "opencon_instances" "all" {}

provider "echo" {
  data = ephemeral.opencon_instance_token.gmail.token
}

resource "echo" "token" {}
`, inst.ID)

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: withEchoProvider(),
		Steps: []resource.TestStep{
			// An unknown id is an error (first: the last step's configuration is the one destroyed).
			{
				Config:      e.echoProviderConfig() + "\nephemeral \"opencon_instance_token\" \"gone\" {\n  id = \"999999\"\n}\n\nprovider \"echo\" {\n  data = ephemeral.opencon_instance_token.gone.token\n}\n\nresource \"echo\" \"token\" {}\n",
				ExpectError: expectError(`(?s)No instance with id 999999`),
			},
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data"), knownvalue.StringExact(token)),
				},
				Check: tokenOnlyInEcho(token),
			},
		},
	})
}

// tokenOnlyInEcho checks that the state has no entry for the ephemeral
// resource and that no opencon resource or data source holds the token.
func tokenOnlyInEcho(token string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		scanned := 0
		for addr, rs := range s.RootModule().Resources {
			if strings.HasPrefix(addr, "ephemeral.") || strings.Contains(addr, "opencon_instance_token") {
				return fmt.Errorf("the state holds an entry %q for the ephemeral resource", addr)
			}
			if !strings.HasPrefix(rs.Type, "opencon_") {
				continue
			}
			scanned++
			for k, v := range rs.Primary.Attributes {
				if strings.Contains(v, token) {
					return fmt.Errorf("%s.%s holds the token", addr, k)
				}
			}
		}
		if scanned == 0 {
			return fmt.Errorf("no opencon resource or data source in the state to check")
		}
		return nil
	}
}
