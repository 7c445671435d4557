package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// Upgrade safety. testdata/upgrade/schema-v<N>/<cli>-<version>/ holds state
// that the provider at schema version N really wrote under that CLI
// (scripts/upgrade-fixtures.sh, `make upgrade-fixtures SCHEMA_VERSION=<N>`),
// with the emulator's own state file of the same moment and the variables of
// that apply. Each is committed once and never regenerated: it is what users'
// state files look like, and this test proves that the provider as it is now
// still plans them empty. A schema change that would break them (a renamed or
// retyped attribute, a new default, a bumped Version without an upgrader)
// fails here; DESIGN.md ("State upgrades") says what to do then.
func TestAccInstanceStateOfEarlierSchemasPlansEmpty(t *testing.T) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1", resource.EnvTfAcc)
	}
	family, version := testCLI(t)
	schemas, err := filepath.Glob(filepath.Join("testdata", "upgrade", "schema-v*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) == 0 {
		t.Fatal("no golden state under testdata/upgrade")
	}
	for _, schema := range schemas {
		t.Run(filepath.Base(schema), func(t *testing.T) {
			testGoldenStatePlansEmpty(t, schema, goldenStateFor(t, schema, family, version))
		})
	}
}

// testCLI names the CLI the acceptance tests run under: its family
// (terraform or tofu) and version.
func testCLI(t *testing.T) (family string, version [3]int) {
	t.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("set TF_ACC_TERRAFORM_PATH to the CLI to test under")
		}
	}
	family = "terraform"
	if strings.HasPrefix(filepath.Base(path), "tofu") {
		family = "tofu"
	}
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	version, ok := parseVersion(v.Version)
	if !ok {
		t.Fatalf("%s version -json: version %q", path, v.Version)
	}
	return family, version
}

var versionRe = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)`)

func parseVersion(s string) (v [3]int, ok bool) {
	m := versionRe.FindStringSubmatch(s)
	if m == nil {
		return v, false
	}
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return v, true
}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// goldenStateFor picks the state the running CLI would have written: the
// same family's, of the newest version not above it. (A newer CLI of the
// family reads it as its users' CLIs do after an upgrade.)
func goldenStateFor(t *testing.T, schema, family string, version [3]int) string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(schema, family+"-*"))
	if err != nil {
		t.Fatal(err)
	}
	best, bestVersion := "", [3]int{}
	for _, dir := range dirs {
		v, ok := parseVersion(strings.TrimPrefix(filepath.Base(dir), family+"-"))
		if !ok || versionLess(version, v) {
			continue
		}
		if best == "" || versionLess(bestVersion, v) {
			best, bestVersion = dir, v
		}
	}
	if best == "" {
		t.Fatalf("%s has no golden state written by %s %d.%d.%d or older: write one with scripts/upgrade-fixtures.sh, "+
			"with the provider of that schema version", schema, family, version[0], version[1], version[2])
	}
	return best
}

func testGoldenStatePlansEmpty(t *testing.T, schema, golden string) {
	read := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	schemaVersion, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(schema), "schema-v"))
	if err != nil {
		t.Fatalf("%s: not schema-v<N>", schema)
	}

	// The emulator starts from its own state file of the moment the golden
	// state was written, so it holds the very instances that state refers to.
	emulatorState := filepath.Join(t.TempDir(), "emulator-state.json")
	if err := os.WriteFile(emulatorState, read(filepath.Join(golden, "emulator-state.json")), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newTestEnvWith(t, emulator.Options{Seed: 1, StateFile: emulatorState})

	state := read(filepath.Join(golden, "terraform-state.json"))
	addrs := goldenInstances(t, e, state, schemaVersion)

	// The CLI works in a directory holding the configuration, the variables
	// of the apply and the golden state as terraform.tfstate: ConfigDirectory
	// copies every file of it into the working directory.
	work := t.TempDir()
	for name, b := range map[string][]byte{
		"main.tf":               read(filepath.Join(schema, "main.tf")),
		"terraform.tfvars.json": read(filepath.Join(golden, "terraform.tfvars.json")),
		"terraform.tfstate":     state,
	} {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var noop []plancheck.PlanCheck
	for _, addr := range addrs {
		noop = append(noop, plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop))
	}
	t.Logf("planning %s against the golden state of %s", filepath.Join(schema, "main.tf"), golden)
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{{
			// On the step: the harness refuses a configuration directory
			// with a provider block when the providers are the TestCase's.
			ProtoV6ProviderFactories: testProviderFactories,
			ConfigDirectory:          config.StaticDirectory(work),
			ConfigVariables:          config.Variables{"base_url": config.StringVariable(e.baseURL)},
			// Plan only, once without and once with a refresh, and fail
			// unless both are empty. The no-op checks make sure the
			// instances came from the golden state rather than being
			// planned for creation (which would fail too).
			PlanOnly: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPreRefresh:  noop,
				PostApplyPostRefresh: noop,
			},
		}},
	})
}

// goldenInstances returns the addresses of the instances in a golden state,
// and fails unless each was written at schemaVersion and the emulator holds
// it.
func goldenInstances(t *testing.T, e *testEnv, state []byte, schemaVersion int) []string {
	t.Helper()
	var st struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				SchemaVersion int `json:"schema_version"`
				Attributes    struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state, &st); err != nil {
		t.Fatalf("golden state: %v", err)
	}
	var addrs []string
	for _, r := range st.Resources {
		if r.Mode != "managed" || r.Type != "opencon_instance" {
			continue
		}
		addr := r.Type + "." + r.Name
		for _, inst := range r.Instances {
			if inst.SchemaVersion != schemaVersion {
				t.Fatalf("golden state: %s has schema_version %d, its directory says %d", addr, inst.SchemaVersion, schemaVersion)
			}
			id, err := strconv.ParseInt(inst.Attributes.ID, 10, 64)
			if err != nil {
				t.Fatalf("golden state: %s has id %q", addr, inst.Attributes.ID)
			}
			if _, ok := e.emu.Instance(id); !ok {
				t.Fatalf("the emulator did not load instance %d of %s from its state file", id, addr)
			}
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		t.Fatal("golden state holds no opencon_instance")
	}
	return addrs
}

// The selection of golden states by CLI version.
func TestGoldenStateForPicksTheNewestNotAboveTheCLI(t *testing.T) {
	schema := t.TempDir()
	for _, d := range []string{"terraform-1.5.7", "terraform-1.14.9", "tofu-1.12.6", "terraform-notes"} {
		if err := os.Mkdir(filepath.Join(schema, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		family  string
		version [3]int
		want    string
	}{
		{"terraform", [3]int{1, 5, 7}, "terraform-1.5.7"},
		{"terraform", [3]int{1, 9, 0}, "terraform-1.5.7"},
		{"terraform", [3]int{1, 14, 9}, "terraform-1.14.9"},
		{"terraform", [3]int{1, 15, 0}, "terraform-1.14.9"},
		{"tofu", [3]int{1, 12, 6}, "tofu-1.12.6"},
		{"tofu", [3]int{2, 0, 0}, "tofu-1.12.6"},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.family, tc.version), func(t *testing.T) {
			if got := filepath.Base(goldenStateFor(t, schema, tc.family, tc.version)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
