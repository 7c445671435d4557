package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// journalProviderConfig is the emulator's provider block with create_journal set.
func (e *testEnv) journalProviderConfig(journal string) string {
	return strings.Replace(e.providerConfig(), "  max_retries         = 0\n",
		fmt.Sprintf("  max_retries         = 0\n  create_journal      = %q\n", journal), 1)
}

const journalInstanceConfig = `
resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "journalled"
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}
`

// journalFilesNaming lists the files of dir that mention the id of the
// instance at addr.
func journalFilesNaming(dir string, s *terraform.State, addr string) ([]string, error) {
	rs, ok := s.RootModule().Resources[addr]
	if !ok {
		return nil, fmt.Errorf("%s not in state", addr)
	}
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var out []string
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err == nil && strings.Contains(string(b), `"id":`+rs.Primary.ID) {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// TestAccInstance_createJournalLivesUntilAPlanSeesTheInstance: a create is
// noted in create_journal with its id, and the next plan, which sees the
// instance in state, removes the note; with "off" nothing is written.
func TestAccInstance_createJournalLivesUntilAPlanSeesTheInstance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	journal := t.TempDir()
	const addr = "opencon_instance.erp"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: e.journalProviderConfig(journal) + journalInstanceConfig,
				// Runs after the apply, before the plan that checks it is empty.
				Check: func(s *terraform.State) error {
					files, err := journalFilesNaming(journal, s, addr)
					if err != nil || len(files) != 1 {
						return fmt.Errorf("journal files naming the new instance: %v, %v; want one", files, err)
					}
					return nil
				},
			},
			{
				Config: e.journalProviderConfig(journal) + journalInstanceConfig,
				Check: func(s *terraform.State) error {
					des, err := os.ReadDir(journal)
					if err != nil || len(des) != 0 {
						return fmt.Errorf("journal after a plan saw the instance: %v, %v; want it empty", des, err)
					}
					return nil
				},
			},
			{
				Config: e.journalProviderConfig("off") + journalInstanceConfig,
				Taint:  []string{addr}, // created again, with the journal off
				Check: func(s *terraform.State) error {
					for _, dir := range []string{journal, os.Getenv(EnvCreateJournal), "off"} {
						if files, err := journalFilesNaming(dir, s, addr); err != nil || len(files) != 0 {
							return fmt.Errorf("create_journal = \"off\" wrote %v in %s (%v)", files, dir, err)
						}
					}
					return nil
				},
			},
		},
	})
	if n := e.emu.InstanceCount(); n != 0 {
		t.Errorf("%d instances left", n)
	}
}
