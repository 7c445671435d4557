package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat. Linux fixes
// USER_HZ at 100 for every architecture Go runs on.
const clockTick = 10 * time.Millisecond

// ProcessStats is what was seen of one process through /proc while it ran.
//
// CPU is utime+stime at the last sample, so it misses at most one sampling
// interval (and one 10 ms tick) of the process's last moments. PeakRSS is
// VmHWM, the kernel's own high-water mark of the resident set, so it is
// exact as long as one sample was taken after the peak.
type ProcessStats struct {
	PID     int
	Exe     string
	CPU     time.Duration
	PeakRSS int64 // bytes
	// Samples counts the reads of /proc that succeeded.
	Samples int
}

// procSampler polls a process and those of its children whose executable
// matches, until stopped. On systems without /proc it records nothing.
type procSampler struct {
	root     int
	match    func(exe string) bool
	interval time.Duration

	mu       sync.Mutex
	self     ProcessStats
	children map[int]*ProcessStats
	order    []int

	stop chan struct{}
	done chan struct{}
}

func startSampler(pid int, interval time.Duration, match func(exe string) bool) *procSampler {
	s := &procSampler{
		root: pid, match: match, interval: interval,
		self:     ProcessStats{PID: pid},
		children: map[int]*ProcessStats{},
		stop:     make(chan struct{}), done: make(chan struct{}),
	}
	go s.loop()
	return s
}

func (s *procSampler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// finish stops the sampler and returns what it saw of the root process and
// of each matching child, in the order they were first seen.
func (s *procSampler) finish() (ProcessStats, []ProcessStats) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessStats, 0, len(s.order))
	for _, pid := range s.order {
		out = append(out, *s.children[pid])
	}
	return s.self, out
}

func (s *procSampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	readInto(&s.self)
	for _, pid := range childPIDs(s.root) {
		if _, known := s.children[pid]; known {
			continue
		}
		// Right after fork the child still runs the parent's executable;
		// it is looked at again on the next tick until it has exec'd.
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil || !s.match(exe) {
			continue
		}
		s.children[pid] = &ProcessStats{PID: pid, Exe: exe}
		s.order = append(s.order, pid)
	}
	for _, st := range s.children {
		readInto(st)
	}
}

// readInto updates st from /proc; a process that has exited keeps its last values.
func readInto(st *ProcessStats) {
	cpu, ok := readCPU(st.PID)
	if !ok {
		return
	}
	if cpu > st.CPU {
		st.CPU = cpu
	}
	if hwm, ok := readHWM(st.PID); ok && hwm > st.PeakRSS {
		st.PeakRSS = hwm
	}
	st.Samples++
}

// readCPU returns utime+stime of pid from /proc/<pid>/stat.
func readCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 and 15 (utime, stime) of a /proc/<pid>/stat
// line. The command name, field 2, is in parentheses and may hold spaces, so
// fields are counted after its closing parenthesis.
func parseStatCPU(b []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// readHWM returns VmHWM of pid in bytes from /proc/<pid>/status.
func readHWM(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	return parseStatusKB(b, "VmHWM:")
}

func parseStatusKB(b []byte, key string) (int64, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, key)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

// childPIDs lists the children of pid from /proc/<pid>/task/*/children, or,
// where the kernel lacks that file, by scanning every process's parent.
func childPIDs(pid int) []int {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err == nil && len(tasks) > 0 {
		var out []int
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
		}
		return out
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		if f := strings.Fields(string(b[i+1:])); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}
