package provider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// The guide "Adopting existing instances" (templates/guides) shows the files
// under examples/guides/adopting-existing-instances and the resource page's
// import examples; these tests run each of them, as written, under the CLI
// under test, on instances made directly through the emulator's API.

const adoptionExamples = "../../examples/guides/adopting-existing-instances"

var stateID = regexp.MustCompile(`(?m)^\s+id\s+= "([0-9]+)"`)

func idString(inst *opencon.Instance) string { return strconv.FormatInt(inst.ID, 10) }

// expectNoSecretIn fails if a file the CLI generated holds a secret the
// instances were made with.
func expectNoSecretIn(t *testing.T, w *cliWorkdir, name string, secrets ...string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.dir, name))
	if err != nil {
		t.Fatalf("%s was not written: %v", name, err)
	}
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s holds the secret %q:\n%s", name, s, raw)
		}
	}
}

// TestAccAdoption_importBlocksAndGeneratedConfig: two Gmail instances and a
// NetSuite one (username and password) are adopted with import blocks and
// `plan -generate-config-out`, then applied with no mutating call; the next
// plan is empty. Terraform 1.5 and later, OpenTofu.
func TestAccAdoption_importBlocksAndGeneratedConfig(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	sales, support, erp := createAccount(t, e)
	w := newCLIWorkdir(t, e)
	w.copyExample([]string{adoptionExamples + "/by-id/imports.tf"},
		`"12345"`, strconv.Quote(idString(sales)), `"12346"`, strconv.Quote(idString(support)), `"12347"`, strconv.Quote(idString(erp)))
	e.emu.ResetStats()

	w.runCommands(adoptionExamples + "/by-id/commands.sh")

	w.expectSettled(e, "opencon_instance.erp", "opencon_instance.sales", "opencon_instance.support")
	expectNoSecretIn(t, w, "generated.tf", testGmailClientSecret, testGmailClientID, "hunter2", sales.Token, erp.Token)
}

// TestAccAdoption_resourcePageImportExamples runs the import examples of the
// opencon_instance page: by id (Terraform 1.5+), by identity (1.12+).
func TestAccAdoption_resourcePageImportExamples(t *testing.T) {
	t.Parallel()
	for _, example := range []string{"import-by-string-id.tf", "import-by-identity.tf"} {
		t.Run(example, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			w := newCLIWorkdir(t, e)
			file := "../../examples/resources/opencon_instance/" + example
			w.skipUnlessSupported(file)
			gmail := createGmail(t, e, "API Instance with Polling", "Docs")
			w.copyExample([]string{file}, `"12345"`, strconv.Quote(idString(gmail)))
			e.emu.ResetStats()

			w.runCommands(adoptionExamples + "/by-id/commands.sh")

			w.expectSettled(e, "opencon_instance.gmail")
		})
	}
}

// TestAccAdoption_forEach adopts every instance tagged "mail" into one
// resource block with for_each over data.opencon_instances (Terraform 1.7+,
// OpenTofu 1.7+), leaving the others alone.
func TestAccAdoption_forEach(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	w := newCLIWorkdir(t, e)
	w.copyExample([]string{adoptionExamples + "/for-each/main.tf"})
	// Mailboxes set up alike, as the example's resource block describes them.
	mailbox := func(name string) *opencon.Instance {
		inst, err := e.client.CreateInstance(context.Background(), opencon.CreateInstanceRequest{
			Element:      &opencon.ElementRef{Key: "gmail"},
			Name:         name,
			Tags:         []string{"mail"},
			ProviderData: map[string]string{"code": e.authorizationCode()},
			Configuration: map[string]any{
				opencon.KeyOAuthAPIKey:                  testGmailClientID,
				opencon.KeyOAuthAPISecret:               testGmailClientSecret,
				opencon.KeyOAuthCallbackURL:             "https://auth.mycoolapp.com/oauth",
				opencon.KeyEventNotificationEnabled:     true,
				opencon.KeyEventNotificationCallbackURL: "https://mycoolapp.com/events/gmail",
				opencon.KeyEventPollerRefreshInterval:   "15",
				opencon.KeyEventPollerConfiguration: map[string]any{
					"changed-messages": map[string]any{"url": "/hubs/general/changed-messages", "idField": "id"},
				},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return inst
	}
	sales, support := mailbox("Sales mailbox"), mailbox("Support mailbox")
	createNetsuite(t, e, "ERP", "finance")
	e.emu.ResetStats()

	w.runCommands(adoptionExamples + "/for-each/commands.sh")

	w.expectSettled(e, `data.opencon_instances.mail`,
		`opencon_instance.mailbox["`+idString(sales)+`"]`, `opencon_instance.mailbox["`+idString(support)+`"]`)
}

// TestAccAdoption_query adopts a whole account with `terraform query
// -generate-config-out` (Terraform 1.14+).
func TestAccAdoption_query(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	w := newCLIWorkdir(t, e)
	w.copyExample([]string{adoptionExamples + "/query/instances.tfquery.hcl"})
	sales, _, erp := createAccount(t, e)
	e.emu.ResetStats()

	w.runCommands(adoptionExamples + "/query/commands.sh")

	w.expectSettled(e, "opencon_instance.all_0", "opencon_instance.all_1", "opencon_instance.all_2")
	// The guide says the generated names follow the order of the ids.
	for name, inst := range map[string]*opencon.Instance{"all_0": sales, "all_2": erp} {
		if m := stateID.FindStringSubmatch(w.run("state", "show", "opencon_instance."+name)); m == nil || m[1] != idString(inst) {
			t.Errorf("opencon_instance.%s is instance %v, want %d", name, m, inst.ID)
		}
	}
	expectNoSecretIn(t, w, "generated.tf", testGmailClientSecret, testGmailClientID, "hunter2", sales.Token, erp.Token)
}
