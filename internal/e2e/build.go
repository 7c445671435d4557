package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ProviderBinary is the file name Terraform looks for in a dev_overrides directory.
const ProviderBinary = "terraform-provider-opencon"

// ModuleRoot finds the directory of this module's go.mod, from the working
// directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isThisModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e: no go.mod of github.com/opencon/terraform-provider-opencon above the working directory")
		}
		dir = parent
	}
}

func isThisModule(gomod []byte) bool {
	const want = "module github.com/opencon/terraform-provider-opencon\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// BuildProvider builds the provider of the module at root into outDir, under
// the name dev_overrides expects, and returns its path. outDir is what
// WorkdirOptions.ProviderDir wants.
func BuildProvider(ctx context.Context, root, outDir string) (string, error) {
	return goBuild(ctx, root, filepath.Join(outDir, ProviderBinary), ".")
}

// BuildProviderRace is BuildProvider with the race detector. The CLI keeps
// a plugin's stderr out of its own output, so run it with RaceLogEnv and
// read what it found with RaceReports.
func BuildProviderRace(ctx context.Context, root, outDir string) (string, error) {
	return goBuild(ctx, root, filepath.Join(outDir, ProviderBinary), ".", "-race")
}

// BuildEmulator builds cmd/opencon-emulator of the module at root into outDir
// and returns its path.
func BuildEmulator(ctx context.Context, root, outDir string) (string, error) {
	return goBuild(ctx, root, filepath.Join(outDir, "opencon-emulator"), "./cmd/opencon-emulator")
}

func goBuild(ctx context.Context, root, out, pkg string, flags ...string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("e2e: go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// RaceLogEnv is the environment entry that makes a race-enabled binary (and
// the provider processes a CLI starts inherit it) write each report to a
// file under dir instead of stderr.
func RaceLogEnv(dir string) string {
	return "GORACE=log_path=" + filepath.Join(dir, "race")
}

// RaceReports returns the reports race-enabled processes run with
// RaceLogEnv(dir) wrote: one per process that found a data race.
func RaceReports(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "race.*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			out = append(out, string(b))
		}
	}
	return out, nil
}
