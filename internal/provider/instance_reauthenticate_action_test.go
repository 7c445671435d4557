package provider

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// actionCLIs gates tests on CLIs that run provider actions (Terraform 1.14+);
// `make testacc-terraform-new` runs them.
var actionCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// secretVariables declares ephemeral, sensitive variables: what passes a
// one-time code or key to an action without it reaching plan or state.
func secretVariables(names ...string) string {
	out := ""
	for _, n := range names {
		out += fmt.Sprintf("\nvariable %q {\n  type      = string\n  ephemeral = true\n  sensitive = true\n}\n", n)
	}
	return out
}

// triggeredBy is a terraform_data that invokes the action after it is
// created and whenever run changes: the way tests run an action.
func triggeredBy(action, run string) string {
	return fmt.Sprintf(`
resource "terraform_data" "run" {
  input = %q
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [%s]
    }
  }
}
`, run, action)
}

// reauthenticateAction re-authenticates the Gmail instance with the
// ephemeral variable var.secret as argument, once per value of run.
func reauthenticateAction(argument, run string) string {
	return secretVariables("secret") + fmt.Sprintf(`
action "opencon_instance_reauthenticate" "gmail" {
  config {
    instance_id = opencon_instance.gmail.id
    %s = var.secret
  }
}
`, argument) + triggeredBy("action.opencon_instance_reauthenticate.gmail", run)
}

func secretVariable(v string) config.Variables { return secretVariableNamed("secret", v) }

func secretVariableNamed(name, v string) config.Variables {
	return config.Variables{name: config.StringVariable(v)}
}

// serverState is what re-authentication may change on the server.
type serverState struct {
	accessToken, refreshToken, instanceToken string
	valid                                    bool
	configuration                            string
}

func (e *testEnv) serverStateOf(t *testing.T, s *terraform.State) serverState {
	t.Helper()
	inst := serverInstance(t, e, s, gmailAddr)
	access, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserToken)
	refresh, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserRefreshToken)
	cfg, _ := json.Marshal(inst.Configuration)
	return serverState{access, refresh, inst.Token, inst.Valid, string(cfg)}
}

func TestAccInstanceReauthenticateAction_code(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first, second := e.authorizationCode(), e.authorizationCode()
	var created, reauthenticated serverState
	instance := instanceConfig(e, "gmail", gmailArgs(first), changedMessagesBlock)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{
			{
				Config: instance,
				Check: func(s *terraform.State) error {
					created = e.serverStateOf(t, s)
					return nil
				},
			},
			{
				// A fresh code: the platform exchanges it, the instance stays
				// valid, and the resource plans nothing afterwards.
				Config:          instance + reauthenticateAction("authorization_code", "1"),
				ConfigVariables: secretVariable(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(s *terraform.State) error {
					// Exactly what the resource sends for a new code, and nothing else.
					if got, ok := sameJSON(t, json.RawMessage(e.emu.LastRequest("PATCH /instances/{id}")), `{"providerData":{"code":"`+second+`"}}`); !ok {
						return fmt.Errorf("the action sent %s", got)
					}
					reauthenticated = e.serverStateOf(t, s)
					if reauthenticated.accessToken == created.accessToken || reauthenticated.refreshToken == created.refreshToken {
						return fmt.Errorf("the OAuth tokens did not change")
					}
					if !reauthenticated.valid || reauthenticated.configuration != created.configuration {
						return fmt.Errorf("after re-authentication: valid %v, configuration %s (was %s)", reauthenticated.valid, reauthenticated.configuration, created.configuration)
					}
					return expectEqual("token in state", s.RootModule().Resources[gmailAddr].Primary.Attributes["token"], reauthenticated.instanceToken)
				},
			},
			{
				// The spent code: the platform's message on the argument,
				// and nothing changed on the server.
				Config:          instance + reauthenticateAction("authorization_code", "2"),
				ConfigVariables: secretVariable(second),
				ExpectError:     expectError(`(?s)The platform refused the re-authentication.*was not changed.*400.*Code was already redeemed`),
			},
			{
				// Without the action: the resource plans nothing, and the
				// server is as the successful re-authentication left it.
				Config: instance,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionNoop)},
				},
				Check: func(s *terraform.State) error {
					if now := e.serverStateOf(t, s); now != reauthenticated {
						return fmt.Errorf("the refused re-authentication changed the instance: %+v, was %+v", now, reauthenticated)
					}
					return nil
				},
			},
		},
	})
}

func TestAccInstanceReauthenticateAction_refreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	const refreshToken = "1//action-refresh-token"
	instance := instanceConfig(e, "gmail", gmailArgs(e.authorizationCode()), changedMessagesBlock)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{
			{Config: instance},
			{
				Config:          instance + reauthenticateAction("oauth_refresh_token", "1"),
				ConfigVariables: secretVariable(refreshToken),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					serverSecret(t, e, opencon.KeyOAuthUserRefreshToken, refreshToken),
					func(s *terraform.State) error {
						want := `{"configuration":{"oauth.user.refresh_token":"` + refreshToken + `"}}`
						if got, ok := sameJSON(t, json.RawMessage(e.emu.LastRequest("PATCH /instances/{id}")), want); !ok {
							return fmt.Errorf("the action sent %s", got)
						}
						if !e.serverStateOf(t, s).valid {
							return fmt.Errorf("the instance is not valid")
						}
						return nil
					},
					stateHoldsNone(refreshToken),
				),
			},
		},
	})
}
