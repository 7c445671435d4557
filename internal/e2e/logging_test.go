package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProviderLogsOnlyWhatTerraformShows runs the real provider binary under
// the CLI twice, with TF_LOG=TRACE and without TF_LOG, through a wrapper
// that copies the provider's stderr (where its loggers write, and which
// Terraform reads) to a file. With TRACE, Terraform's log holds the SDK's,
// the framework's and the provider's own request lines, as it always did;
// without TF_LOG, the provider writes no line of those loggers instead of
// formatting every one for Terraform to drop. Neither holds a secret.
func TestProviderLogsOnlyWhatTerraformShows(t *testing.T) {
	ctx, cliPath, bin, emuBin := endToEnd(t)
	emu := startEmulator(t, ctx, EmulatorOptions{Binary: emuBin, Seed: 11})

	dir := t.TempDir()
	stderrFile := filepath.Join(dir, "provider-stderr.log")
	wrapperDir := filepath.Join(dir, "providers")
	if err := os.Mkdir(wrapperDir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/usr/bin/env bash\nexec " + strconv.Quote(filepath.Join(bin, ProviderBinary)) +
		` "$@" 2> >(tee -a ` + strconv.Quote(stderrFile) + " >&2)\n"
	if err := os.WriteFile(filepath.Join(wrapperDir, ProviderBinary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	wd := newWorkdir(t, WorkdirOptions{CLI: cliPath, ProviderDir: wrapperDir, Emulator: emu, Parallelism: 1})
	if err := wd.WriteConfig(InstancesConfig(1, "logs")); err != nil {
		t.Fatal(err)
	}

	// TRACE: apply, then refresh in a plan.
	tfLog := filepath.Join(dir, "terraform.log")
	traced := wd.WithEnv("TF_LOG=TRACE", "TF_LOG_PATH="+tfLog)
	if _, err := traced.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := traced.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"user secret": UserSecret, "organization secret": OrganizationSecret,
		"password": "hunter2", "instance token": stateToken(t, wd),
	}
	terraformLog := readFile(t, tfLog)
	// Terraform logs each plugin line as "provider.terraform-provider-opencon:
	// <message>: @module=... key=value ...".
	for _, want := range []string{
		"@module=sdk.proto",     // terraform-plugin-go
		"@module=sdk.framework", // the framework
		"opencon request:",      // the client, through tflog
		"opencon response body:",
	} {
		if !strings.Contains(terraformLog, want) {
			t.Errorf("Terraform's TRACE log has no %q line", want)
		}
	}
	checkNoSecret(t, "Terraform's TRACE log", terraformLog, secrets)
	tracedStderr := readFile(t, stderrFile)
	if logLines(tracedStderr) == 0 {
		t.Fatal("with TF_LOG=TRACE the provider's stderr, as the wrapper saw it, has no log line: the check below would prove nothing")
	}
	checkNoSecret(t, "the provider's stderr at TRACE", tracedStderr, secrets)

	// No TF_LOG: the same commands, and not one line formatted.
	if err := os.Truncate(stderrFile, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := wd.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	quiet := readFile(t, stderrFile)
	if n := logLines(quiet); n > 0 {
		t.Errorf("without TF_LOG the provider wrote %d log lines to its stderr, which Terraform drops:\n%.2000s", n, quiet)
	}
	checkNoSecret(t, "the provider's stderr without TF_LOG", quiet, secrets)
}

// logLines counts the JSON lines in s of the SDK's, the framework's and the
// provider's loggers, which all carry @module; go-plugin's two lines at
// start-up (mTLS, plugin address) do not, and are not per request.
func logLines(s string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, `"@module"`) {
			n++
		}
	}
	return n
}

func checkNoSecret(t *testing.T, where, s string, secrets map[string]string) {
	t.Helper()
	for what, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("the %s appears in %s", what, where)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stateToken is the instance token of the one opencon_instance in state.
func stateToken(t *testing.T, wd *Workdir) string {
	t.Helper()
	var st struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					Token string `json:"token"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(readFile(t, wd.StateFile())), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Resources) != 1 || len(st.Resources[0].Instances) != 1 || st.Resources[0].Instances[0].Attributes.Token == "" {
		t.Fatalf("no instance token in state: %+v", st)
	}
	return st.Resources[0].Instances[0].Attributes.Token
}
