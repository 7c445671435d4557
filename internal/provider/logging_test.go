package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tfconfig "github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// TestAccInstance_secretsNeverLogged runs a create, an update and a
// re-authentication at TF_LOG=TRACE and searches every log line the
// provider and the CLI wrote for the secrets, codes and tokens involved.
// Not parallel: TF_LOG is set for the whole process (t.Setenv), so the
// serial tests run before any parallel one starts.
func TestAccInstance_secretsNeverLogged(t *testing.T) {
	e := newTestEnv(t)
	first, second := e.authorizationCode(), e.authorizationCode()
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))

	args := func(code, signatureKey string) map[string]string {
		return with(gmailArgs(code), "event_notification_signature_key", `"`+signatureKey+`"`)
	}
	var token string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", args(first, "sig-key-never-logged-1"), changedMessagesBlock),
				Check: func(s *terraform.State) error {
					token = s.RootModule().Resources[gmailAddr].Primary.Attributes["token"]
					return nil
				},
			},
			{Config: instanceConfig(e, "gmail", args(second, "sig-key-never-logged-2"), changedMessagesBlock)},
		},
	})

	secrets := map[string]string{
		"user secret": testUserSecret, "organization secret": testOrganizationSecret,
		"first code": first, "second code": second,
		"oauth api secret":    testGmailClientSecret,
		"first signature key": "sig-key-never-logged-1", "second signature key": "sig-key-never-logged-2",
		"instance token": token,
	}
	if !expectNotLogged(t, logDir, secrets) {
		t.Fatal("the provider's request log lines are missing; the test would prove nothing")
	}
}

// expectNotLogged searches every log line written to logDir for the secrets
// and reports whether the provider's request log lines are among them.
func expectNotLogged(t *testing.T, logDir string, secrets map[string]string) (sawProviderRequest bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(logDir, "*"))
	if len(files) == 0 {
		t.Fatal("no log files were written; the test would prove nothing")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(raw), "\n") {
			// The test harness echoes each step's configuration, which holds
			// the secrets by design, as lines starting with "  |".
			if strings.HasPrefix(strings.TrimLeft(line, " "), "|") {
				continue
			}
			if strings.Contains(line, "opencon request") {
				sawProviderRequest = true
			}
			for what, secret := range secrets {
				if secret != "" && strings.Contains(line, secret) {
					t.Errorf("%s appears in %s line %d", what, filepath.Base(f), n+1)
				}
			}
		}
	}
	return sawProviderRequest
}

// TestAccActions_secretsNeverLogged runs both actions at TF_LOG=TRACE, with
// their code, refresh token and signature key in ephemeral variables, and
// searches every log line, every saved plan (the files themselves and their
// JSON) and every state file for them. Not parallel, like the test above.
func TestAccActions_secretsNeverLogged(t *testing.T) {
	e := newTestEnv(t)
	inst := createGmail(t, e, "operations")
	code := e.authorizationCode()
	const refreshToken, signatureKey = "1//refresh-token-never-logged", "signature-key-never-logged"
	recv, callback := startEventReceiver(t, signatureKey)

	logDir, workDir := t.TempDir(), t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	t.Setenv("TF_ACC_TEMP_DIR", workDir)
	// The action's secrets, which reach Terraform through ephemeral
	// variables, must be in no saved file; the provider block's, literal in
	// the test configuration and so in the plan's copy of it, in no log line.
	secrets := map[string]string{"authorization code": code, "refresh token": refreshToken, "signature key": signatureKey}
	logged := map[string]string{"user secret": testUserSecret, "organization secret": testOrganizationSecret}
	for what, secret := range secrets {
		logged[what] = secret
	}

	config := func(argument, run string) string {
		return e.providerConfig() + secretVariables("secret", "signature_key") + fmt.Sprintf(`
action "opencon_instance_reauthenticate" "gmail" {
  config {
    instance_id = %q
    %s = var.secret
  }
}

action "opencon_event_test" "receiver" {
  config {
    callback_url  = %q
    signature_key = var.signature_key
    instance_id   = %q
  }
}
`, fmt.Sprint(inst.ID), argument, callback+"/events", fmt.Sprint(inst.ID)) +
			triggeredBy("action.opencon_instance_reauthenticate.gmail, action.opencon_event_test.receiver", run)
	}
	vars := func(secret string) tfconfig.Variables {
		return tfconfig.Variables{"secret": tfconfig.StringVariable(secret), "signature_key": tfconfig.StringVariable(signatureKey)}
	}
	noSecretsSaved := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{noSecretsInPlans{workDir, secrets}}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{
			{
				Config: config("authorization_code", "code"), ConfigVariables: vars(code), ConfigPlanChecks: noSecretsSaved,
				Check: resource.ComposeTestCheckFunc(stateHoldsNone(code, signatureKey), noSecretsInStateFiles(workDir, secrets)),
			},
			{
				Config: config("oauth_refresh_token", "refresh token"), ConfigVariables: vars(refreshToken), ConfigPlanChecks: noSecretsSaved,
				Check: resource.ComposeTestCheckFunc(stateHoldsNone(refreshToken, signatureKey), noSecretsInStateFiles(workDir, secrets)),
			},
			{
				// The spent code fails, and its error holds no secret either.
				Config: config("authorization_code", "spent code"), ConfigVariables: vars(code), ConfigPlanChecks: noSecretsSaved,
				ExpectError: expectError(`Code was already redeemed`),
			},
			{
				// The state the failed run left behind.
				Config: e.providerConfig() + `
resource "terraform_data" "run" {
  input = "spent code"
}
`,
				Check: noSecretsInStateFiles(workDir, secrets),
			},
		},
	})

	// The third run stops at the refused code, before the test event.
	if events, rejected := recv.snapshot(); len(events) != 2 || rejected != 0 {
		t.Fatalf("the receiver verified %d test events and rejected %d, want 2 and 0: the actions did not all run", len(events), rejected)
	}
	if got, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserRefreshToken); got != refreshToken {
		t.Fatalf("the refresh token on the server is %q: the re-authentication did not run", got)
	}
	if !expectNotLogged(t, logDir, logged) {
		t.Fatal("the provider's request log lines are missing; the test would prove nothing")
	}
}

// noSecretsInPlans fails when a saved plan holds a secret: the plan file
// itself (a zip archive, read entry by entry) and its JSON, which lists the
// actions it will invoke with their configuration.
type noSecretsInPlans struct {
	workDir string
	secrets map[string]string
}

func (c noSecretsInPlans) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan == nil || len(req.Plan.ActionInvocations) == 0 {
		resp.Error = fmt.Errorf("the plan invokes no action; the check would prove nothing")
		return
	}
	planJSON, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	contents := map[string][]byte{"the JSON plan": planJSON}
	plans := 0
	err = filepath.WalkDir(c.workDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "tfplan" {
			return err
		}
		plans++
		archive, err := zip.OpenReader(p)
		if err != nil {
			return err
		}
		defer func() { _ = archive.Close() }()
		for _, f := range archive.File {
			r, err := f.Open()
			if err != nil {
				return err
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				return err
			}
			contents[p+" entry "+f.Name] = b
		}
		return nil
	})
	switch {
	case err != nil:
		resp.Error = err
		return
	case plans == 0:
		resp.Error = fmt.Errorf("no saved plan under %s; the check would prove nothing", c.workDir)
		return
	}
	resp.Error = secretsIn(contents, c.secrets)
}

// noSecretsInStateFiles fails when a state file under workDir holds a secret.
func noSecretsInStateFiles(workDir string, secrets map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		contents := map[string][]byte{}
		err := filepath.WalkDir(workDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "terraform.tfstate") {
				return err
			}
			contents[p], err = os.ReadFile(p)
			return err
		})
		if err != nil {
			return err
		}
		if len(contents) == 0 {
			return fmt.Errorf("no state file under %s; the check would prove nothing", workDir)
		}
		return secretsIn(contents, secrets)
	}
}

func secretsIn(contents map[string][]byte, secrets map[string]string) error {
	var found []string
	for where, b := range contents {
		for what, secret := range secrets {
			if bytes.Contains(b, []byte(secret)) {
				found = append(found, what+" in "+where)
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("secrets saved: %s", strings.Join(found, "; "))
	}
	return nil
}
