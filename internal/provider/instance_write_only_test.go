package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// writeOnlyCLIs gates tests on CLIs that know write-only attributes
// (Terraform 1.11+, OpenTofu 1.11+); `make test` runs them under OpenTofu.
var writeOnlyCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)}

// stateHoldsNone fails when any attribute of any resource in state contains
// one of the values.
func stateHoldsNone(values ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for attr, v := range rs.Primary.Attributes {
				for _, secret := range values {
					if strings.Contains(v, secret) {
						return fmt.Errorf("%s.%s holds a write-only value", addr, attr)
					}
				}
			}
		}
		return nil
	}
}

func serverSecret(t *testing.T, e *testEnv, key, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		inst := serverInstance(t, e, s, gmailAddr)
		got, _ := e.emu.SecretValue(inst.ID, key)
		return expectEqual(key+" on the server", got, want)
	}
}

func TestAccInstance_writeOnlySecrets(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	args := func(secret string, secretVersion int, sigKey string, sigVersion int) map[string]string {
		return with(gmailArgs(code),
			"authorization_code", "",
			"authorization_code_wo", fmt.Sprintf("%q", code),
			"authorization_code_wo_version", "1",
			"oauth_api_secret", "",
			"oauth_api_secret_wo", fmt.Sprintf("%q", secret),
			"oauth_api_secret_wo_version", fmt.Sprint(secretVersion),
			"event_notification_signature_key_wo", fmt.Sprintf("%q", sigKey),
			"event_notification_signature_key_wo_version", fmt.Sprint(sigVersion),
		)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   writeOnlyCLIs,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", args(testGmailClientSecret, 1, "sig-key-one", 1), changedMessagesBlock),
				Check: resource.ComposeTestCheckFunc(
					serverSecret(t, e, opencon.KeyOAuthAPISecret, testGmailClientSecret),
					serverSecret(t, e, opencon.KeyEventNotificationSignatureKey, "sig-key-one"),
					stateHoldsNone(code, testGmailClientSecret, "sig-key-one"),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("oauth_api_secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("authorization_code_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("valid"), knownvalue.Bool(true)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A bumped version sends the new value.
				Config: instanceConfig(e, "gmail", args("rotated-secret", 2, "sig-key-one", 1), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					serverSecret(t, e, opencon.KeyOAuthAPISecret, "rotated-secret"),
					func(*terraform.State) error {
						// Only the secret whose version changed was sent.
						body := string(e.emu.LastRequest("PATCH /instances/{id}"))
						if strings.Contains(body, "sig-key-one") || strings.Contains(body, "providerData") {
							return fmt.Errorf("the PATCH sent values whose version did not change: %s", body)
						}
						return nil
					},
					stateHoldsNone(code, "rotated-secret", "sig-key-one"),
				),
			},
			{
				// A changed value without a version bump plans nothing and sends nothing.
				Config: instanceConfig(e, "gmail", args("not-sent", 2, "sig-not-sent", 1), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					serverSecret(t, e, opencon.KeyOAuthAPISecret, "rotated-secret"),
					serverSecret(t, e, opencon.KeyEventNotificationSignatureKey, "sig-key-one"),
				),
			},
			{
				// Bumping the signature key's version rotates it.
				Config: instanceConfig(e, "gmail", args("rotated-secret", 2, "sig-key-two", 2), changedMessagesBlock),
				Check: resource.ComposeTestCheckFunc(
					serverSecret(t, e, opencon.KeyEventNotificationSignatureKey, "sig-key-two"),
					stateHoldsNone("sig-key-two", "rotated-secret"),
				),
			},
		},
	})
}

func TestAccInstance_writeOnlyReauthentication(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first, second := e.authorizationCode(), e.authorizationCode()
	args := func(code string, version int) map[string]string {
		return with(gmailArgs(code), "authorization_code", "",
			"authorization_code_wo", fmt.Sprintf("%q", code),
			"authorization_code_wo_version", fmt.Sprint(version))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   writeOnlyCLIs,
		Steps: []resource.TestStep{
			{Config: instanceConfig(e, "gmail", args(first, 1), changedMessagesBlock)},
			{
				// A new code without a new version is not spent.
				Config: instanceConfig(e, "gmail", args(second, 1), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: instanceConfig(e, "gmail", args(second, 2), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if !strings.Contains(string(e.emu.LastRequest("PATCH /instances/{id}")), second) {
							return fmt.Errorf("the new code was not sent")
						}
						return nil
					},
					stateHoldsNone(first, second),
				),
			},
		},
	})
}

func TestAccInstance_writeOnlyRefreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	args := func(token string, version int) map[string]string {
		return with(gmailArgs(""), "authorization_code", "",
			"oauth_refresh_token_wo", fmt.Sprintf("%q", token),
			"oauth_refresh_token_wo_version", fmt.Sprint(version))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   writeOnlyCLIs,
		Steps: []resource.TestStep{{
			Config: instanceConfig(e, "gmail", args("1//wo-refresh-token", 1), changedMessagesBlock),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("initial")),
			},
			Check: resource.ComposeTestCheckFunc(
				serverSecret(t, e, opencon.KeyOAuthUserRefreshToken, "1//wo-refresh-token"),
				stateHoldsNone("1//wo-refresh-token"),
			),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}, {
			// A new token without a new version is not sent.
			Config: instanceConfig(e, "gmail", args("1//not-sent", 1), changedMessagesBlock),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: serverSecret(t, e, opencon.KeyOAuthUserRefreshToken, "1//wo-refresh-token"),
		}, {
			// With a new version it is, in place.
			Config: instanceConfig(e, "gmail", args("1//rotated-refresh-token", 2), changedMessagesBlock),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: resource.ComposeTestCheckFunc(
				serverSecret(t, e, opencon.KeyOAuthUserRefreshToken, "1//rotated-refresh-token"),
				stateHoldsNone("1//wo-refresh-token", "1//rotated-refresh-token"),
			),
		}},
	})
}
