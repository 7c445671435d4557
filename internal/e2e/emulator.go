package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// The secrets every emulator started here accepts, and every Workdir sends.
const (
	UserSecret         = emulator.DefaultUserSecret
	OrganizationSecret = emulator.DefaultOrganizationSecret
)

// EmulatorOptions says how to start an emulator.
type EmulatorOptions struct {
	// Binary is the opencon-emulator executable (see BuildEmulator). Empty
	// runs the emulator inside this process instead: quicker to start, but
	// its CPU is then this process's.
	Binary string

	Latency       time.Duration // added to every API call
	LatencyJitter time.Duration // further latency per call, uniform in [0, LatencyJitter)
	AnswerDelay   time.Duration // between applying a call and answering it
	StormEvery    time.Duration // 429 storms start this often (with StormLength)
	StormLength   time.Duration // and last this long
	RateLimit     float64       // requests per second above which calls get 429; 0 = none
	ErrorRate     float64       // fraction of calls answered 503 without being applied
	DropRate      float64       // fraction of mutating calls applied, then answered by a dropped connection
	PageSize      int           // instances per page of GET /instances; 0 = the platform's 200
	Seed          int64         // 0 = random
	Minute        time.Duration // length of an emulated minute; 0 = a real minute

	// Args are extra command-line flags for Binary; they are refused in process.
	Args []string
	// Stderr receives the binary's diagnostics; nil discards them.
	Stderr io.Writer
}

// Emulator is a running emulator on a free loopback port.
type Emulator struct {
	baseURL string
	http    *http.Client

	cmd *exec.Cmd    // binary mode
	srv *http.Server // in-process mode
	emu *emulator.Server
}

// StartEmulator starts an emulator and waits until it listens.
func StartEmulator(ctx context.Context, opts EmulatorOptions) (*Emulator, error) {
	if opts.Binary == "" {
		return startInProcess(opts)
	}
	return startBinary(ctx, opts)
}

func startInProcess(opts EmulatorOptions) (*Emulator, error) {
	if len(opts.Args) > 0 {
		return nil, errors.New("e2e: EmulatorOptions.Args needs Binary")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	emu := emulator.New(emulator.Options{
		Latency: opts.Latency, LatencyJitter: opts.LatencyJitter, AnswerDelay: opts.AnswerDelay,
		StormEvery: opts.StormEvery, StormLength: opts.StormLength,
		RateLimit: opts.RateLimit, ErrorRate: opts.ErrorRate, DropRate: opts.DropRate,
		PageSize: opts.PageSize, Seed: opts.Seed, Minute: opts.Minute,
	})
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Emulator{baseURL: "http://" + ln.Addr().String(), http: &http.Client{Timeout: time.Minute}, srv: srv, emu: emu}, nil
}

func startBinary(ctx context.Context, opts EmulatorOptions) (*Emulator, error) {
	args := []string{"-listen", "127.0.0.1:0"}
	if opts.Latency > 0 {
		args = append(args, "-latency", opts.Latency.String())
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"-latency-jitter", opts.LatencyJitter}, {"-answer-delay", opts.AnswerDelay}, {"-storm-every", opts.StormEvery}, {"-storm-length", opts.StormLength}} {
		if d.v > 0 {
			args = append(args, d.flag, d.v.String())
		}
	}
	if opts.PageSize > 0 {
		args = append(args, "-page-size", strconv.Itoa(opts.PageSize))
	}
	if opts.RateLimit > 0 {
		args = append(args, "-rate-limit", strconv.FormatFloat(opts.RateLimit, 'g', -1, 64))
	}
	if opts.ErrorRate > 0 {
		args = append(args, "-error-rate", strconv.FormatFloat(opts.ErrorRate, 'g', -1, 64))
	}
	if opts.DropRate > 0 {
		args = append(args, "-drop-rate", strconv.FormatFloat(opts.DropRate, 'g', -1, 64))
	}
	if opts.Seed != 0 {
		args = append(args, "-seed", strconv.FormatInt(opts.Seed, 10))
	}
	if opts.Minute > 0 {
		args = append(args, "-minute", opts.Minute.String())
	}
	args = append(args, opts.Args...)

	cmd := exec.Command(opts.Binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = opts.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Emulator{cmd: cmd, http: &http.Client{Timeout: time.Minute}}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	const prefix = "opencon-emulator listening on "
	select {
	case line, ok := <-lines:
		api, found := strings.CutPrefix(line, prefix)
		if !ok || !found {
			_ = e.Close()
			return nil, fmt.Errorf("e2e: the emulator did not start (first line %q)", line)
		}
		e.baseURL = strings.TrimSuffix(api, emulator.APIPrefix)
		return e, nil
	case <-ctx.Done():
		_ = e.Close()
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		_ = e.Close()
		return nil, errors.New("e2e: the emulator printed no listening line within a minute")
	}
}

// BaseURL is the emulator's root, http://127.0.0.1:<port>.
func (e *Emulator) BaseURL() string { return e.baseURL }

// APIURL is the platform API root, the provider's base_url.
func (e *Emulator) APIURL() string { return e.baseURL + emulator.APIPrefix }

// PID is the emulator process's id, or 0 when it runs in this process.
func (e *Emulator) PID() int {
	if e.cmd == nil || e.cmd.Process == nil {
		return 0
	}
	return e.cmd.Process.Pid
}

// Server is the in-process emulator, for direct inspection; nil in binary mode.
func (e *Emulator) Server() *emulator.Server { return e.emu }

// CPU is the emulator process's CPU time so far, read from /proc; 0 in process.
func (e *Emulator) CPU() time.Duration {
	if e.PID() == 0 {
		return 0
	}
	cpu, _ := readCPU(e.PID())
	return cpu
}

// Close stops the emulator: SIGTERM, then SIGKILL after five seconds.
func (e *Emulator) Close() error {
	if e.srv != nil {
		err := e.srv.Close()
		e.emu.Close()
		return err
	}
	if e.cmd == nil || e.cmd.Process == nil {
		return nil
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		return <-done
	}
}

// Stats are the emulator's call counts per route ("POST /instances",
// "GET /instances/{id}", ...) and its event counters.
type Stats map[string]int

// APICalls is the number of platform API calls counted, events excluded.
func (s Stats) APICalls() int {
	n := 0
	for k, v := range s {
		if !strings.HasPrefix(k, "events.") {
			n += v
		}
	}
	return n
}

// String lists the non-zero counts in a stable order.
func (s Stats) String() string {
	keys := make([]string, 0, len(s))
	for k, v := range s {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, s[k])
	}
	return strings.Join(parts, " ")
}

// Stats reads GET /_emulator/stats.
func (e *Emulator) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	return out, e.control(ctx, http.MethodGet, "/_emulator/stats", nil, &out)
}

// ResetStats zeroes the call counts (POST /_emulator/reset).
func (e *Emulator) ResetStats(ctx context.Context) error {
	return e.control(ctx, http.MethodPost, "/_emulator/reset", nil, nil)
}

// FaultCounts reads GET /_emulator/faults: the faults injected since the
// emulator started, by kind ("drop", "unavailable", "rate_limited").
func (e *Emulator) FaultCounts(ctx context.Context) (map[string]int, error) {
	var out map[string]int
	return out, e.control(ctx, http.MethodGet, "/_emulator/faults", nil, &out)
}

// InjectFault makes the next count calls of route (e.g. "POST /instances")
// fail with fault ("drop", "unavailable" or "rate_limited").
func (e *Emulator) InjectFault(ctx context.Context, route, fault string, count int) error {
	return e.control(ctx, http.MethodPost, "/_emulator/faults",
		map[string]any{"route": route, "fault": fault, "count": count}, nil)
}

// InstanceIDs lists the ids of every instance the platform holds, through
// GET /instances with the platform secrets, as a client would: page after
// page, following Elements-Next-Page-Token. Faults the emulator injects
// reach the caller; Instances lists past them.
func (e *Emulator) InstanceIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	seen := map[string]bool{}
	for token := ""; ; {
		page, next, err := e.instancePage(ctx, token)
		if err != nil {
			return nil, err
		}
		ids = append(ids, page...)
		if next == "" {
			return ids, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("e2e: GET /instances: page token %q came twice", next)
		}
		seen[next] = true
		token = next
	}
}

func (e *Emulator) instancePage(ctx context.Context, token string) (ids []int64, next string, err error) {
	u := e.APIURL() + "/instances"
	if token != "" {
		u += "?nextPage=" + url.QueryEscape(token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "User "+UserSecret+", Organization "+OrganizationSecret)
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound && token == "" {
		return nil, "", nil // the platform answers 404 to a list with nothing in it
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("e2e: GET /instances: %d %s", resp.StatusCode, body)
	}
	var list []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, "", fmt.Errorf("e2e: GET /instances: %w", err)
	}
	ids = make([]int64, len(list))
	for i, it := range list {
		ids[i] = it.ID
	}
	return ids, resp.Header.Get("Elements-Next-Page-Token"), nil
}

// Instance is what Instances tells of one instance on the server.
type Instance = emulator.InstanceSummary

// Instances lists every instance the emulator holds, in id order, through
// its control route: no fault, rate limit or page is in the way, so it is
// the server's truth to compare a state with.
func (e *Emulator) Instances(ctx context.Context) ([]Instance, error) {
	var out []Instance
	return out, e.control(ctx, http.MethodGet, "/_emulator/instances", nil, &out)
}

func (e *Emulator) control(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.baseURL+path, body)
	if err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("e2e: %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
