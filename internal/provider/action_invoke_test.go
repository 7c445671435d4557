package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// invocation is a configuration directory run with the CLI under test and
// the provider built from this module, through dev_overrides, the way an
// operator runs `terraform apply -invoke` by hand.
type invocation struct {
	t   *testing.T
	e   *testEnv
	dir string
	env []string
}

func newInvocation(t *testing.T, e *testEnv, files map[string]string) *invocation {
	t.Helper()
	bin, dir := t.TempDir(), t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-opencon"), "github.com/opencon/terraform-provider-opencon")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rc := filepath.Join(bin, "cli.tfrc")
	err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", "registry.terraform.io/opencon/opencon", bin)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	files["zz_required_providers.tf"] = "terraform {\n  required_providers {\n    opencon = { source = \"opencon/opencon\" }\n  }\n}\n"
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_LOG=",
		EnvBaseURL+"="+e.baseURL, EnvUserSecret+"="+testUserSecret, EnvOrganizationSecret+"="+testOrganizationSecret)
	return &invocation{t: t, e: e, dir: dir, env: env}
}

// invoke runs `apply -invoke=<address>` with the variables given.
func (in *invocation) invoke(address string, vars ...string) (string, error) {
	args := []string{"-chdir=" + in.dir, "apply", "-no-color", "-auto-approve", "-input=false", "-invoke=" + address}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), args...)
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestAccActions_invokedByHand runs the documented reauthenticate example as
// it is, and a test event, with `terraform apply -invoke`, and reads what the
// operator sees. The version gate is that of resource.Test; the step only
// hosts the invocations.
func TestAccActions_invokedByHand(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	example, err := os.ReadFile("../../examples/actions/opencon_instance_reauthenticate/action.tf")
	if err != nil {
		t.Fatal(err)
	}
	recv, callback := startEventReceiver(t, "hand-signature-key")
	eventTest := fmt.Sprintf(`
variable "signature_key" {
  type      = string
  ephemeral = true
}

action "opencon_event_test" "receiver" {
  config {
    callback_url  = %q
    signature_key = var.signature_key
  }
}
`, callback+"/events")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{{
			Config: e.providerConfig(),
			Check: func(*terraform.State) error {
				inst := createGmail(t, e, "Support mailbox")
				in := newInvocation(t, e, map[string]string{"action.tf": string(example), "event_test.tf": eventTest})
				code := e.authorizationCode()
				out, err := in.invoke("action.opencon_instance_reauthenticate.gmail", "gmail_code="+code, "signature_key=unused")
				if err != nil {
					return fmt.Errorf("invoke: %v\n%s", err, out)
				}
				for _, want := range []string{
					fmt.Sprintf("Re-authenticating instance %d (%q) with a new authorization code", inst.ID, "Support mailbox"),
					fmt.Sprintf("Instance %d is valid", inst.ID),
				} {
					if !strings.Contains(out, want) {
						return fmt.Errorf("the output lacks %q:\n%s", want, out)
					}
				}
				if strings.Contains(out, code) {
					return fmt.Errorf("the output shows the code:\n%s", out)
				}
				var body struct {
					ProviderData map[string]string `json:"providerData"`
				}
				if err := json.Unmarshal(e.emu.LastRequest("PATCH /instances/{id}"), &body); err != nil {
					return err
				}
				if err := expectEqual("the code sent", body.ProviderData["code"], code); err != nil {
					return err
				}

				out, err = in.invoke("action.opencon_event_test.receiver", "gmail_code=unused", "signature_key=hand-signature-key")
				if err != nil {
					return fmt.Errorf("invoke: %v\n%s", err, out)
				}
				if events, rejected := recv.snapshot(); len(events) != 1 || rejected != 0 || !strings.Contains(out, "accepted test event") {
					return fmt.Errorf("the receiver verified %d events and rejected %d; output:\n%s", len(events), rejected, out)
				}
				out, err = in.invoke("action.opencon_event_test.receiver", "gmail_code=unused", "signature_key=another-key")
				if err == nil || !strings.Contains(out, "401 Unauthorized") {
					return fmt.Errorf("a test event the receiver refused: %v\n%s", err, out)
				}
				return nil
			},
		}},
	})
}
