// Package bench measures the provider end to end: N NetSuite opencon_instance
// resources against N terraform_data resources, apply + no-op plan + destroy
// through the real CLI against the emulator, interleaved over several rounds.
//
// terraform_data is handled inside the CLI, so its time is Terraform core's
// own cost for N resources. With the emulator's latency L and the CLI's
// parallelism P, the API alone needs calls*L/P; the provider's target is
// (baseline + that ideal API time), and Ratio says how far it is from it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

// Variant is what a run manages.
type Variant string

const (
	Opencon       Variant = "opencon_instance"
	TerraformData Variant = "terraform_data"
)

// Op is one CLI command of a cycle.
type Op string

const (
	Apply   Op = "apply"
	Plan    Op = "plan"
	Destroy Op = "destroy"
)

// Ops are the commands of one cycle, in order.
var Ops = []Op{Apply, Plan, Destroy}

// minCalls is the number of API calls per instance an operation cannot do
// without: a POST to create, a GET to refresh, a GET (refresh) and a DELETE
// to destroy.
var minCalls = map[Op]int{Apply: 1, Plan: 1, Destroy: 2}

// Config says what to measure.
type Config struct {
	CLI            string          // terraform or tofu
	ProviderDir    string          // holds terraform-provider-opencon
	EmulatorBinary string          // opencon-emulator
	Ns             []int           // instance counts, e.g. 100 and 500
	Latencies      []time.Duration // emulator latencies, e.g. 0 and 50ms
	Rounds         int
	Parallelism    int
	// ProfileDir, when set, makes every opencon provider process write CPU
	// and heap profiles there, named after latency, N, round and command.
	ProfileDir string
	// Env is added to the CLI's environment, and so the provider's, in
	// every run of both variants: for what-if measurements such as
	// TF_LOG_SDK=OFF.
	Env []string
	// WorkDir holds the working directories; empty means a temporary one.
	WorkDir string
	// Log receives a line per cycle; nil discards.
	Log io.Writer
}

// Sample is one CLI command of one cycle.
type Sample struct {
	Latency time.Duration `json:"latency"`
	N       int           `json:"n"`
	Round   int           `json:"round"`
	Variant Variant       `json:"variant"`
	Op      Op            `json:"op"`

	Wall          time.Duration `json:"wall"`
	CoreCPU       time.Duration `json:"core_cpu"`
	PluginCPU     time.Duration `json:"plugin_cpu"`
	PluginPeakRSS int64         `json:"plugin_peak_rss"`
	PluginProcs   int           `json:"plugin_processes"`
	CLIPeakRSS    int64         `json:"cli_peak_rss"`
	EmulatorCPU   time.Duration `json:"emulator_cpu"`
	APICalls      int           `json:"api_calls"`
	Calls         e2e.Stats     `json:"calls"`
	// StateBytes is the size of the state file after the command.
	StateBytes int64 `json:"state_bytes"`
}

// Run measures every combination of cfg and returns the samples.
func Run(ctx context.Context, cfg Config) ([]Sample, error) {
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	if len(cfg.Ns) == 0 || len(cfg.Latencies) == 0 {
		return nil, errors.New("bench: no N or no latency to measure")
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	work := cfg.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "opencon-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		work = dir
	}

	var samples []Sample
	for _, lat := range cfg.Latencies {
		emu, err := e2e.StartEmulator(ctx, e2e.EmulatorOptions{Binary: cfg.EmulatorBinary, Latency: lat, Seed: 1, Stderr: os.Stderr})
		if err != nil {
			return samples, err
		}
		dirs := map[string]*e2e.Workdir{}
		workdir := func(n int, v Variant) (*e2e.Workdir, error) {
			key := fmt.Sprintf("%s-n%d-%s", lat, n, v)
			if wd, ok := dirs[key]; ok {
				return wd, nil
			}
			wd, err := e2e.NewWorkdir(e2e.WorkdirOptions{
				CLI: cfg.CLI, ProviderDir: cfg.ProviderDir, Emulator: emu,
				Dir: filepath.Join(work, key), Parallelism: cfg.Parallelism, Env: cfg.Env,
			})
			if err != nil {
				return nil, err
			}
			dirs[key] = wd
			return wd, nil
		}
		for round := 1; round <= cfg.Rounds; round++ {
			for _, n := range cfg.Ns {
				// Interleaved, and alternating which goes first, so that a
				// machine busy with something else burdens both alike.
				order := []Variant{Opencon, TerraformData}
				if round%2 == 0 {
					order[0], order[1] = order[1], order[0]
				}
				for _, v := range order {
					wd, err := workdir(n, v)
					if err != nil {
						_ = emu.Close()
						return samples, err
					}
					cycle, err := runCycle(ctx, cfg, emu, wd, lat, n, round, v)
					samples = append(samples, cycle...)
					if err != nil {
						_ = emu.Close()
						return samples, err
					}
					_, _ = fmt.Fprintf(logw, "latency %-5s round %d/%d  N=%-4d %-16s %s\n", lat, round, cfg.Rounds, n, v, cycleLine(cycle))
				}
			}
		}
		if err := emu.Close(); err != nil {
			return samples, fmt.Errorf("bench: stopping the emulator: %w", err)
		}
	}
	return samples, nil
}

func cycleLine(cycle []Sample) string {
	s := ""
	var total time.Duration
	for _, c := range cycle {
		s += fmt.Sprintf("%s %6.2fs  ", c.Op, c.Wall.Seconds())
		total += c.Wall
	}
	return s + fmt.Sprintf("cycle %6.2fs", total.Seconds())
}

// runCycle applies n resources of variant v, plans (expecting no change) and destroys them.
func runCycle(ctx context.Context, cfg Config, emu *e2e.Emulator, wd *e2e.Workdir, lat time.Duration, n, round int, v Variant) ([]Sample, error) {
	prefix := "bench-r" + strconv.Itoa(round)
	hcl := e2e.InstancesConfig(n, prefix)
	if v == TerraformData {
		hcl = e2e.TerraformDataConfig(n, prefix)
	}
	if err := wd.WriteConfig(hcl); err != nil {
		return nil, err
	}
	var out []Sample
	for _, op := range Ops {
		run := wd
		if cfg.ProfileDir != "" && v == Opencon {
			name := fmt.Sprintf("lat%s-n%d-r%d-%s", lat, n, round, op)
			run = wd.WithEnv(
				"OPENCON_CPUPROFILE="+filepath.Join(cfg.ProfileDir, name+"-cpu-%p.pprof"),
				"OPENCON_MEMPROFILE="+filepath.Join(cfg.ProfileDir, name+"-mem-%p.pprof"))
		}
		if err := emu.ResetStats(ctx); err != nil {
			return out, err
		}
		emuBefore := emu.CPU()
		var res *e2e.Result
		var err error
		switch op {
		case Apply:
			res, err = run.Apply(ctx)
		case Plan:
			var changes bool
			res, changes, err = run.Plan(ctx)
			if err == nil && changes {
				err = fmt.Errorf("bench: the plan after applying %d %s has changes:\n%s", n, v, res.Output)
			}
		case Destroy:
			res, err = run.Destroy(ctx)
		}
		if err != nil {
			if op != Destroy {
				_, _ = wd.Destroy(ctx) // leave the emulator and state clean for the next one
			}
			return out, err
		}
		stats, err := emu.Stats(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, Sample{
			Latency: lat, N: n, Round: round, Variant: v, Op: op,
			Wall: res.Wall, CoreCPU: res.CoreCPU(), PluginCPU: res.PluginCPU(),
			PluginPeakRSS: res.PluginPeakRSS(), PluginProcs: len(res.Plugins), CLIPeakRSS: res.CLI.PeakRSS,
			EmulatorCPU: emu.CPU() - emuBefore, APICalls: stats.APICalls(), Calls: stats,
			StateBytes: wd.StateSize(),
		})
	}
	return out, nil
}
