// Package chaos runs opencon_instance through a real CLI against the
// emulator binary under fault mixes (5xx, dropped answers, 429 storms with
// Retry-After, latency jitter, all together) and after interrupted applies,
// and counts what a user would care about: did the apply succeed, does the
// state match the server (no orphan, duplicate or lost instance), is the next
// plan empty, does an update of every instance succeed, does destroy leave
// nothing behind. `make chaos` prints those figures as a table; the tests in
// this package assert them.
package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

// Mix is one fault mix of the emulator.
type Mix struct {
	Name string
	// Emulator holds the fault flags; Binary and Seed are filled in by Run.
	Emulator e2e.EmulatorOptions
}

// Mixes are the fault mixes of the suite, each with a fixed seed.
var Mixes = []Mix{
	{Name: "5xx", Emulator: e2e.EmulatorOptions{ErrorRate: 0.1, Seed: 101}},
	{Name: "drops", Emulator: e2e.EmulatorOptions{DropRate: 0.1, Seed: 102}},
	// Every three seconds a storm of one second answers every call 429
	// with the storm's remaining seconds as Retry-After; between storms, a
	// limit of 20 requests a second answers 429 too.
	{Name: "429-storms", Emulator: e2e.EmulatorOptions{StormEvery: 3 * time.Second, StormLength: time.Second, RateLimit: 20, Seed: 103}},
	{Name: "jitter", Emulator: e2e.EmulatorOptions{Latency: 20 * time.Millisecond, LatencyJitter: 300 * time.Millisecond, Seed: 104}},
	{Name: "all", Emulator: e2e.EmulatorOptions{
		ErrorRate: 0.05, DropRate: 0.05, StormEvery: 7 * time.Second, StormLength: time.Second,
		Latency: 10 * time.Millisecond, LatencyJitter: 150 * time.Millisecond, Seed: 105,
	}},
}

// MixNamed returns the mix called name.
func MixNamed(name string) (Mix, bool) {
	i := slices.IndexFunc(Mixes, func(m Mix) bool { return m.Name == name })
	if i < 0 {
		return Mix{}, false
	}
	return Mixes[i], true
}

// Setup is what every run shares.
type Setup struct {
	CLI         string // terraform or tofu executable
	ProviderDir string // holds terraform-provider-opencon (e2e.BuildProvider or BuildProviderRace)
	EmulatorBin string // opencon-emulator
	N           int    // instances
	Parallelism int    // 0: the CLI's default, 10
	// RaceDir, when set, is where the race-enabled provider of ProviderDir
	// writes its reports (e2e.RaceLogEnv); a report fails the run.
	RaceDir string
	// Provider is the body of the provider block; the suite raises
	// max_retries so that ten per cent of faults cannot beat every retry
	// of one call by bad luck.
	Provider string
}

// DefaultProvider is the provider block body the suite uses.
const DefaultProvider = "max_retries = 8"

// start starts the emulator binary with opts and a working directory for
// it; stop ends both.
func (s Setup) start(ctx context.Context, opts e2e.EmulatorOptions) (emu *e2e.Emulator, wd *e2e.Workdir, stop func(), err error) {
	opts.Binary = s.EmulatorBin
	if emu, err = e2e.StartEmulator(ctx, opts); err != nil {
		return nil, nil, nil, err
	}
	var env []string
	if s.RaceDir != "" {
		env = append(env, e2e.RaceLogEnv(s.RaceDir))
	}
	wd, err = e2e.NewWorkdir(e2e.WorkdirOptions{CLI: s.CLI, ProviderDir: s.ProviderDir, Emulator: emu, Parallelism: s.Parallelism, Env: env})
	if err != nil {
		_ = emu.Close()
		return nil, nil, nil, err
	}
	return emu, wd, func() { _ = wd.Close(); _ = emu.Close() }, nil
}

// Row is the outcome of one mix: the figures `make chaos` prints.
type Row struct {
	CLI  string
	Mix  string
	N    int
	Race bool

	FirstApplyOK bool
	// After the first apply: instances on the server not in state,
	// instances of one resource's name beyond the first, and instances in
	// state the server does not hold.
	Orphans, Duplicates, Lost int
	PlanEmpty                 bool
	Updated                   int // instances the server holds with the updated configuration
	UpdateOK                  bool
	Leftovers                 int // instances on the server after destroy
	// Faults are the faults the emulator injected over the mix, by kind.
	Faults           map[string]int
	FirstApply, Wall time.Duration
	// Failures says what went wrong, with the CLI's output where it helps.
	Failures []string
}

// OK reports whether the row shows what the suite requires.
func (r Row) OK() bool {
	return r.FirstApplyOK && r.Orphans == 0 && r.Duplicates == 0 && r.Lost == 0 && r.PlanEmpty &&
		r.UpdateOK && r.Updated == r.N && r.Leftovers == 0 && len(r.Failures) == 0
}

func (r *Row) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Counts compares a state with the server.
type Counts struct {
	InState, OnServer         int
	Orphans, Duplicates, Lost int
}

// Compare counts, for the instances named prefix-<i>, those on the server
// and not in state, the duplicates of a name, and those in state and not on
// the server.
func Compare(ctx context.Context, wd *e2e.Workdir, emu *e2e.Emulator, prefix string) (Counts, error) {
	ids, err := wd.StateIDs("opencon_instance")
	if err != nil {
		return Counts{}, err
	}
	server, err := emu.Instances(ctx)
	if err != nil {
		return Counts{}, err
	}
	inState := map[string]bool{}
	for _, id := range ids {
		inState[id] = true
	}
	c := Counts{InState: len(ids)}
	onServer := map[string]bool{}
	byName := map[string]int{}
	for _, in := range server {
		if !strings.HasPrefix(in.Name, prefix+"-") {
			continue
		}
		c.OnServer++
		id := strconv.FormatInt(in.ID, 10)
		onServer[id] = true
		if !inState[id] {
			c.Orphans++
		}
		if byName[in.Name]++; byName[in.Name] > 1 {
			c.Duplicates++
		}
	}
	for _, id := range ids {
		if !onServer[id] {
			c.Lost++
		}
	}
	return c, nil
}

// Config is the configuration of n instances prefix-<i> with user.username
// = user and the given provider block body.
func Config(n int, prefix, user, provider string) string {
	return strings.Replace(e2e.InstancesConfigUser(n, prefix, user), `provider "opencon" {}`, "provider \"opencon\" {\n  "+provider+"\n}", 1)
}

// Crashes returns the signs of a provider panic or data race in a CLI's
// output, and the race reports the provider wrote to raceDir.
func Crashes(output, raceDir string) []string {
	var out []string
	for _, sign := range []string{"panic:", "Stack trace from the", "plugin crashed", "WARNING: DATA RACE"} {
		if strings.Contains(output, sign) {
			out = append(out, fmt.Sprintf("the CLI output shows %q:\n%s", sign, tail(output)))
		}
	}
	if raceDir != "" {
		reports, err := e2e.RaceReports(raceDir)
		if err != nil {
			out = append(out, err.Error())
		}
		for _, r := range reports {
			out = append(out, "race detector report:\n"+r)
		}
	}
	return out
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// Run runs one mix: first apply, comparison, plan, an update of every
// instance, destroy. It returns an error only when the run could not be
// made at all; what went wrong in it is in Row.Failures.
func Run(ctx context.Context, s Setup, mix Mix) (Row, error) {
	start := time.Now()
	row := Row{CLI: CLIName(ctx, s.CLI), Mix: mix.Name, N: s.N, Race: s.RaceDir != ""}
	emu, wd, stop, err := s.start(ctx, mix.Emulator)
	if err != nil {
		return row, err
	}
	defer stop()
	provider := s.Provider
	if provider == "" {
		provider = DefaultProvider
	}
	prefix := "chaos-" + mix.Name
	var outputs strings.Builder
	run := func(what string, f func() (*e2e.Result, error)) (*e2e.Result, bool) {
		res, err := f()
		if res != nil {
			outputs.WriteString(res.Output)
		}
		if err != nil {
			row.fail("%s: %v", what, err)
			return res, false
		}
		return res, true
	}

	if err := wd.WriteConfig(Config(s.N, prefix, "jane", provider)); err != nil {
		return row, err
	}
	res, ok := run("first apply", func() (*e2e.Result, error) { return wd.Apply(ctx) })
	row.FirstApplyOK = ok
	if res != nil {
		row.FirstApply = res.Wall
	}
	c, err := Compare(ctx, wd, emu, prefix)
	if err != nil {
		return row, err
	}
	row.Orphans, row.Duplicates, row.Lost = c.Orphans, c.Duplicates, c.Lost
	if c.InState != s.N {
		row.fail("first apply: %d instances in state, want %d", c.InState, s.N)
	}

	_, ok = run("plan", func() (*e2e.Result, error) {
		res, changes, err := wd.Plan(ctx)
		if err == nil && changes {
			err = fmt.Errorf("the plan after apply has changes:\n%s", tail(res.Output))
		}
		return res, err
	})
	row.PlanEmpty = ok

	if err := wd.WriteConfig(Config(s.N, prefix, "june", provider)); err != nil {
		return row, err
	}
	_, row.UpdateOK = run("update", func() (*e2e.Result, error) { return wd.Apply(ctx) })
	server, err := emu.Instances(ctx)
	if err != nil {
		return row, err
	}
	for _, in := range server {
		if strings.HasPrefix(in.Name, prefix+"-") && in.Config["user.username"] == "june" {
			row.Updated++
		}
	}
	if c, err := Compare(ctx, wd, emu, prefix); err != nil {
		return row, err
	} else if c.Orphans+c.Duplicates+c.Lost > 0 || c.InState != s.N {
		row.fail("after the update: %+v", c)
	}

	run("destroy", func() (*e2e.Result, error) { return wd.Destroy(ctx) })
	left, err := emu.Instances(ctx)
	if err != nil {
		return row, err
	}
	row.Leftovers = len(left)
	if row.Faults, err = emu.FaultCounts(ctx); err != nil {
		return row, err
	}
	for _, kind := range mix.Faults() {
		if row.Faults[kind] == 0 {
			row.fail("the mix injected no %q fault: it tested nothing of that kind", kind)
		}
	}
	row.Failures = append(row.Failures, Crashes(outputs.String(), s.RaceDir)...)
	row.Wall = time.Since(start)
	return row, nil
}

// Faults are the kinds of fault the mix must inject at least once.
func (m Mix) Faults() []string {
	var out []string
	o := m.Emulator
	if o.ErrorRate > 0 {
		out = append(out, "unavailable")
	}
	if o.DropRate > 0 {
		out = append(out, "drop")
	}
	if o.StormEvery > 0 || o.RateLimit > 0 {
		out = append(out, "rate_limited")
	}
	return out
}

// CLIName is the CLI's base name and version, e.g. "terraform 1.5.7".
func CLIName(ctx context.Context, cli string) string {
	name := filepath.Base(cli)
	if v := cliVersion(ctx, cli); v != "" {
		name = strings.TrimSuffix(name, "-"+v) + " " + v
	}
	return name
}

// WriteTable writes the rows as a Markdown table.
func WriteTable(w io.Writer, rows []Row) {
	var b bytes.Buffer
	b.WriteString("| CLI | mix | N | first apply | orphans | duplicates | lost | next plan | update | leftovers | faults (503 / drop / 429) | first apply wall | mix wall |\n")
	b.WriteString("|---|---|---:|---|---:|---:|---:|---|---|---:|---|---:|---:|\n")
	for _, r := range rows {
		mix := r.Mix
		if r.Race {
			mix += " (-race)"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %d | %d | %s | %s | %d | %d / %d / %d | %.1f s | %.1f s |\n",
			r.CLI, mix, r.N, okOr(r.FirstApplyOK, "exit 0", "FAILED"), r.Orphans, r.Duplicates, r.Lost,
			okOr(r.PlanEmpty, "empty", "CHANGES"), okOr(r.UpdateOK && r.Updated == r.N, fmt.Sprintf("%d/%d", r.Updated, r.N), fmt.Sprintf("FAILED %d/%d", r.Updated, r.N)),
			r.Leftovers, r.Faults["unavailable"], r.Faults["drop"], r.Faults["rate_limited"], r.FirstApply.Seconds(), r.Wall.Seconds())
	}
	_, _ = w.Write(b.Bytes())
}

func okOr(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// cliVersion asks the CLI its version, with an empty CLI configuration.
func cliVersion(ctx context.Context, cli string) string {
	wd, err := e2e.NewWorkdir(e2e.WorkdirOptions{CLI: cli})
	if err != nil {
		return ""
	}
	defer func() { _ = wd.Close() }()
	res, err := wd.Run(ctx, "version")
	if err != nil || res.ExitCode != 0 {
		return ""
	}
	// "Terraform v1.5.7" or "OpenTofu v1.12.6" on the first line.
	first, _, _ := strings.Cut(res.Output, "\n")
	if i := strings.LastIndex(first, " v"); i >= 0 {
		return strings.TrimSpace(first[i+2:])
	}
	return ""
}

// ProcessGone reports whether pid has exited (or become a zombie).
func ProcessGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}
