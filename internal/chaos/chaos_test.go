package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

// `go test ./internal/chaos` is the small variant in `make test`
// (`make chaos-quick`): 20 instances per mix under bin/terraform, every mix,
// and both interrupted applies. `make chaos` passes the full matrix through
// these flags: 200 instances, every CLI, the race detector on the "all" mix,
// and the journal-off control.
var (
	flagN         = flag.Int("chaos.n", 20, "instances per fault mix")
	flagCLIs      = flag.String("chaos.clis", "", "comma-separated CLI paths (default: the repository's bin/terraform)")
	flagMixes     = flag.String("chaos.mixes", "", "comma-separated fault mixes (default: all)")
	flagRace      = flag.String("chaos.race", "none", "comma-separated mixes run with a race-enabled provider instead; \"none\" for none")
	flagInterrupt = flag.Int("chaos.interrupt-n", 20, "instances of the interrupted applies")
	flagControl   = flag.Bool("chaos.control", false, "also run the SIGKILL case with create_journal off, and require duplicates")
)

var (
	buildOnce sync.Once
	built     struct {
		root, dir, raceDir, emulator string
		err                          error
	}

	tableMu   sync.Mutex
	rows      []Row
	intRows   []Interrupted
	suiteWall time.Time
)

func TestMain(m *testing.M) {
	flag.Parse()
	suiteWall = time.Now()
	code := m.Run()
	tableMu.Lock()
	if len(rows) > 0 {
		fmt.Print("\nFault mixes:\n\n")
		WriteTable(os.Stdout, rows)
	}
	if len(intRows) > 0 {
		fmt.Print("\nInterrupted applies:\n\n")
		WriteInterruptTable(os.Stdout, intRows)
	}
	if len(rows)+len(intRows) > 0 {
		fmt.Printf("\nChaos suite wall time: %v\n", time.Since(suiteWall).Round(time.Second))
	}
	tableMu.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binaries builds the provider (plain, and with -race when race) and the
// emulator once for the package.
func binaries(t *testing.T, race bool) (providerDir, raceDir, emulatorBin string) {
	t.Helper()
	buildOnce.Do(func() {
		b := &built
		if b.root, b.err = e2e.ModuleRoot(); b.err != nil {
			return
		}
		if b.dir, b.err = os.MkdirTemp("", "opencon-chaos-bin-"); b.err != nil {
			return
		}
		ctx := context.Background()
		if _, b.err = e2e.BuildProvider(ctx, b.root, filepath.Join(b.dir, "plain")); b.err != nil {
			return
		}
		if b.emulator, b.err = e2e.BuildEmulator(ctx, b.root, b.dir); b.err != nil {
			return
		}
		if len(raceMixes()) > 0 {
			b.raceDir = filepath.Join(b.dir, "race")
			_, b.err = e2e.BuildProviderRace(ctx, b.root, b.raceDir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	if race && built.raceDir == "" {
		t.Fatal("no race-enabled provider was built")
	}
	return filepath.Join(built.dir, "plain"), built.raceDir, built.emulator
}

func clis(t *testing.T) []string {
	t.Helper()
	if *flagCLIs != "" {
		return strings.Split(*flagCLIs, ",")
	}
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "bin", "terraform")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no CLI at %s: run `make tools` or pass -chaos.clis", p)
	}
	return []string{p}
}

func mixes(t *testing.T) []Mix {
	t.Helper()
	if *flagMixes == "" {
		return Mixes
	}
	var out []Mix
	for _, name := range strings.Split(*flagMixes, ",") {
		m, ok := MixNamed(name)
		if !ok {
			t.Fatalf("no fault mix %q", name)
		}
		out = append(out, m)
	}
	return out
}

// raceMixes are the mixes -chaos.race names; "all" is the last one, "all
// together".
func raceMixes() map[string]bool {
	out := map[string]bool{}
	if *flagRace == "none" || *flagRace == "" {
		return out
	}
	for _, name := range strings.Split(*flagRace, ",") {
		out[name] = true
	}
	return out
}

func short(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the provider and runs the CLI")
	}
}

// TestFaultMixes runs every mix under every CLI and requires, for each:
// the first apply exits 0, state equals the server (no orphan, duplicate or
// lost instance), the next plan is empty, an update of every instance
// succeeds, and destroy leaves nothing; with the race detector on the
// mixes -chaos.race names, no race report and no panic.
func TestFaultMixes(t *testing.T) {
	short(t)
	for _, cli := range clis(t) {
		for _, mix := range mixes(t) {
			variants := []bool{false}
			if raceMixes()[mix.Name] {
				variants = []bool{true} // the race build runs the same checks, and more
			}
			for _, race := range variants {
				name := filepath.Base(cli) + "/" + mix.Name
				if race {
					name += "/race"
				}
				t.Run(name, func(t *testing.T) {
					plain, raceDir, emu := binaries(t, race)
					s := Setup{CLI: cli, ProviderDir: plain, EmulatorBin: emu, N: *flagN}
					if race {
						s.ProviderDir, s.RaceDir = raceDir, t.TempDir()
					}
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
					defer cancel()
					row, err := Run(ctx, s, mix)
					tableMu.Lock()
					rows = append(rows, row)
					tableMu.Unlock()
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range row.Failures {
						t.Error(f)
					}
					if !row.OK() {
						t.Errorf("%s: first apply ok %v, orphans %d, duplicates %d, lost %d, plan empty %v, updated %d/%d (%v), leftovers %d",
							mix.Name, row.FirstApplyOK, row.Orphans, row.Duplicates, row.Lost, row.PlanEmpty, row.Updated, row.N, row.UpdateOK, row.Leftovers)
					}
				})
			}
		}
	}
}

// TestInterruptedApplies: SIGINT mid-apply stops the CLI gracefully with
// state matching the server; after SIGKILL mid-apply, with instances made
// on the platform that Terraform never recorded, the next apply adopts them
// (the create journal) and makes no duplicate.
func TestInterruptedApplies(t *testing.T) {
	short(t)
	for _, cli := range clis(t) {
		cases := []struct {
			sig     syscall.Signal
			journal bool
		}{{syscall.SIGINT, true}, {syscall.SIGKILL, true}}
		if *flagControl {
			cases = append(cases, struct {
				sig     syscall.Signal
				journal bool
			}{syscall.SIGKILL, false})
		}
		for _, c := range cases {
			name := filepath.Base(cli) + "/" + sigName(c.sig)
			if !c.journal {
				name += "/journal-off"
			}
			t.Run(name, func(t *testing.T) {
				plain, _, emu := binaries(t, false)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
				defer cancel()
				r, err := Interrupt(ctx, Setup{CLI: cli, ProviderDir: plain, EmulatorBin: emu, N: *flagInterrupt}, c.sig, c.journal)
				tableMu.Lock()
				intRows = append(intRows, r)
				tableMu.Unlock()
				if err != nil {
					t.Fatal(err)
				}
				checkInterrupted(t, r)
			})
		}
	}
}

func checkInterrupted(t *testing.T, r Interrupted) {
	t.Helper()
	for _, f := range r.Failures {
		t.Error(f)
	}
	if r.ExitCode == 0 {
		t.Errorf("the interrupted apply exited 0")
	}
	at := r.AtSignal
	switch r.Signal {
	case syscall.SIGINT:
		// Graceful: what was made is recorded, nothing more was started.
		if at.Orphans != 0 || at.Lost != 0 || at.Duplicates != 0 {
			t.Errorf("after SIGINT the state does not match the server: %+v", at)
		}
		if at.InState == 0 || at.InState >= r.N {
			t.Errorf("after SIGINT %d of %d instances are in state: the interrupt did not stop the apply midway", at.InState, r.N)
		}
	case syscall.SIGKILL:
		// The premise: instances the platform made that Terraform never recorded.
		if at.Orphans == 0 {
			t.Fatalf("after SIGKILL no instance was made without being recorded (%+v): nothing to adopt, the test proves nothing", at)
		}
	}
	after := r.After
	if !r.Journal {
		// The control: without the journal the same run duplicates what
		// the killed apply made, and destroy leaves those behind.
		if after.Duplicates == 0 || after.Orphans == 0 || r.Leftovers != after.Orphans {
			t.Errorf("with create_journal off the apply after a SIGKILL left %+v and %d after destroy; want duplicates, as orphans destroy leaves: the scenario does not exercise the journal", after, r.Leftovers)
		}
		return
	}
	if !r.Reapplied || after.InState != r.N || after.Lost != 0 || after.Orphans != 0 || after.Duplicates != 0 {
		t.Errorf("the apply after: exit 0 %v, %+v; want %d in state, none lost, orphaned or duplicated", r.Reapplied, after, r.N)
	}
	// What the killed apply made is adopted, not sent again.
	if want := r.N - at.InState - at.Orphans; r.Posts != want {
		t.Errorf("the apply after sent %d creates, want %d: %d of %d were in state and %d made but not recorded", r.Posts, want, at.InState, r.N, at.Orphans)
	}
	if r.Signal == syscall.SIGKILL && !r.Warned {
		t.Errorf("the apply after adopted instances without the warning %q", AdoptedWarning)
	}
	if !r.PlanEmpty || r.Leftovers != 0 {
		t.Errorf("plan empty %v, %d left after destroy", r.PlanEmpty, r.Leftovers)
	}
}
