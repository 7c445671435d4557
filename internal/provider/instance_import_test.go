package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// forgetting serves the emulator through a proxy that, while forget is
// set, answers 404 to GET /instances/{id}: a refresh then drops the
// instance from state while it stays on the platform, which is what
// `terraform state rm` does, as a test step every CLI can run.
type forgetting struct {
	e      *testEnv
	url    string
	forget atomic.Bool
}

var instancePath = regexp.MustCompile(`^/elements/api-v2/instances/[0-9]+$`)

func newForgetting(t *testing.T, e *testEnv) *forgetting {
	t.Helper()
	f := &forgetting{e: e}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.forget.Load() && r.Method == http.MethodGet && instancePath.MatchString(r.URL.Path) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"No element instance found"}`))
			return
		}
		e.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/elements/api-v2"
	return f
}

// config points a configuration written for the emulator at the proxy.
func (f *forgetting) config(cfg string) string {
	return strings.ReplaceAll(cfg, f.e.baseURL, f.url)
}

// stateRm is `terraform state rm` of every instance: a step whose refresh
// forgets them and whose configuration declares none, so nothing is planned.
func (f *forgetting) stateRm() resource.TestStep {
	return resource.TestStep{
		PreConfig: func() { f.forget.Store(true) },
		Config:    f.config(f.e.providerConfig()),
		Check: func(s *terraform.State) error {
			if n := len(s.RootModule().Resources); n != 0 {
				return fmt.Errorf("state still holds %d resources", n)
			}
			if n := f.e.emu.InstanceCount(); n != 1 {
				return fmt.Errorf("the platform holds %d instances, want the one state forgot", n)
			}
			return nil
		},
	}
}

// remember ends stateRm and starts counting the calls of the next step.
func (f *forgetting) remember() {
	f.forget.Store(false)
	f.e.emu.ResetStats()
}

// withImportBlock is cfg with an import block for id, written to a file
// when the step runs, since id is learned by an earlier step.
func withImportBlock(t *testing.T, cfg string, id *string) config.TestStepConfigFunc {
	return func(config.TestStepConfigRequest) string {
		dir := t.TempDir()
		body := cfg + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", gmailAddr, *id)
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, "main.tf")
	}
}

// sentNoCredential fails when the step made a POST, or a PATCH that carried
// a code or a refresh token, or changed the token: after an import the
// instance is already authenticated.
func sentNoCredential(e *testEnv, token *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		stats := e.emu.Stats()
		if n := stats["POST /instances"]; n != 0 {
			return fmt.Errorf("the apply after import sent %d POST /instances", n)
		}
		if stats["PATCH /instances/{id}"] > 0 {
			body, err := lastPatch(e)
			if err != nil {
				return err
			}
			if body.ProviderData != nil {
				return fmt.Errorf("the apply after import sent providerData again")
			}
			if _, ok := body.Configuration[opencon.KeyOAuthUserRefreshToken]; ok {
				return fmt.Errorf("the apply after import sent the refresh token again")
			}
		}
		if got := s.RootModule().Resources[gmailAddr].Primary.Attributes["token"]; got != *token {
			return fmt.Errorf("the token changed on the apply after import")
		}
		return nil
	}
}

// importCase is one way of authenticating an instance, imported and applied.
type importCase struct {
	// cfg is the configuration with credential cred.
	cfg func(cred string) string
	// first created the instance; second re-authenticates it after import.
	first, second string
	// sent checks that the re-authentication sent second.
	sent func(t *testing.T, e *testEnv, second string) resource.TestCheckFunc
	cli  []tfversion.TerraformVersionCheck
}

// importThenApply: create, replan empty, `state rm`, `terraform import`,
// apply (nothing spent sent, token unchanged), plan empty, re-authenticate
// with a new credential (sent), `state rm` again, import block + apply
// (nothing spent sent), plan empty. Issue 8.1.
func importThenApply(t *testing.T, e *testEnv, c importCase) {
	t.Helper()
	f := newForgetting(t, e)
	var id, token string
	empty := resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	sameToken := knownvalue.StringFunc(func(v string) error { return expectEqual("planned token", v, token) })
	afterImport := func() resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				// Only the values the API never returns are added; what the
				// platform derives from the authentication stays known.
				plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("token"), sameToken),
				plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("valid"), knownvalue.Bool(true)),
				plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.NotNull()),
			},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		}
	}
	steps := []resource.TestStep{
		{
			Config:           f.config(c.cfg(c.first)),
			ConfigPlanChecks: empty,
			Check: func(s *terraform.State) error {
				rs := s.RootModule().Resources[gmailAddr].Primary
				id, token = rs.ID, rs.Attributes["token"]
				return nil
			},
		},
		{Config: f.config(c.cfg(c.first)), PlanOnly: true},
		f.stateRm(),
		{
			PreConfig:          f.remember,
			Config:             f.config(c.cfg(c.first)),
			ResourceName:       gmailAddr,
			ImportState:        true,
			ImportStatePersist: true,
			ImportStateIdFunc:  func(*terraform.State) (string, error) { return id, nil },
		},
		{
			PreConfig:        f.remember,
			Config:           f.config(c.cfg(c.first)),
			ConfigPlanChecks: afterImport(),
			// The secrets that are not one-time are sent: the platform then
			// holds what the configuration says.
			Check: resource.ComposeTestCheckFunc(sentNoCredential(e, &token), patchCarries(e, opencon.KeyOAuthAPISecret)),
		},
		{
			// Once recorded, a new credential re-authenticates as usual.
			Config: f.config(c.cfg(c.second)),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("token")),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: c.sent(t, e, c.second),
		},
		f.stateRm(),
		{
			PreConfig:        f.remember,
			ConfigFile:       withImportBlock(t, f.config(c.cfg(c.second)), &id),
			ConfigPlanChecks: afterImport(),
			Check:            sentNoCredential(e, &token),
		},
	}
	// A configuration file (the import block's) must name the providers
	// at the step level, so every step does.
	for i := range steps {
		steps[i].ProtoV6ProviderFactories = testProviderFactories
	}
	resource.Test(t, resource.TestCase{TerraformVersionChecks: c.cli, Steps: steps})
}

// patchBody is what a PATCH /instances/{id} carried.
type patchBody struct {
	ProviderData  map[string]string `json:"providerData"`
	Configuration map[string]any    `json:"configuration"`
}

func lastPatch(e *testEnv) (patchBody, error) {
	var body patchBody
	if err := json.Unmarshal(e.emu.LastRequest("PATCH /instances/{id}"), &body); err != nil {
		return body, fmt.Errorf("no readable PATCH /instances/{id}: %v", err)
	}
	return body, nil
}

func codeSent(_ *testing.T, e *testEnv, code string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		body, err := lastPatch(e)
		if err != nil {
			return err
		}
		return expectEqual("providerData.code", body.ProviderData["code"], code)
	}
}

func refreshTokenSent(t *testing.T, e *testEnv, token string) resource.TestCheckFunc {
	return serverSecret(t, e, opencon.KeyOAuthUserRefreshToken, token)
}

func TestAccInstance_applyAfterImportSendsNoSpentCode(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	importThenApply(t, e, importCase{
		cfg:   func(code string) string { return documentedGmailExample(e, code) },
		first: e.authorizationCode(), second: e.authorizationCode(),
		sent: codeSent,
	})
}

func TestAccInstance_applyAfterImportSendsNoRefreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	importThenApply(t, e, importCase{
		cfg: func(token string) string {
			return instanceConfig(e, "gmail", with(gmailArgs(""), "authorization_code", "", "oauth_refresh_token", fmt.Sprintf("%q", token)), changedMessagesBlock)
		},
		first: "1//first-refresh-token", second: "1//second-refresh-token",
		sent: refreshTokenSent,
	})
}

func TestAccInstance_applyAfterImportSendsNoWriteOnlyCode(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first, second := e.authorizationCode(), e.authorizationCode()
	version := map[string]string{first: "1", second: "2"}
	importThenApply(t, e, importCase{
		cfg: func(code string) string {
			return instanceConfig(e, "gmail", with(gmailArgs(""), "authorization_code", "",
				"authorization_code_wo", fmt.Sprintf("%q", code), "authorization_code_wo_version", version[code]), changedMessagesBlock)
		},
		first: first, second: second,
		sent: codeSent,
		cli:  writeOnlyCLIs,
	})
}

func TestAccInstance_applyAfterImportSendsNoWriteOnlyRefreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	version := map[string]string{"1//first-wo": "1", "1//second-wo": "2"}
	importThenApply(t, e, importCase{
		cfg: func(token string) string {
			return instanceConfig(e, "gmail", with(gmailArgs(""), "authorization_code", "",
				"oauth_refresh_token_wo", fmt.Sprintf("%q", token), "oauth_refresh_token_wo_version", version[token]), changedMessagesBlock)
		},
		first: "1//first-wo", second: "1//second-wo",
		sent: refreshTokenSent,
		cli:  writeOnlyCLIs,
	})
}

// patchCarries fails unless the step's PATCH sent configuration key key.
func patchCarries(e *testEnv, key string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		body, err := lastPatch(e)
		if err != nil {
			return err
		}
		if _, ok := body.Configuration[key]; !ok {
			return fmt.Errorf("the PATCH did not carry %s", key)
		}
		return nil
	}
}

// TestAccInstance_importNameWithTags: after import, a configured name that
// differs from the platform's only by HTML tags (which the platform strips)
// is recorded by the apply without any call that changes the instance, and
// the next plan is empty, as after a create (issue 9.9).
func TestAccInstance_importNameWithTags(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	inst := createNetsuite(t, e, "existing erp")
	e.emu.ResetStats()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: e.providerConfig() + fmt.Sprintf(`
import {
  to = opencon_instance.erp
  id = "%d"
}

resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "<b>existing</b> erp"
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
}
`, inst.ID),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: func(*terraform.State) error {
				for route, n := range e.emu.Stats() {
					if !strings.HasPrefix(route, "GET ") && !strings.HasPrefix(route, "events.") && n > 0 {
						return fmt.Errorf("the apply after import sent %d %s, want only reads", n, route)
					}
				}
				return expectEqual("name on the platform", getInstance(t, e, inst.ID).Name, "existing erp")
			},
		}},
	})
}
