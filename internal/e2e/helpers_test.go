package e2e

import (
	"context"
	"testing"
	"time"
)

// endToEnd skips under -short and returns what a test through the real CLI
// needs: a context that ends after ten minutes or with the test, the CLI,
// and the directory of the built provider and the emulator binary.
func endToEnd(t *testing.T) (ctx context.Context, cliPath, providerDir, emulatorBin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the provider and runs the CLI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cliPath = cli(t, root)
	providerDir, emulatorBin = built(t)
	return ctx, cliPath, providerDir, emulatorBin
}

// startEmulator starts an emulator that is closed when the test ends.
func startEmulator(t *testing.T, ctx context.Context, opts EmulatorOptions) *Emulator {
	t.Helper()
	emu, err := StartEmulator(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return emu
}

// newWorkdir makes a Workdir that is removed when the test ends.
func newWorkdir(t *testing.T, opts WorkdirOptions) *Workdir {
	t.Helper()
	wd, err := NewWorkdir(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wd.Close() })
	return wd
}
