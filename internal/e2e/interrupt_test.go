package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestInterruptCancelsARequestInFlight interrupts a plan while the
// provider's refresh waits on a slow platform: Terraform sends
// StopProvider, and the request must end at once with the provider's
// context, not after its timeout and retries (minutes).
func TestInterruptCancelsARequestInFlight(t *testing.T) {
	ctx, cliPath, bin, emuBin := endToEnd(t)
	fast := startEmulator(t, ctx, EmulatorOptions{Binary: emuBin, Seed: 5})
	slow := startEmulator(t, ctx, EmulatorOptions{Binary: emuBin, Seed: 6, Latency: time.Hour})
	wd := newWorkdir(t, WorkdirOptions{CLI: cliPath, ProviderDir: bin, Emulator: fast, Parallelism: 1})
	if err := wd.WriteConfig(InstancesConfig(1, "interrupt")); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.Apply(ctx); err != nil {
		t.Fatal(err)
	}

	// The plan refreshes against the slow platform, which holds the GET for an hour.
	slowWD := wd.WithEnv("OPENCON_BASE_URL=" + slow.APIURL())
	cmd := exec.Command(cliPath, slowWD.withParallelism("plan")...)
	cmd.Dir, cmd.Env = slowWD.dir, slowWD.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	for {
		stats, err := slow.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats["GET /instances/{id}"] > 0 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("plan ended before its refresh reached the platform: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// A bound on a hang, far below the request timeout and retries that a
	// lost cancellation would wait for; not a speed requirement.
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("plan still running three minutes after the interrupt:\n%s", out.String())
	}
	if waitErr == nil {
		t.Errorf("the interrupted plan succeeded:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "context canceled") {
		t.Errorf("the refresh did not end with the provider's context:\n%s", out.String())
	}
	if stats, _ := slow.Stats(ctx); stats["GET /instances/{id}"] != 1 {
		t.Errorf("the canceled refresh was retried: %v", stats)
	}
}
