package server

import (
	"context"
	"sync/atomic"
	"time"
)

// detached is the context an RPC handler hands the framework: it answers
// Value and Err from the RPC's own context while the RPC runs, and forgets
// that context once it returns, so that what the framework keeps of it is
// this small struct rather than the RPC's whole chain of logger values.
//
// Done is the RPC context's own channel, and Value passes its lookups on,
// context.WithCancel included: the cancelCtx the framework derives from a
// detached registers with the RPC's cancelCtx as it would with the RPC
// context itself, so the end of the RPC, StopProvider and a deadline reach
// the framework and the provider exactly as before.
type detached struct {
	parent   atomic.Pointer[parentRef]
	done     <-chan struct{}
	deadline time.Time
	hasDL    bool
}

type parentRef struct{ ctx context.Context }

// detach returns the context for the framework and the function that cuts
// it from ctx; call it when the RPC returns.
func detach(ctx context.Context) (*detached, func()) {
	d := &detached{done: ctx.Done()}
	d.deadline, d.hasDL = ctx.Deadline()
	d.parent.Store(&parentRef{ctx})
	return d, func() { d.parent.Store(nil) }
}

func (d *detached) Deadline() (time.Time, bool) { return d.deadline, d.hasDL }

func (d *detached) Done() <-chan struct{} { return d.done }

// Err is the RPC context's error while it is attached. Afterwards it is
// derived from Done and the deadline alone, which is all that is left.
func (d *detached) Err() error {
	if p := d.parent.Load(); p != nil {
		return p.ctx.Err()
	}
	select {
	case <-d.done:
		if d.hasDL && !time.Now().Before(d.deadline) {
			return context.DeadlineExceeded
		}
		return context.Canceled
	default:
		return nil
	}
}

// Value looks key up in the RPC context while attached, and finds nothing
// afterwards: a logger looked up after the RPC has returned logs nothing.
func (d *detached) Value(key any) any {
	if p := d.parent.Load(); p != nil {
		return p.ctx.Value(key)
	}
	return nil
}

func (d *detached) String() string { return "server.detached" }
