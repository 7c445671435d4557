package provider

import (
	"context"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// The create journal (opencon.Journal): where it is kept, and how the
// resource tells it which instances Terraform has in state.

// EnvCreateJournal is the environment variable create_journal falls back to.
const EnvCreateJournal = "OPENCON_CREATE_JOURNAL"

// createJournalOff is the create_journal value that keeps no journal.
const createJournalOff = "off"

// createJournalDirName is the journal's directory in Terraform's data directory.
const createJournalDirName = "opencon-creates"

// defaultCreateJournalDir is opencon-creates in Terraform's data directory:
// TF_DATA_DIR, else .terraform, of the working directory the CLI runs the
// provider in.
func defaultCreateJournalDir() string {
	data := os.Getenv("TF_DATA_DIR")
	if data == "" {
		data = ".terraform"
	}
	return filepath.Join(data, createJournalDirName)
}

// openCreateJournal opens the journal dir names, the value of
// create_journal or its environment variable: "" is the default, "off" none.
func openCreateJournal(dir string) (*opencon.Journal, error) {
	switch dir {
	case createJournalOff:
		return nil, nil
	case "":
		dir = defaultCreateJournalDir()
	}
	return opencon.OpenJournal(dir)
}

// confirmInState tells the journal that the instance of a planned state is
// in Terraform's state, so that no later create adopts it. A journal that
// cannot be read costs only its protection; the plan goes on.
func confirmInState(ctx context.Context, client *opencon.Client, id types.String) {
	if client == nil || id.IsNull() || id.IsUnknown() {
		return
	}
	n, err := parseInstanceID(id.ValueString())
	if err != nil {
		return
	}
	if err := client.ConfirmInState(n); err != nil {
		tflog.Warn(ctx, "opencon create journal not updated", map[string]any{"error": err.Error()})
	}
}

// forgetInterruptedCreate tells the journal that an imported instance is in
// state, so that no later create adopts it as what an interrupted one made.
func forgetInterruptedCreate(ctx context.Context, client *opencon.Client, inst *opencon.Instance) {
	if err := client.ForgetInterruptedCreate(inst); err != nil {
		tflog.Warn(ctx, "opencon create journal not updated", map[string]any{"error": err.Error()})
	}
}
