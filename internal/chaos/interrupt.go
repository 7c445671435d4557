package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

// InterruptEmulator is the emulator of the interrupted applies: every call
// takes a second before it is applied and another before it is answered,
// so that a signal finds creates in flight, some of them already made on
// the platform and not yet answered.
var InterruptEmulator = e2e.EmulatorOptions{Latency: time.Second, AnswerDelay: time.Second, Seed: 201}

// AdoptedWarning is the warning of a create adopted from an interrupted apply.
const AdoptedWarning = "Instance adopted from an interrupted apply"

// Interrupted is the outcome of one interrupted apply and the apply after it.
type Interrupted struct {
	CLI    string
	Signal syscall.Signal
	// Journal is false for the control run with create_journal = "off".
	Journal bool
	N       int

	ExitCode int    // of the interrupted apply
	AtSignal Counts // state against server after the interrupted apply ended
	// Noted and NotedWithID count the create journal's entries after the
	// interrupted apply ended: creates never seen in state, and those of
	// them whose id the provider had received.
	Noted, NotedWithID int
	// Output is the interrupted apply's output.
	Output string
	// Reapplied is whether the apply after it exited 0; After its counts.
	Reapplied bool
	After     Counts
	// Posts is how many creates the second apply sent; Warned whether it
	// showed AdoptedWarning (the CLI folds repeated warnings into one).
	Posts     int
	Warned    bool
	PlanEmpty bool
	Leftovers int
	Wall      time.Duration
	Failures  []string
}

func (r *Interrupted) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Interrupt applies s.N instances, sends sig to the CLI once the platform
// has made the first of them, waits for the CLI and its provider processes
// to end, then applies again, plans and destroys. SIGINT runs at
// -parallelism=4, so that a graceful stop leaves creates undone; SIGKILL at
// s.Parallelism. journal false turns create_journal off (the control that
// shows what the journal prevents).
func Interrupt(ctx context.Context, s Setup, sig syscall.Signal, journal bool) (Interrupted, error) {
	start := time.Now()
	out := Interrupted{CLI: CLIName(ctx, s.CLI), Signal: sig, Journal: journal, N: s.N}
	emu, wd, stop, err := s.start(ctx, InterruptEmulator)
	if err != nil {
		return out, err
	}
	defer stop()
	provider := DefaultProvider
	if !journal {
		provider += "\n  create_journal = \"off\""
	}
	prefix := "interrupted"
	if err := wd.WriteConfig(Config(s.N, prefix, "jane", provider)); err != nil {
		return out, err
	}

	args := wd.ApplyArgs()
	if sig == syscall.SIGINT {
		args = append(args, "-parallelism=4") // the last one counts
	}
	running, err := wd.Start(ctx, args...)
	if err != nil {
		return out, err
	}
	exited := make(chan struct{})
	var res *e2e.Result
	go func() {
		res, _ = running.Wait()
		close(exited)
	}()
	// Signal 300 ms after the platform made its first instance: its answer,
	// and those of the creates sent with it, are then still most of a
	// second away.
	signalled := false
	var first time.Time
	for !signalled {
		select {
		case <-exited:
			out.fail("the apply ended before any instance was made, so nothing was interrupted:\n%s", tail(running.Output()))
			return out, nil
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if first.IsZero() {
			if list, err := emu.Instances(ctx); err == nil && len(list) > 0 {
				first = time.Now()
			}
		}
		if !first.IsZero() && time.Since(first) >= 300*time.Millisecond {
			if err := running.Signal(sig); err != nil {
				return out, err
			}
			signalled = true
		}
	}
	plugins := running.PluginPIDs()
	select {
	case <-exited:
	case <-time.After(5 * time.Minute):
		_ = running.Signal(syscall.SIGKILL)
		<-exited
		out.fail("the CLI did not end within 5 minutes of %v", sig)
	}
	if res == nil {
		return out, fmt.Errorf("chaos: the interrupted CLI could not be waited for")
	}
	out.ExitCode = res.ExitCode
	outputs := res.Output
	// A killed CLI leaves its provider processes to notice on their own;
	// the next apply must not race them.
	deadline := time.Now().Add(time.Minute)
	for _, pid := range plugins {
		for !ProcessGone(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !ProcessGone(pid) {
			out.fail("provider process %d still runs a minute after the CLI ended", pid)
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
	}
	if out.AtSignal, err = Compare(ctx, wd, emu, prefix); err != nil {
		return out, err
	}
	out.Output = res.Output
	out.Noted, out.NotedWithID = journalEntries(filepath.Join(wd.Dir(), ".terraform", "opencon-creates"))

	if err := emu.ResetStats(ctx); err != nil {
		return out, err
	}
	res, err = wd.Apply(ctx)
	if res != nil {
		outputs += res.Output
		out.Warned = strings.Contains(res.Output, AdoptedWarning)
	}
	stats, serr := emu.Stats(ctx)
	if serr != nil {
		return out, serr
	}
	out.Posts = stats["POST /instances"]
	out.Reapplied = err == nil
	if err != nil {
		out.fail("the apply after the interrupted one: %v", err)
	}
	if out.After, err = Compare(ctx, wd, emu, prefix); err != nil {
		return out, err
	}
	if res, changes, err := wd.Plan(ctx); err != nil || changes {
		out.fail("the plan after: changes %v, %v\n%s", changes, err, tail(resOutput(res)))
	} else {
		out.PlanEmpty = true
	}
	if _, err := wd.Destroy(ctx); err != nil {
		out.fail("destroy: %v", err)
	}
	left, err := emu.Instances(ctx)
	if err != nil {
		return out, err
	}
	out.Leftovers = len(left)
	out.Failures = append(out.Failures, Crashes(outputs, s.RaceDir)...)
	out.Wall = time.Since(start)
	return out, nil
}

// journalEntries counts the entries of the create journal in dir, and
// those that hold an instance id.
func journalEntries(dir string) (all, withID int) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var e struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(b, &e) == nil {
			all++
			if e.ID != 0 {
				withID++
			}
		}
	}
	return all, withID
}

// exitString is the exit code, or "killed" for a process a signal ended.
func exitString(code int) string {
	if code < 0 {
		return "killed"
	}
	return fmt.Sprint(code)
}

func resOutput(r *e2e.Result) string {
	if r == nil {
		return ""
	}
	return r.Output
}

// WriteInterruptTable writes interrupted applies as a Markdown table.
func WriteInterruptTable(w interface{ Write([]byte) (int, error) }, rows []Interrupted) {
	var b strings.Builder
	b.WriteString("| CLI | signal | journal | N | exit | in state / on server after it | orphans | journal entries (with id) | re-apply | its POSTs | orphans / duplicates / lost after | next plan | leftovers | wall |\n")
	b.WriteString("|---|---|---|---:|---:|---|---:|---|---|---:|---|---|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %d / %d | %d | %d (%d) | %s | %d | %d / %d / %d | %s | %d | %.1f s |\n",
			r.CLI, strings.ToUpper(sigName(r.Signal)), okOr(r.Journal, "on", "off"), r.N, exitString(r.ExitCode),
			r.AtSignal.InState, r.AtSignal.OnServer, r.AtSignal.Orphans, r.Noted, r.NotedWithID, okOr(r.Reapplied, "exit 0", "FAILED"), r.Posts,
			r.After.Orphans, r.After.Duplicates, r.After.Lost, okOr(r.PlanEmpty, "empty", "CHANGES"), r.Leftovers, r.Wall.Seconds())
	}
	_, _ = w.Write([]byte(b.String()))
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "sigint"
	case syscall.SIGKILL:
		return "sigkill"
	}
	return s.String()
}
