package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

type testKey struct{}

func TestDetachedAnswersFromTheRPCContextUntilReleased(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), testKey{}, "logger"), deadline)
	defer cancel()
	d, release := detach(parent)

	if got := d.Value(testKey{}); got != "logger" {
		t.Errorf("Value = %v, want the RPC context's", got)
	}
	if dl, ok := d.Deadline(); !ok || !dl.Equal(deadline) {
		t.Errorf("Deadline = %v, %v", dl, ok)
	}
	if d.Done() != parent.Done() || d.Err() != nil {
		t.Errorf("Done is not the RPC context's, or Err = %v", d.Err())
	}

	release()
	if got := d.Value(testKey{}); got != nil {
		t.Errorf("Value after release = %v, want nil", got)
	}
	if d.Err() != nil {
		t.Errorf("Err after release, before the RPC context ended = %v", d.Err())
	}
	cancel()
	if !errors.Is(d.Err(), context.Canceled) {
		t.Errorf("Err once the RPC context ended = %v, want context.Canceled", d.Err())
	}
}

func TestDetachedReportsAPassedDeadlineAfterRelease(t *testing.T) {
	parent, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	d, release := detach(parent)
	if !errors.Is(d.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v", d.Err())
	}
	release()
	if !errors.Is(d.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after release = %v", d.Err())
	}
}

// A context derived from a detached one registers with the RPC context's
// cancelCtx, as the framework's does, so the RPC's end cancels it even
// after release and without a goroutine watching it.
func TestContextsDerivedFromDetachedEndWithTheRPC(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	d, release := detach(parent)
	child, stop := context.WithCancel(d)
	defer stop()
	release()
	cancel()
	select {
	case <-child.Done():
	case <-time.After(time.Minute):
		t.Fatal("the derived context was not canceled")
	}
	if !errors.Is(child.Err(), context.Canceled) {
		t.Errorf("derived Err = %v", child.Err())
	}
}
