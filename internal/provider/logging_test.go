package provider

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
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
	files, _ := filepath.Glob(filepath.Join(logDir, "*"))
	if len(files) == 0 {
		t.Fatal("no log files were written; the test would prove nothing")
	}
	sawProviderRequest := false
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
	if !sawProviderRequest {
		t.Fatal("the provider's request log lines are missing; the test would prove nothing")
	}
}
