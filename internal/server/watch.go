package server

import (
	"sync"
	"time"
)

// every calls ended every interval, in a goroutine of its own, until it
// returns true. The returned function stops it sooner and returns once it
// has stopped; calling it again is harmless.
func every(interval time.Duration, ended func() bool) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		watch(t.C, done, ended)
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

// watch calls ended at every tick until it returns true, or until done
// closes.
func watch(tick <-chan time.Time, done <-chan struct{}, ended func() bool) {
	for {
		select {
		case <-done:
			return
		case <-tick:
			if ended() {
				return
			}
		}
	}
}
