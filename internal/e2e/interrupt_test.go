package e2e

import (
	"os"
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
	run, err := slowWD.Start(ctx, slowWD.withParallelism("plan")...)
	if err != nil {
		t.Fatal(err)
	}
	type waited struct {
		res *Result
		err error
	}
	exited := make(chan waited, 1)
	go func() {
		res, err := run.Wait()
		exited <- waited{res, err}
	}()
	for {
		stats, err := slow.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats["GET /instances/{id}"] > 0 {
			break
		}
		select {
		case w := <-exited:
			t.Fatalf("plan ended before its refresh reached the platform: %v\n%s", w.err, run.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := run.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// A bound on a hang, far below the request timeout and retries that a
	// lost cancellation would wait for; not a speed requirement. The test's
	// context kills the CLI when it ends.
	var w waited
	select {
	case w = <-exited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("plan still running three minutes after the interrupt:\n%s", run.Output())
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	if w.res.ExitCode == 0 {
		t.Errorf("the interrupted plan succeeded:\n%s", w.res.Output)
	}
	if !strings.Contains(w.res.Output, "context canceled") {
		t.Errorf("the refresh did not end with the provider's context:\n%s", w.res.Output)
	}
	if stats, _ := slow.Stats(ctx); stats["GET /instances/{id}"] != 1 {
		t.Errorf("the canceled refresh was retried: %v", stats)
	}
}
