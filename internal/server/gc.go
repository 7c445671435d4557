package server

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The garbage collector's settings while the live heap is small. A plan
// of 500 instances allocates about 13 MB per instance and keeps 2 to 5 MB
// live; with Go's default GOGC=100 the heap goal is then the 4 MB minimum,
// and the collector ran some 1 600 times per cycle for 10 % of the
// provider's CPU and more in write barriers. Collecting when the process's
// Go memory reaches MemoryLimit instead cut the provider's CPU by about a
// fifth and kept its peak RSS within the 40 MiB goal (a 28 MB executable
// whose mapped code is most of the rest); see internal/bench/FINDINGS.md.
const (
	GCPercent   = 400
	MemoryLimit = 20 << 20
)

// TuneGC applies GCPercent and MemoryLimit unless the user set GOGC or
// GOMEMLIMIT, and watches the live heap every interval: once twice the live
// heap reaches MemoryLimit, the limit would make the collector run more
// often than Go's defaults (and, near the limit, continuously), so it
// restores the defaults for the rest of the process, and a large live heap
// costs what it would have without tuning. The returned function stops
// watching.
func TuneGC(interval time.Duration) (stop func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return func() {}
	}
	debug.SetGCPercent(GCPercent)
	debug.SetMemoryLimit(MemoryLimit)
	return every(interval, func() bool { return heapOutgrewTuning(liveHeap(), restoreGCDefaults) })
}

// heapOutgrewTuning calls restore, and reports true, when a live heap of
// that size is too large for the tuning.
func heapOutgrewTuning(live uint64, restore func()) bool {
	if smallHeap(live) {
		return false
	}
	restore()
	return true
}

// smallHeap reports whether Go's default heap goal for a live heap of that
// size, twice it, stays below MemoryLimit: only then does the limit make
// the collector run less often than the defaults, not more.
func smallHeap(live uint64) bool { return 2*live < MemoryLimit }

func restoreGCDefaults() {
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}

// liveHeap is the heap the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
