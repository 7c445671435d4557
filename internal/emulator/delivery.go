package emulator

import (
	"net/http"
	"sync"
)

// eventBus records events and delivers them to callback URLs.
type eventBus struct {
	s  *Server
	mu sync.Mutex
}

func newEventBus(s *Server) *eventBus { return &eventBus{s: s} }

func (b *eventBus) close() {}

func (b *eventBus) counters() map[string]int {
	return map[string]int{"events.delivered": 0, "events.retrying": 0, "events.failed": 0}
}

func (b *eventBus) resetCounters() {}

func (s *Server) listEvents(c *call) { c.json(http.StatusOK, []any{}) }

func (s *Server) getEvent(c *call) { c.fail(http.StatusNotFound, "No event found") }
