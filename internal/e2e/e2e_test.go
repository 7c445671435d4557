package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// built builds the provider and the emulator once for every test here and
// returns the provider's directory and the emulator's path.
func built(t *testing.T) (providerDir, emulatorBin string) {
	t.Helper()
	buildOnce.Do(func() {
		var root string
		if root, buildErr = ModuleRoot(); buildErr != nil {
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "opencon-e2e-bin-"); buildErr != nil {
			return
		}
		if _, buildErr = BuildProvider(context.Background(), root, buildDir); buildErr != nil {
			return
		}
		_, buildErr = BuildEmulator(context.Background(), root, buildDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir, filepath.Join(buildDir, "opencon-emulator")
}

// cli is the CLI the smoke test drives: $E2E_CLI, else the repository's bin/terraform.
func cli(t *testing.T, root string) string {
	t.Helper()
	if p := os.Getenv("E2E_CLI"); p != "" {
		return p
	}
	p := filepath.Join(root, "bin", "terraform")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no CLI at %s: run `make tools` or set E2E_CLI", p)
	}
	return p
}

// TestSmoke runs the whole harness once with two instances: build, start the
// emulator binary, apply, plan, destroy, and checks what each piece reports.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider and runs the CLI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cliPath := cli(t, root)
	bin, emuBin := built(t)
	emu, err := StartEmulator(ctx, EmulatorOptions{Binary: emuBin, Seed: 7, Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = emu.Close() }()
	if emu.PID() == 0 {
		t.Fatal("binary emulator without a pid")
	}

	profiles := t.TempDir()
	wd, err := NewWorkdir(WorkdirOptions{
		CLI: cliPath, ProviderDir: bin, Emulator: emu, Parallelism: 2,
		Env: []string{
			"OPENCON_CPUPROFILE=" + filepath.Join(profiles, "cpu-%p.pprof"),
			"OPENCON_MEMPROFILE=" + filepath.Join(profiles, "mem-%p.pprof"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = wd.Close() }()
	if err := wd.WriteConfig(InstancesConfig(2, "smoke")); err != nil {
		t.Fatal(err)
	}

	// apply: two creates, seen by the emulator, by the state and by /proc.
	if err := emu.ResetStats(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := wd.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	processes := len(res.Plugins)
	stats, err := emu.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats["POST /instances"] != 2 || stats.APICalls() != 2 {
		t.Errorf("apply made %v, want exactly 2 POST /instances", stats)
	}
	checkSampled(t, "apply", res)
	if res.Wall <= 0 || res.TotalCPU < res.PluginCPU() {
		t.Errorf("apply: wall %v, total CPU %v < plugin CPU %v", res.Wall, res.TotalCPU, res.PluginCPU())
	}
	checkStateMatchesServer(t, ctx, wd, emu, 2)
	if size := wd.StateSize(); size < 1000 {
		t.Errorf("state is %d bytes after creating two instances", size)
	}

	// plan: one GET per instance and no changes.
	if err := emu.ResetStats(ctx); err != nil {
		t.Fatal(err)
	}
	res, changes, err := wd.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if changes {
		t.Errorf("plan after apply has changes:\n%s", res.Output)
	}
	if stats, _ := emu.Stats(ctx); stats["GET /instances/{id}"] != 2 || stats.APICalls() != 2 {
		t.Errorf("plan made %v, want exactly 2 GET /instances/{id}", stats)
	}
	checkSampled(t, "plan", res)
	processes += len(res.Plugins)

	// destroy: the server is empty again.
	if err := emu.ResetStats(ctx); err != nil {
		t.Fatal(err)
	}
	res, err = wd.Destroy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats, _ := emu.Stats(ctx); stats["DELETE /instances/{id}"] != 2 {
		t.Errorf("destroy made %v, want 2 DELETE /instances/{id}", stats)
	}
	checkSampled(t, "destroy", res)
	processes += len(res.Plugins)
	checkStateMatchesServer(t, ctx, wd, emu, 0)

	// Every provider process Terraform ended wrote both profiles on its way out.
	for _, kind := range []string{"cpu", "mem"} {
		files, _ := filepath.Glob(filepath.Join(profiles, kind+"-*.pprof"))
		if len(files) < processes {
			t.Errorf("%d %s profiles written by %d provider processes", len(files), kind, processes)
		}
		for _, f := range files {
			checkGzip(t, f)
		}
	}

	// The baseline: terraform_data runs inside the CLI, with no provider process.
	if err := wd.WriteConfig(TerraformDataConfig(2, "smoke")); err != nil {
		t.Fatal(err)
	}
	res, err = wd.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plugins) != 0 {
		t.Errorf("terraform_data started provider processes: %+v", res.Plugins)
	}
	if res.CLI.Samples == 0 || res.CoreCPU() <= 0 {
		t.Errorf("the CLI was not sampled: %+v, core CPU %v", res.CLI, res.CoreCPU())
	}
	if ids, _ := wd.StateIDs("terraform_data"); len(ids) != 2 {
		t.Errorf("terraform_data ids in state: %v", ids)
	}
	if _, err := wd.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
}

func checkSampled(t *testing.T, op string, res *Result) {
	t.Helper()
	if len(res.Plugins) == 0 {
		t.Fatalf("%s: no provider process seen", op)
	}
	for _, p := range res.Plugins {
		if filepath.Base(p.Exe) != ProviderBinary || p.Samples == 0 || p.PeakRSS <= 0 {
			t.Errorf("%s: provider process %+v", op, p)
		}
	}
	if res.PluginCPU() <= 0 {
		t.Errorf("%s: provider CPU %v", op, res.PluginCPU())
	}
}

func checkStateMatchesServer(t *testing.T, ctx context.Context, wd *Workdir, emu *Emulator, want int) {
	t.Helper()
	inState, err := wd.StateIDs("opencon_instance")
	if err != nil {
		t.Fatal(err)
	}
	onServer, err := emu.InstanceIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	server := make([]string, len(onServer))
	for i, id := range onServer {
		server[i] = strconv.FormatInt(id, 10)
	}
	slices.Sort(inState)
	slices.Sort(server)
	if len(inState) != want || !slices.Equal(inState, server) {
		t.Errorf("state holds %v, the server %v; want %d each", inState, server, want)
	}
}

func checkGzip(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s is not a pprof profile: %v", path, err)
		return
	}
	if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
		t.Errorf("%s: %d bytes after gunzip, %v", path, len(raw), err)
	}
}

func TestInProcessEmulatorStatsAndFaults(t *testing.T) {
	ctx := context.Background()
	emu, err := StartEmulator(ctx, EmulatorOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = emu.Close() }()
	if emu.PID() != 0 || emu.Server() == nil {
		t.Fatalf("in-process emulator: pid %d, server %v", emu.PID(), emu.Server())
	}
	if ids, err := emu.InstanceIDs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("fresh emulator lists %v, %v", ids, err)
	}
	if err := emu.InjectFault(ctx, "GET /instances", "unavailable", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.InstanceIDs(ctx); err == nil {
		t.Error("the injected 503 did not reach the caller")
	}
	stats, err := emu.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats["GET /instances"] != 2 || stats.APICalls() != 2 {
		t.Errorf("stats = %v", stats)
	}
	if err := emu.ResetStats(ctx); err != nil {
		t.Fatal(err)
	}
	if stats, _ := emu.Stats(ctx); stats.APICalls() != 0 {
		t.Errorf("stats after reset = %v", stats)
	}
	if err := emu.InjectFault(ctx, "GET /nowhere", "drop", 1); err == nil {
		t.Error("a fault on an unknown route was accepted")
	}
}

func TestParseProc(t *testing.T) {
	stat := []byte("4242 (terraform-provider (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 123 45 6 7 20 0 12 0 100 1000 200\n")
	cpu, ok := parseStatCPU(stat)
	if !ok || cpu != (123+45)*clockTick {
		t.Errorf("parseStatCPU = %v, %v; want %v", cpu, ok, (123+45)*clockTick)
	}
	if _, ok := parseStatCPU([]byte("4242 (x) S 1")); ok {
		t.Error("a short stat line parsed")
	}
	status := []byte("Name:\tx\nVmPeak:\t  900 kB\nVmHWM:\t   44320 kB\nVmRSS:\t 40000 kB\n")
	if hwm, ok := parseStatusKB(status, "VmHWM:"); !ok || hwm != 44320*1024 {
		t.Errorf("VmHWM = %d, %v", hwm, ok)
	}
	if _, ok := parseStatusKB(status, "VmSwap:"); ok {
		t.Error("a missing key parsed")
	}
	// This process, read live: it has used some CPU and memory.
	if cpu, ok := readCPU(os.Getpid()); !ok || cpu < 0 {
		t.Errorf("own CPU %v, %v", cpu, ok)
	}
	if hwm, ok := readHWM(os.Getpid()); !ok || hwm <= 0 {
		t.Errorf("own VmHWM %d, %v", hwm, ok)
	}
}

// TestProviderWritesProfilesOnSIGTERM starts the provider as Terraform would
// and stops it with SIGTERM instead of closing its connection.
func TestProviderWritesProfilesOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider")
	}
	providerDir, _ := built(t)
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(providerDir, ProviderBinary))
	cmd.Env = append(os.Environ(),
		"TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		"OPENCON_CPUPROFILE="+filepath.Join(dir, "cpu-%p.pprof"),
		"OPENCON_MEMPROFILE="+filepath.Join(dir, "mem.pprof"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 512)
		n, _ := stdout.Read(b)
		line <- string(b[:n])
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if !strings.Contains(l, "|grpc") {
			t.Fatalf("handshake line = %q", l)
		}
	case <-time.After(time.Minute):
		t.Fatal("no handshake")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	checkGzip(t, filepath.Join(dir, "cpu-"+strconv.Itoa(cmd.Process.Pid)+".pprof"))
	checkGzip(t, filepath.Join(dir, "mem.pprof"))
}

// TestInstanceIDsFollowsPages lists more instances than one page holds.
// Before InstanceIDs followed Elements-Next-Page-Token it saw only the first page.
func TestInstanceIDsFollowsPages(t *testing.T) {
	ctx := context.Background()
	emu, err := StartEmulator(ctx, EmulatorOptions{Seed: 2, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = emu.Close() }()
	for i := range 5 {
		body := fmt.Sprintf(`{"element":{"key":"netsuiteerp"},"name":"p%d","configuration":{"user.username":"u","user.password":"p","netsuite.accountId":"a"}}`, i)
		req, _ := http.NewRequest(http.MethodPost, emu.APIURL()+"/instances", strings.NewReader(body))
		req.Header.Set("Authorization", "User "+UserSecret+", Organization "+OrganizationSecret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("create %d: %d", i, res.StatusCode)
		}
	}
	ids, err := emu.InstanceIDs(ctx)
	if err != nil || len(ids) != 5 {
		t.Fatalf("InstanceIDs over pages of 2 = %v, %v; want 5 ids", ids, err)
	}
	all, err := emu.Instances(ctx)
	if err != nil || len(all) != 5 {
		t.Fatalf("Instances = %v, %v", all, err)
	}
	for i, in := range all {
		if in.ID != ids[i] || in.Name != fmt.Sprintf("p%d", i) {
			t.Errorf("Instances[%d] = %+v, InstanceIDs[%d] = %d", i, in, i, ids[i])
		}
	}
}

// TestRaceReports builds a program with a data race with -race, runs it as
// the chaos suite runs the provider, and finds the report where RaceReports
// looks.
func TestRaceReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a race-enabled program")
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := goBuild(context.Background(), root, filepath.Join(t.TempDir(), "race"), "./internal/e2e/testdata/race", "-race")
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	if reports, err := RaceReports(logs); err != nil || len(reports) != 0 {
		t.Fatalf("reports before any run: %v, %v", reports, err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), RaceLogEnv(logs))
	_ = cmd.Run() // a race-enabled program that found a race exits 66
	reports, err := RaceReports(logs)
	if err != nil || len(reports) != 1 || !strings.Contains(reports[0], "WARNING: DATA RACE") {
		t.Errorf("reports = %q, %v; want one data race", reports, err)
	}
}
