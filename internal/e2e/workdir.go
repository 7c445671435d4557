package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WorkdirOptions says how a Workdir runs its CLI.
type WorkdirOptions struct {
	// CLI is the terraform or tofu executable.
	CLI string
	// ProviderDir holds terraform-provider-opencon (see BuildProvider); the
	// Workdir's own CLI configuration points dev_overrides at it, so nothing
	// is installed and `init` is not needed.
	ProviderDir string
	// Emulator, when set, is what the provider talks to: OPENCON_BASE_URL
	// and the secrets are set from it.
	Emulator *Emulator
	// Dir is the working directory; empty makes a temporary one that Close removes.
	Dir string
	// Parallelism is passed as -parallelism to apply, plan and destroy; 0 leaves the CLI's default (10).
	Parallelism int
	// Env is added to the CLI's environment last, e.g. "TF_LOG=DEBUG" or
	// "OPENCON_CPUPROFILE=/tmp/cpu-%p.pprof".
	Env []string
	// SampleInterval is how often /proc is read while a command runs; default 10ms.
	SampleInterval time.Duration
}

// Workdir is a Terraform working directory with a CLI configuration of its own.
type Workdir struct {
	opts    WorkdirOptions
	dir     string
	tempDir bool
	env     []string
}

// NewWorkdir prepares a working directory. Nothing of the caller's TF_* or
// OPENCON_* environment reaches the CLI.
func NewWorkdir(opts WorkdirOptions) (*Workdir, error) {
	if opts.CLI == "" {
		return nil, errors.New("e2e: WorkdirOptions.CLI is empty")
	}
	cli, err := filepath.Abs(opts.CLI)
	if err != nil {
		return nil, err
	}
	opts.CLI = cli
	if opts.SampleInterval <= 0 {
		opts.SampleInterval = 10 * time.Millisecond
	}
	w := &Workdir{opts: opts, dir: opts.Dir}
	if w.dir == "" {
		if w.dir, err = os.MkdirTemp("", "opencon-e2e-"); err != nil {
			return nil, err
		}
		w.tempDir = true
	} else if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, err
	}

	rc := filepath.Join(w.dir, ".terraformrc")
	var cfg strings.Builder
	cfg.WriteString("provider_installation {\n")
	if opts.ProviderDir != "" {
		pd, err := filepath.Abs(opts.ProviderDir)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&cfg, "  dev_overrides {\n    %q = %q\n    %q = %q\n  }\n",
			"registry.terraform.io/opencon/opencon", pd, "registry.opentofu.org/opencon/opencon", pd)
	}
	cfg.WriteString("  direct {}\n}\n")
	if err := os.WriteFile(rc, []byte(cfg.String()), 0o600); err != nil {
		return nil, err
	}

	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "OPENCON_") && !strings.HasPrefix(kv, "CHECKPOINT_") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	if opts.Emulator != nil {
		w.env = append(w.env, "OPENCON_BASE_URL="+opts.Emulator.APIURL(),
			"OPENCON_USER_SECRET="+UserSecret, "OPENCON_ORGANIZATION_SECRET="+OrganizationSecret)
	}
	w.env = append(w.env, opts.Env...)
	return w, nil
}

// Dir is the working directory.
func (w *Workdir) Dir() string { return w.dir }

// WithEnv returns a Workdir on the same directory whose commands also get
// env, e.g. a profile path that names the command.
func (w *Workdir) WithEnv(env ...string) *Workdir {
	c := *w
	c.env = append(append([]string(nil), w.env...), env...)
	c.tempDir = false // the original owns the directory
	return &c
}

// Close removes the working directory if NewWorkdir made it.
func (w *Workdir) Close() error {
	if w.tempDir {
		return os.RemoveAll(w.dir)
	}
	return nil
}

// WriteConfig replaces the configuration with main.tf holding hcl.
func (w *Workdir) WriteConfig(hcl string) error {
	return os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(hcl), 0o644)
}

// Result is one CLI command: its outcome and what it cost.
type Result struct {
	Args     []string
	ExitCode int
	Output   string // stdout and stderr
	Wall     time.Duration
	// TotalCPU is user+system time of the CLI and every child it waited
	// for (the provider processes), as wait4 reports it.
	TotalCPU time.Duration
	// CLI is what was sampled of the CLI process itself.
	CLI ProcessStats
	// Plugins are the terraform-provider-* processes the CLI started, in order.
	Plugins []ProcessStats
}

// PluginCPU is the CPU time of all provider processes.
func (r *Result) PluginCPU() time.Duration {
	var d time.Duration
	for _, p := range r.Plugins {
		d += p.CPU
	}
	return d
}

// CoreCPU is the CPU time of the CLI itself: TotalCPU less PluginCPU.
func (r *Result) CoreCPU() time.Duration {
	if d := r.TotalCPU - r.PluginCPU(); d > 0 {
		return d
	}
	return 0
}

// PluginPeakRSS is the largest VmHWM of any provider process, in bytes.
func (r *Result) PluginPeakRSS() int64 {
	var m int64
	for _, p := range r.Plugins {
		m = max(m, p.PeakRSS)
	}
	return m
}

// Err is nil when the command exited 0 (or, for Plan, 0 or 2); otherwise
// it carries the tail of the output.
func (r *Result) Err() error {
	if r.ExitCode == 0 || (r.ExitCode == 2 && isPlan(r.Args)) {
		return nil
	}
	out := r.Output
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	return fmt.Errorf("e2e: %s exited %d:\n%s", strings.Join(r.Args, " "), r.ExitCode, out)
}

func isPlan(args []string) bool {
	return len(args) > 0 && args[0] == "plan" && contains(args, "-detailed-exitcode")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Run runs the CLI with args in the working directory, sampling the CLI and
// its provider processes while it runs. The error is about running it at
// all; check Result.Err for the exit status.
func (w *Workdir) Run(ctx context.Context, args ...string) (*Result, error) {
	r, err := w.Start(ctx, args...)
	if err != nil {
		return nil, err
	}
	return r.Wait()
}

// Running is a CLI command that Start started and Wait has not yet reaped.
type Running struct {
	args    []string
	cmd     *exec.Cmd
	out     *lockedBuffer
	start   time.Time
	sampler *procSampler
}

// Start starts the CLI with args in the working directory, as Run does,
// and returns at once, so that the caller can signal it midway.
func (w *Workdir) Start(ctx context.Context, args ...string) (*Running, error) {
	cmd := exec.CommandContext(ctx, w.opts.CLI, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Running{args: args, cmd: cmd, out: out, start: start,
		sampler: startSampler(cmd.Process.Pid, w.opts.SampleInterval, isProviderExe)}, nil
}

// Signal sends sig to the CLI process (not to its provider processes).
func (r *Running) Signal(sig os.Signal) error { return r.cmd.Process.Signal(sig) }

// Output is what the CLI has written so far.
func (r *Running) Output() string { return r.out.String() }

// PluginPIDs are the provider processes seen so far.
func (r *Running) PluginPIDs() []int {
	r.sampler.mu.Lock()
	defer r.sampler.mu.Unlock()
	return append([]int(nil), r.sampler.order...)
}

// Wait waits for the CLI to exit and returns what Run returns.
func (r *Running) Wait() (*Result, error) {
	waitErr := r.cmd.Wait()
	wall := time.Since(r.start)
	self, plugins := r.sampler.finish()
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return nil, waitErr
	}
	st := r.cmd.ProcessState
	return &Result{
		Args: r.args, ExitCode: st.ExitCode(), Output: r.out.String(), Wall: wall,
		TotalCPU: st.UserTime() + st.SystemTime(), CLI: self, Plugins: plugins,
	}, nil
}

// lockedBuffer is the output of a running command, readable while it grows.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func isProviderExe(exe string) bool {
	return strings.HasPrefix(filepath.Base(exe), "terraform-provider-")
}

func (w *Workdir) withParallelism(args ...string) []string {
	args = append(args, "-input=false", "-no-color")
	if w.opts.Parallelism > 0 {
		args = append(args, "-parallelism="+strconv.Itoa(w.opts.Parallelism))
	}
	return args
}

// Init runs `init`. With dev_overrides it is needed only for other providers.
func (w *Workdir) Init(ctx context.Context) (*Result, error) {
	return w.checked(w.Run(ctx, "init", "-input=false", "-no-color"))
}

// Apply runs `apply -auto-approve`.
func (w *Workdir) Apply(ctx context.Context) (*Result, error) {
	return w.checked(w.Run(ctx, w.ApplyArgs()...))
}

// ApplyArgs are the arguments Apply runs the CLI with, for Start.
func (w *Workdir) ApplyArgs() []string { return w.withParallelism("apply", "-auto-approve") }

// Plan runs `plan -detailed-exitcode`; changes reports exit code 2.
func (w *Workdir) Plan(ctx context.Context) (res *Result, changes bool, err error) {
	res, err = w.checked(w.Run(ctx, w.withParallelism("plan", "-detailed-exitcode")...))
	return res, res != nil && res.ExitCode == 2, err
}

// Destroy runs `destroy -auto-approve`.
func (w *Workdir) Destroy(ctx context.Context) (*Result, error) {
	return w.checked(w.Run(ctx, w.withParallelism("destroy", "-auto-approve")...))
}

func (w *Workdir) checked(res *Result, err error) (*Result, error) {
	if err != nil {
		return nil, err
	}
	return res, res.Err()
}

// StateFile is the path of the local state.
func (w *Workdir) StateFile() string { return filepath.Join(w.dir, "terraform.tfstate") }

// StateSize is the size of the local state file in bytes; 0 when there is none.
func (w *Workdir) StateSize() int64 {
	fi, err := os.Stat(w.StateFile())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// StateIDs returns the "id" attribute of every instance of resources of
// type typ in the local state, e.g. the instance ids of "opencon_instance".
func (w *Workdir) StateIDs(typ string) ([]string, error) {
	b, err := os.ReadFile(w.StateFile())
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(bytes.TrimSpace(b)) == 0) {
		// A CLI killed before it wrote any state leaves the file empty;
		// the CLI itself reads that as no state.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("e2e: reading %s: %w", w.StateFile(), err)
	}
	var ids []string
	for _, r := range st.Resources {
		if r.Mode != "managed" || r.Type != typ {
			continue
		}
		for _, in := range r.Instances {
			ids = append(ids, in.Attributes.ID)
		}
	}
	return ids, nil
}
