package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

func TestSummarizeMediansIdealAndRatio(t *testing.T) {
	const lat = 50 * time.Millisecond
	var samples []Sample
	add := func(v Variant, op Op, round int, wall time.Duration, calls int) {
		plugin := time.Duration(0)
		if v == Opencon {
			plugin = wall / 2
		}
		samples = append(samples, Sample{Latency: lat, N: 100, Round: round, Variant: v, Op: op, Wall: wall, APICalls: calls,
			CoreCPU: wall / 4, PluginCPU: plugin, PluginPeakRSS: int64(round) << 20, StateBytes: 320000})
	}
	for round, f := range []time.Duration{3, 1, 2} { // medians are the "2" round
		r := round + 1
		add(Opencon, Apply, r, f*time.Second, 100)
		add(Opencon, Plan, r, f*time.Second, 100)
		add(Opencon, Destroy, r, f*time.Second, 200)
		add(TerraformData, Apply, r, f*100*time.Millisecond, 0)
		add(TerraformData, Plan, r, f*100*time.Millisecond, 0)
		add(TerraformData, Destroy, r, f*100*time.Millisecond, 0)
	}
	s := Summarize(samples, 10)
	if len(s.Rows) != 4 {
		t.Fatalf("rows = %+v", s.Rows)
	}
	apply, destroy, cyc := s.Rows[0], s.Rows[2], s.Rows[3]
	if apply.Op != Apply || apply.Opencon != 2*time.Second || apply.Baseline != 200*time.Millisecond {
		t.Errorf("apply row = %+v", apply)
	}
	// 100 POSTs, 10 at a time, 50ms each: 0.5s.
	if apply.Ideal != 500*time.Millisecond || apply.CallsPerInstance != 1 {
		t.Errorf("apply ideal %v, calls/instance %v", apply.Ideal, apply.CallsPerInstance)
	}
	if want := 2.0 / 0.7; diff(apply.Ratio, want) > 1e-9 {
		t.Errorf("apply ratio = %v, want %v", apply.Ratio, want)
	}
	// CLI 0.5s + provider 1s against the CLI's 0.05s on terraform_data.
	if diff(apply.CPURatio, 30) > 1e-9 {
		t.Errorf("apply CPU ratio = %v, want 30", apply.CPURatio)
	}
	if destroy.Ideal != time.Second || destroy.MinCallsPerInstance != 2 || destroy.CallsPerInstance != 2 {
		t.Errorf("destroy row = %+v", destroy)
	}
	// The cycle is summed per round before the median: 6s, and 400 calls for 2s.
	if cyc.Op != cycle || cyc.Opencon != 6*time.Second || cyc.Baseline != 600*time.Millisecond || cyc.Ideal != 2*time.Second || cyc.CallsPerInstance != 4 {
		t.Errorf("cycle row = %+v", cyc)
	}
	if cyc.PluginPeakRSS != 3<<20 {
		t.Errorf("peak RSS %d is not the largest of the rounds", cyc.PluginPeakRSS)
	}
	if got := s.StatePerInstance[Opencon][100]; got != 3200 {
		t.Errorf("state per instance = %v", got)
	}
	var out bytes.Buffer
	WriteMarkdown(&out, Machine{CPUs: 2, CPUModel: "test"}, "/x/terraform", s)
	for _, want := range []string{"| 100 | apply | 2.00 s | 0.20 s | 0.50 s | 2.86× | 1.00 (min 1)", "| 100 | **cycle** | 6.00 s", "opencon_instance 3200 B"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, out.String())
		}
	}
}

func TestIdealAPITimeRoundsUpToWholeWaves(t *testing.T) {
	for _, c := range []struct {
		calls, par int
		want       time.Duration
	}{{100, 10, 10}, {101, 10, 11}, {5, 10, 1}, {0, 10, 0}} {
		if got := idealAPITime(c.calls, time.Millisecond, c.par); got != c.want*time.Millisecond {
			t.Errorf("idealAPITime(%d, 1ms, %d) = %v, want %v", c.calls, c.par, got, c.want*time.Millisecond)
		}
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestRunSmoke runs the bench itself once, N=2, one round, no latency.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider and runs the CLI")
	}
	ctx := context.Background()
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cli := os.Getenv("E2E_CLI")
	if cli == "" {
		cli = filepath.Join(root, "bin", "terraform")
		if _, err := os.Stat(cli); err != nil {
			t.Skipf("no CLI at %s: run `make tools` or set E2E_CLI", cli)
		}
	}
	// The machine's CLI configuration may point at a missing file; the
	// version must still be read (OpenTofu then prints a warning first).
	t.Setenv("TF_CLI_CONFIG_FILE", filepath.Join(t.TempDir(), "missing.tfrc"))
	if m := DescribeMachine(ctx, cli); m.CLIVersion == "" || m.CPUs == 0 {
		t.Errorf("machine = %+v", m)
	}
	bin := t.TempDir()
	if _, err := e2e.BuildProvider(ctx, root, bin); err != nil {
		t.Fatal(err)
	}
	emu, err := e2e.BuildEmulator(ctx, root, bin)
	if err != nil {
		t.Fatal(err)
	}
	profiles := t.TempDir()
	samples, err := Run(ctx, Config{CLI: cli, ProviderDir: bin, EmulatorBinary: emu, Ns: []int{2}, Latencies: []time.Duration{0},
		Rounds: 1, Parallelism: 2, ProfileDir: profiles, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 6 {
		t.Fatalf("%d samples, want 3 commands x 2 variants", len(samples))
	}
	for _, s := range samples {
		wantCalls := 0
		if s.Variant == Opencon {
			wantCalls = 2 * minCalls[s.Op]
			if s.PluginCPU <= 0 || s.PluginPeakRSS <= 0 || s.EmulatorCPU < 0 {
				t.Errorf("%s %s: provider not measured: %+v", s.Variant, s.Op, s)
			}
		} else if s.PluginProcs != 0 {
			t.Errorf("terraform_data %s started %d provider processes", s.Op, s.PluginProcs)
		}
		if s.APICalls != wantCalls {
			t.Errorf("%s %s: %d API calls (%v), want %d", s.Variant, s.Op, s.APICalls, s.Calls, wantCalls)
		}
		if s.Wall <= 0 {
			t.Errorf("%s %s: wall %v", s.Variant, s.Op, s.Wall)
		}
	}
	for _, op := range Ops {
		if files, _ := filepath.Glob(filepath.Join(profiles, "*-"+string(op)+"-cpu-*.pprof")); len(files) == 0 {
			t.Errorf("no CPU profile of %s", op)
		}
	}
}
