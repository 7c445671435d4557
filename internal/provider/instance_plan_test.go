package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// TestAccInstance_switchFromRefreshTokenToCode: an instance created from a
// refresh token (externalAuthentication "initial") re-authenticated with a
// code becomes "none". The plan marks everything the re-authentication
// changes unknown, so the apply is consistent (it failed with "Provider
// produced inconsistent result" on external_authentication), and the plan
// after it is empty. Issue 9.4.
func TestAccInstance_switchFromRefreshTokenToCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		code func(code string) []string
		cli  []tfversion.TerraformVersionCheck
	}{
		{"plain code", func(code string) []string { return []string{"authorization_code", fmt.Sprintf("%q", code)} }, nil},
		{"write-only code", func(code string) []string {
			return []string{"authorization_code_wo", fmt.Sprintf("%q", code), "authorization_code_wo_version", "1"}
		}, writeOnlyCLIs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			fromRefreshToken := with(gmailArgs(""), "authorization_code", "", "oauth_refresh_token", `"1//refresh-token-from-ci"`)
			withCode := with(with(gmailArgs(""), "authorization_code", ""), c.code(e.authorizationCode())...)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				TerraformVersionChecks:   c.cli,
				Steps: []resource.TestStep{
					{
						Config: instanceConfig(e, "gmail", fromRefreshToken, changedMessagesBlock),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("initial")),
						},
					},
					{
						Config: instanceConfig(e, "gmail", withCode, changedMessagesBlock),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{
								plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("external_authentication")),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("token")),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("valid")),
							},
							PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("none")),
						},
					},
				},
			})
		})
	}
}
