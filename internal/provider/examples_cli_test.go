package provider

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The adoption guide's commands (`plan -generate-config-out`, `query
// -generate-config-out`, then apply) are not steps terraform-plugin-testing
// can drive, so these tests run the CLI under test (TF_ACC_TERRAFORM_PATH)
// themselves, exactly as a user would: on copies of the example files, with
// the commands of the example's commands.sh, against a provider binary built
// once per test run and found through dev_overrides, talking to this test's
// emulator.

// providerBinary builds the provider once per test run into a directory
// TestMain removes.
var providerBinary struct {
	once sync.Once
	dir  string
	err  error
}

func providerBinaryDir(t *testing.T) string {
	t.Helper()
	providerBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "opencon-provider-")
		if err != nil {
			providerBinary.err = err
			return
		}
		providerBinary.dir = dir
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-opencon"), "github.com/opencon/terraform-provider-opencon")
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if providerBinary.err != nil {
		t.Fatal(providerBinary.err)
	}
	return providerBinary.dir
}

func removeProviderBinary() {
	if providerBinary.dir != "" {
		os.RemoveAll(providerBinary.dir)
	}
}

// cliWorkdir is one working directory of the CLI under test.
type cliWorkdir struct {
	t       *testing.T
	cli     string
	product string // "Terraform" or "OpenTofu", as the CLI names itself
	version string
	dir     string
	env     []string
}

var cliVersionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v([0-9]+\.[0-9]+\.[0-9]+)`)

// newCLIWorkdir prepares an empty working directory whose provider "opencon"
// is the one under test, configured for e by environment variables.
func newCLIWorkdir(t *testing.T, e *testEnv) *cliWorkdir {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("Acceptance tests skipped unless env 'TF_ACC' set")
	}
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the CLI under test")
	}
	bin := providerBinaryDir(t)
	home := t.TempDir()
	rc := filepath.Join(home, "cli.tfrc")
	err := os.WriteFile(rc, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "registry.terraform.io/opencon/opencon" = %q
    "registry.opentofu.org/opencon/opencon" = %q
  }
  direct {}
}
`, bin, bin), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing of the test process's own Terraform settings leaks in
	// (terraform-plugin-testing sets some in this process).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "PLUGIN_") && !strings.HasPrefix(kv, "OPENCON_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		// The commands of the examples run as written: these make them
		// non-interactive and their output plain.
		"TF_CLI_ARGS=-no-color", "TF_CLI_ARGS_apply=-auto-approve",
		EnvBaseURL+"="+e.baseURL, EnvUserSecret+"="+testUserSecret, EnvOrganizationSecret+"="+testOrganizationSecret,
	)
	w := &cliWorkdir{t: t, cli: cli, dir: filepath.Join(home, "work"), env: env}
	if err := os.Mkdir(w.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, code := w.exec("version")
	m := cliVersionLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("%s version: %s", cli, out)
	}
	w.product, w.version = m[1], m[2]
	return w
}

// exec runs the CLI with args and returns its output and exit code.
func (w *cliWorkdir) exec(args ...string) (string, int) {
	w.t.Helper()
	cmd := exec.Command(w.cli, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		w.t.Fatalf("%s %s: %v", w.cli, strings.Join(args, " "), err)
	}
	return string(out), 0
}

// run runs the CLI with args and fails the test unless it succeeds.
func (w *cliWorkdir) run(args ...string) string {
	w.t.Helper()
	out, code := w.exec(args...)
	if code != 0 {
		w.t.Fatalf("%s %s exited %d:\n%s", filepath.Base(w.cli), strings.Join(args, " "), code, out)
	}
	return out
}

// exampleHeader is the first line of an example that needs a newer CLI:
// "# Terraform 1.12+ or OpenTofu 1.12+." (scripts/validate-examples.sh reads
// the same).
var exampleHeader = regexp.MustCompile(`^# Terraform ([0-9]+\.[0-9]+)\+(?: or OpenTofu ([0-9]+\.[0-9]+)\+)?`)

// copyExample copies example files into the working directory, replacing
// each placeholder (old, new, ...) that must occur once in them, after
// skipUnlessSupported.
func (w *cliWorkdir) copyExample(files []string, replace ...string) {
	w.t.Helper()
	w.skipUnlessSupported(files...)
	var all strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			w.t.Fatal(err)
		}
		all.WriteString(string(raw))
		if err := os.WriteFile(filepath.Join(w.dir, filepath.Base(f)), raw, 0o600); err != nil {
			w.t.Fatal(err)
		}
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if strings.Count(all.String(), replace[i]) != 1 {
			w.t.Fatalf("placeholder %q should occur once in %v", replace[i], files)
		}
		for _, f := range files {
			p := filepath.Join(w.dir, filepath.Base(f))
			raw, _ := os.ReadFile(p)
			if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(raw), replace[i], replace[i+1])), 0o600); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	if !strings.Contains(all.String(), "required_providers") {
		w.write("zz_required_providers.tf", "terraform {\n  required_providers {\n    opencon = { source = \"opencon/opencon\" }\n  }\n}\n")
	}
}

// skipUnlessSupported skips the test, saying why, when one of the example
// files needs a newer CLI than this one.
func (w *cliWorkdir) skipUnlessSupported(files ...string) {
	w.t.Helper()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			w.t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(raw), "\n")
		m := exampleHeader.FindStringSubmatch(first)
		if m == nil {
			continue
		}
		need := map[string]string{"Terraform": m[1], "OpenTofu": m[2]}[w.product]
		switch {
		case need == "":
			w.t.Skipf("%s: %s %s has no such feature", f, w.product, w.version)
		case !versionAtLeast(w.version, need):
			w.t.Skipf("%s needs %s %s; this is %s", f, w.product, need, w.version)
		}
	}
}

func (w *cliWorkdir) write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func versionAtLeast(have, need string) bool {
	h, n := strings.Split(have, "."), strings.Split(need, ".")
	for i := range n {
		a, _ := strconv.Atoi(h[i])
		b, _ := strconv.Atoi(n[i])
		if a != b {
			return a > b
		}
	}
	return true
}

// runCommands runs the CLI commands of a commands.sh example, as written,
// with the CLI under test in place of `terraform`.
func (w *cliWorkdir) runCommands(script string) {
	w.t.Helper()
	f, err := os.Open(script)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	ran := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] != "terraform" {
			w.t.Fatalf("%s: %q is not a terraform command", script, line)
		}
		w.run(fields[1:]...)
		ran++
	}
	if ran == 0 {
		w.t.Fatalf("%s holds no command", script)
	}
}

// expectSettled asserts what the guide promises after its commands: the
// emulator saw no mutating call since stats were last reset, the next plan
// is empty, and state holds exactly the addresses given.
func (w *cliWorkdir) expectSettled(e *testEnv, addresses ...string) {
	w.t.Helper()
	for route, n := range e.emu.Stats() {
		method, _, _ := strings.Cut(route, " ")
		if n > 0 && (method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE") {
			w.t.Errorf("adoption made %d %s calls (all calls: %v), want no mutating call", n, route, e.emu.Stats())
		}
	}
	if out, code := w.exec("plan", "-detailed-exitcode"); code != 0 {
		w.t.Errorf("the plan after adoption is not empty (exit %d):\n%s", code, out)
	}
	got := strings.Fields(w.run("state", "list"))
	if strings.Join(got, " ") != strings.Join(addresses, " ") {
		w.t.Errorf("state holds %v, want %v", got, addresses)
	}
}
