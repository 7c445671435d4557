// Command opencon-bench measures the provider end to end (`make bench`):
// N NetSuite opencon_instance resources against N terraform_data resources,
// apply + no-op plan + destroy through the real CLI against the emulator,
// interleaved over several rounds, and prints medians as Markdown.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/bench"
	"github.com/opencon/terraform-provider-opencon/internal/e2e"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "opencon-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cli         = flag.String("cli", "bin/terraform", "the Terraform or OpenTofu CLI")
		providerDir = flag.String("provider-dir", "", "directory holding a built terraform-provider-opencon (default: build one)")
		emuBin      = flag.String("emulator", "", "a built opencon-emulator (default: build one)")
		ns          = flag.String("n", "100,500", "comma-separated instance counts")
		latencies   = flag.String("latency", "0,50ms", "comma-separated emulator latencies")
		rounds      = flag.Int("rounds", 3, "rounds; each runs every N for both variants")
		parallelism = flag.Int("parallelism", 10, "the CLI's -parallelism")
		profileDir  = flag.String("profile-dir", "", "write CPU and heap profiles of every provider process here (slows it a little)")
		jsonOut     = flag.String("json", "", "also write every sample to this file as JSON")
		report      = flag.String("report", "", "print the report of a file written by -json, measuring nothing")
		env         envList
	)
	flag.Var(&env, "env", "KEY=VALUE added to the CLI's and the provider's environment in every run; repeatable")
	flag.Parse()

	if *report != "" {
		return printReport(*report, *cli)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := bench.Config{Rounds: *rounds, Parallelism: *parallelism, Env: env, Log: os.Stderr}
	var err error
	if cfg.Ns, err = parseList(*ns, strconv.Atoi); err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	if cfg.Latencies, err = parseList(*latencies, parseLatency); err != nil {
		return fmt.Errorf("-latency: %w", err)
	}
	if cfg.CLI, err = filepath.Abs(*cli); err != nil {
		return err
	}
	if *profileDir != "" {
		if cfg.ProfileDir, err = filepath.Abs(*profileDir); err != nil {
			return err
		}
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return err
		}
	}

	cfg.ProviderDir, cfg.EmulatorBinary = *providerDir, *emuBin
	if cfg.ProviderDir == "" || cfg.EmulatorBinary == "" {
		root, err := e2e.ModuleRoot()
		if err != nil {
			return err
		}
		tmp, err := os.MkdirTemp("", "opencon-bench-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if cfg.ProviderDir == "" {
			fmt.Fprintln(os.Stderr, "building the provider …")
			if _, err := e2e.BuildProvider(ctx, root, tmp); err != nil {
				return err
			}
			cfg.ProviderDir = tmp
		}
		if cfg.EmulatorBinary == "" {
			if cfg.EmulatorBinary, err = e2e.BuildEmulator(ctx, root, tmp); err != nil {
				return err
			}
		}
	}

	machine := bench.DescribeMachine(ctx, cfg.CLI)
	samples, err := bench.Run(ctx, cfg)
	machine.Finish()
	if *jsonOut != "" && len(samples) > 0 {
		b, _ := json.MarshalIndent(saved{Machine: machine, CLI: cfg.CLI, Parallelism: cfg.Parallelism, Env: env, Samples: samples}, "", "  ")
		if werr := os.WriteFile(*jsonOut, b, 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	if len(samples) > 0 {
		if len(env) > 0 {
			fmt.Printf("Extra environment in every run: %s\n\n", env.String())
		}
		bench.WriteMarkdown(os.Stdout, machine, cfg.CLI, bench.Summarize(samples, cfg.Parallelism))
	}
	return err
}

// saved is what -json writes and -report reads.
type saved struct {
	Machine     bench.Machine  `json:"machine"`
	CLI         string         `json:"cli"`
	Parallelism int            `json:"parallelism"`
	Env         []string       `json:"env,omitempty"`
	Samples     []bench.Sample `json:"samples"`
}

func printReport(file, cli string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var s saved
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if s.CLI != "" {
		cli = s.CLI
	}
	if len(s.Env) > 0 {
		fmt.Printf("Extra environment in every run: %s\n\n", strings.Join(s.Env, " "))
	}
	bench.WriteMarkdown(os.Stdout, s.Machine, cli, bench.Summarize(s.Samples, s.Parallelism))
	return nil
}

// envList collects repeated -env flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(kv string) error {
	if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", kv)
	}
	*e = append(*e, kv)
	return nil
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseLatency accepts a Go duration, or a bare 0.
func parseLatency(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	return time.ParseDuration(s)
}
