package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Row is the summary of one operation (or the whole cycle, Op "cycle") at
// one latency and N: medians over the rounds.
type Row struct {
	Latency time.Duration
	N       int
	Op      Op
	Rounds  int

	Opencon, Baseline time.Duration // wall clock
	// Ideal is the API time the operation cannot go below: its minimal
	// calls, each taking the emulator's latency, Parallelism at a time.
	Ideal time.Duration
	// Ratio is Opencon / (Baseline + Ideal); 1 is the target.
	Ratio float64
	// CPURatio is the CPU both processes spent on opencon_instance (CLI and
	// provider) over the CLI's on terraform_data. Waiting for the API costs
	// no CPU, so 1 is the target here too, and unlike Ratio it barely
	// moves when other work loads the machine.
	CPURatio float64

	CallsPerInstance    float64 // API calls the provider made, per instance
	MinCallsPerInstance int

	PluginCPU       time.Duration // every provider process together
	CoreCPU         time.Duration // the CLI, managing opencon_instance
	BaselineCoreCPU time.Duration // the CLI, managing terraform_data
	PluginPeakRSS   int64         // largest over the rounds
	EmulatorCPU     time.Duration
}

// Summary is every Row plus what the state cost.
type Summary struct {
	Parallelism int
	Rows        []Row
	// StatePerInstance is the state file size per instance after apply, by
	// variant and N (the latency does not change it).
	StatePerInstance map[Variant]map[int]float64
}

const cycle Op = "cycle"

// Summarize reduces samples to medians per latency, N and operation.
func Summarize(samples []Sample, parallelism int) Summary {
	if parallelism <= 0 {
		parallelism = 10
	}
	type key struct {
		lat time.Duration
		n   int
	}
	var keys []key
	seen := map[key]bool{}
	for _, s := range samples {
		k := key{s.Latency, s.N}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.lat != b.lat {
			return int(a.lat - b.lat)
		}
		return a.n - b.n
	})

	sum := Summary{Parallelism: parallelism, StatePerInstance: map[Variant]map[int]float64{Opencon: {}, TerraformData: {}}}
	for _, k := range keys {
		pick := func(v Variant, op Op) []Sample {
			var out []Sample
			for _, s := range samples {
				if s.Latency == k.lat && s.N == k.n && s.Variant == v && (s.Op == op || op == cycle) {
					out = append(out, s)
				}
			}
			if op == cycle {
				out = perRound(out)
			}
			return out
		}
		for _, op := range append(slices.Clone(Ops), cycle) {
			oc, bl := pick(Opencon, op), pick(TerraformData, op)
			if len(oc) == 0 {
				continue
			}
			min := 0
			if op == cycle {
				for _, o := range Ops {
					min += minCalls[o]
				}
			} else {
				min = minCalls[op]
			}
			r := Row{
				Latency: k.lat, N: k.n, Op: op, Rounds: len(oc),
				Opencon:             median(oc, func(s Sample) time.Duration { return s.Wall }),
				Baseline:            median(bl, func(s Sample) time.Duration { return s.Wall }),
				Ideal:               idealAPITime(min*k.n, k.lat, parallelism),
				CallsPerInstance:    float64(median(oc, func(s Sample) time.Duration { return time.Duration(s.APICalls) })) / float64(k.n),
				MinCallsPerInstance: min,
				PluginCPU:           median(oc, func(s Sample) time.Duration { return s.PluginCPU }),
				CoreCPU:             median(oc, func(s Sample) time.Duration { return s.CoreCPU }),
				BaselineCoreCPU:     median(bl, func(s Sample) time.Duration { return s.CoreCPU }),
				EmulatorCPU:         median(oc, func(s Sample) time.Duration { return s.EmulatorCPU }),
			}
			for _, s := range oc {
				r.PluginPeakRSS = max(r.PluginPeakRSS, s.PluginPeakRSS)
			}
			if d := r.Baseline + r.Ideal; d > 0 {
				r.Ratio = float64(r.Opencon) / float64(d)
			}
			if r.BaselineCoreCPU > 0 {
				r.CPURatio = float64(r.CoreCPU+r.PluginCPU) / float64(r.BaselineCoreCPU)
			}
			sum.Rows = append(sum.Rows, r)
		}
		for _, v := range []Variant{Opencon, TerraformData} {
			applies := pick(v, Apply)
			if len(applies) > 0 {
				sum.StatePerInstance[v][k.n] = float64(median(applies, func(s Sample) time.Duration { return time.Duration(s.StateBytes) })) / float64(k.n)
			}
		}
	}
	return sum
}

// perRound adds up the operations of each round into one cycle sample.
func perRound(samples []Sample) []Sample {
	byRound := map[int]*Sample{}
	var rounds []int
	for _, s := range samples {
		c, ok := byRound[s.Round]
		if !ok {
			c = &Sample{Latency: s.Latency, N: s.N, Round: s.Round, Variant: s.Variant, Op: cycle}
			byRound[s.Round] = c
			rounds = append(rounds, s.Round)
		}
		c.Wall += s.Wall
		c.CoreCPU += s.CoreCPU
		c.PluginCPU += s.PluginCPU
		c.EmulatorCPU += s.EmulatorCPU
		c.APICalls += s.APICalls
		c.PluginPeakRSS = max(c.PluginPeakRSS, s.PluginPeakRSS)
	}
	out := make([]Sample, 0, len(rounds))
	for _, r := range rounds {
		out = append(out, *byRound[r])
	}
	return out
}

// idealAPITime is calls at latency each, parallelism at a time.
func idealAPITime(calls int, latency time.Duration, parallelism int) time.Duration {
	waves := (calls + parallelism - 1) / parallelism
	return time.Duration(waves) * latency
}

func median(samples []Sample, f func(Sample) time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	v := make([]time.Duration, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Scaling is the cycle time at the largest N over that at the smallest, per
// latency and variant: linear scaling makes it about largest/smallest.
func (s Summary) Scaling() map[time.Duration][2]float64 {
	out := map[time.Duration][2]float64{}
	byLat := map[time.Duration][]Row{}
	for _, r := range s.Rows {
		if r.Op == cycle {
			byLat[r.Latency] = append(byLat[r.Latency], r)
		}
	}
	for lat, rows := range byLat {
		if len(rows) < 2 {
			continue
		}
		lo, hi := rows[0], rows[len(rows)-1]
		if lo.Opencon > 0 && lo.Baseline > 0 {
			out[lat] = [2]float64{float64(hi.Opencon) / float64(lo.Opencon), float64(hi.Baseline) / float64(lo.Baseline)}
		}
	}
	return out
}

// Machine describes where the numbers were measured.
type Machine struct {
	CPUs       int
	CPUModel   string
	GoVersion  string
	CLIVersion string
	LoadBefore string
	LoadAfter  string
}

// DescribeMachine reads the CPU model and load from /proc and asks cli its version.
func DescribeMachine(ctx context.Context, cli string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), CPUModel: "unknown", LoadBefore: loadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	// The caller's CLI configuration may not exist, and OpenTofu then
	// prints a warning ahead of the JSON: use none.
	cmd := exec.CommandContext(ctx, cli, "version", "-json")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+os.DevNull, "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	var v struct {
		Version string `json:"terraform_version"`
	}
	if i := bytes.IndexByte(out, '{'); err == nil && i >= 0 && json.Unmarshal(out[i:], &v) == nil {
		m.CLIVersion = v.Version
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Finish records the load at the end of the measurement.
func (m *Machine) Finish() { m.LoadAfter = loadAvg() }

// WriteMarkdown writes the summary as Markdown tables, one per latency.
func WriteMarkdown(w io.Writer, m Machine, cli string, s Summary) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s, CLI %s %s; load average %s before, %s after.\n",
		m.CPUs, m.CPUModel, m.GoVersion, cliName(cli), m.CLIVersion, m.LoadBefore, m.LoadAfter)
	var lat time.Duration = -1
	for _, r := range s.Rows {
		if r.Latency != lat {
			lat = r.Latency
			rounds := fmt.Sprintf("medians of %d rounds", r.Rounds)
			if r.Rounds == 1 {
				rounds = "one round"
			}
			fmt.Fprintf(&b, "\nLatency %s, -parallelism=%d, %s:\n\n", lat, s.Parallelism, rounds)
			b.WriteString("| N | op | opencon_instance | terraform_data | ideal API | ratio | API calls / instance | provider CPU | core CPU (opencon / data) | CPU ratio | provider peak RSS |\n")
			b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		}
		op := string(r.Op)
		if r.Op == cycle {
			op = "**cycle**"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.2f× | %.2f (min %d) | %s | %s / %s | %.2f× | %s |\n",
			r.N, op, secs(r.Opencon), secs(r.Baseline), secs(r.Ideal), r.Ratio,
			r.CallsPerInstance, r.MinCallsPerInstance, secs(r.PluginCPU), secs(r.CoreCPU), secs(r.BaselineCoreCPU), r.CPURatio, mib(r.PluginPeakRSS))
	}
	if sc := s.Scaling(); len(sc) > 0 {
		lats := make([]time.Duration, 0, len(sc))
		for l := range sc {
			lats = append(lats, l)
		}
		slices.Sort(lats)
		b.WriteString("\nScaling, cycle at the largest N over the smallest:")
		for _, l := range lats {
			fmt.Fprintf(&b, " latency %s: opencon_instance %.2f×, terraform_data %.2f×;", l, sc[l][0], sc[l][1])
		}
		b.WriteString("\n")
	}
	var ns []int
	for n := range s.StatePerInstance[Opencon] {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	if len(ns) > 0 {
		b.WriteString("\nState per instance after apply:")
		for _, n := range ns {
			fmt.Fprintf(&b, " N=%d: opencon_instance %.0f B, terraform_data %.0f B;", n, s.StatePerInstance[Opencon][n], s.StatePerInstance[TerraformData][n])
		}
		b.WriteString("\n")
	}
	_, _ = w.Write(b.Bytes())
}

func cliName(cli string) string {
	if i := strings.LastIndexByte(cli, '/'); i >= 0 {
		return cli[i+1:]
	}
	return cli
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
