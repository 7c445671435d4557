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

// BuildEmulator builds cmd/opencon-emulator of the module at root into outDir
// and returns its path.
func BuildEmulator(ctx context.Context, root, outDir string) (string, error) {
	return goBuild(ctx, root, filepath.Join(outDir, "opencon-emulator"), "./cmd/opencon-emulator")
}

func goBuild(ctx context.Context, root, out, pkg string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("e2e: go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}
