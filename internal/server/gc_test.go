package server

import (
	"math"
	"runtime/debug"
	"testing"
	"time"
)

func TestSmallHeap(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want bool
	}{
		{0, true},
		{4 << 20, true},
		{MemoryLimit/2 - 1, true},
		{MemoryLimit / 2, false}, // Go's default goal, 2x live, reaches the limit
		{200 << 20, false},
	} {
		if got := smallHeap(tc.live); got != tc.want {
			t.Errorf("smallHeap(%d) = %v, want %v", tc.live, got, tc.want)
		}
	}
}

// The watcher keeps the tuning while the heap stays small and restores the
// defaults, once, when it grows.
func TestTheHeapWatchRestoresTheDefaultsForALargeHeap(t *testing.T) {
	tick := make(chan time.Time)
	done := make(chan struct{})
	live := make(chan uint64, 1)
	restored := 0
	finished := make(chan struct{})
	go func() {
		watch(tick, done, func() bool { return heapOutgrewTuning(<-live, func() { restored++ }) })
		close(finished)
	}()
	for _, l := range []uint64{2 << 20, 6 << 20, MemoryLimit/2 - 1} {
		live <- l
		tick <- time.Time{}
	}
	live <- MemoryLimit / 2
	tick <- time.Time{}
	<-finished
	if restored != 1 {
		t.Errorf("restored %d times, want 1", restored)
	}

	// Stopped, it returns without restoring.
	finished = make(chan struct{})
	go func() {
		watch(tick, done, func() bool { return heapOutgrewTuning(0, func() { restored++ }) })
		close(finished)
	}()
	close(done)
	<-finished
	if restored != 1 {
		t.Errorf("a stopped watcher restored the defaults")
	}
}

// TuneGC sets the tuned values, and leaves a GOGC or GOMEMLIMIT the user
// set alone.
func TestTuneGC(t *testing.T) {
	defer restoreGCDefaults()

	stop := TuneGC(time.Hour)
	// SetGCPercent returns the setting it replaces; SetMemoryLimit(-1) only reads.
	if p, l := debug.SetGCPercent(GCPercent), debug.SetMemoryLimit(-1); p != GCPercent || l != MemoryLimit {
		t.Errorf("GC percent %d, memory limit %d; want %d, %d", p, l, GCPercent, MemoryLimit)
	}
	stop()

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			restoreGCDefaults()
			t.Setenv(env, "100")
			TuneGC(time.Hour)()
			if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
				t.Errorf("with %s set: GC percent %d, memory limit %d", env, p, l)
			}
		})
	}
}
