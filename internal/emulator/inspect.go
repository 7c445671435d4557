package emulator

// This file is what tests and the /_emulator control routes see of a
// Server: call counts, request bodies, instances and their real secrets,
// and injected faults.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// count notes one call of an API route, for Stats.
func (s *Server) count(key string) {
	s.statsMu.Lock()
	s.stats[key]++
	s.statsMu.Unlock()
}

// countPoll notes one poll of an instance; tests read it with pollCount.
func (s *Server) countPoll(id int64) {
	s.statsMu.Lock()
	s.polls[id]++
	s.statsMu.Unlock()
}

// recordRequest keeps the body of the last call of a route, for LastRequest.
func (s *Server) recordRequest(key string, body []byte) {
	s.statsMu.Lock()
	s.lastReq[key] = append([]byte(nil), body...)
	s.statsMu.Unlock()
}

// Stats returns the number of calls per API route ("POST /instances",
// "GET /instances/{id}", ...) since the last reset, plus the event
// delivery counters "events.delivered", "events.retrying" and "events.failed".
func (s *Server) Stats() map[string]int {
	s.statsMu.Lock()
	out := make(map[string]int, len(s.stats)+3)
	for k, v := range s.stats {
		out[k] = v
	}
	s.statsMu.Unlock()
	for k, v := range s.events.counters() {
		out[k] = v
	}
	return out
}

// FaultCounts returns how many faults of each kind the emulator has
// injected since it started: "drop", "unavailable" and "rate_limited".
func (s *Server) FaultCounts() map[string]int {
	out := map[string]int{}
	for k, v := range s.faults.counts() {
		out[string(k)] = v
	}
	return out
}

// ResetStats clears the per-route call counts and the delivered/failed
// event counters.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	s.stats = map[string]int{}
	s.statsMu.Unlock()
	s.events.resetCounters()
}

// LastRequest returns the body of the last request that reached an API
// route, e.g. "PATCH /instances/{id}", or nil if there was none.
func (s *Server) LastRequest(route string) []byte {
	key, err := normalizeRouteKey(route)
	if err != nil {
		return nil
	}
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for k, v := range s.lastReq {
		if placeholderless(k) == key {
			return append([]byte(nil), v...)
		}
	}
	return nil
}

// InstanceCount returns how many instances exist.
func (s *Server) InstanceCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.Instances)
}

// InstanceSummary is what Instances tells of one instance.
type InstanceSummary struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ElementKey  string    `json:"elementKey"`
	CreatedDate time.Time `json:"createdDate"`
	// Config holds the instance's configuration values, secrets masked as
	// the API masks them.
	Config map[string]string `json:"configuration"`
}

// Instances lists every instance in id order, past every fault and page:
// what tests compare a client's view with.
func (s *Server) Instances() []InstanceSummary {
	s.mu.Lock()
	out := make([]InstanceSummary, 0, len(s.st.Instances))
	for _, inst := range s.st.Instances {
		cfg := make(map[string]string, len(inst.Config))
		el := inst.element()
		for k, v := range inst.Config {
			if v = maskValue(el, k, v); v != nil {
				cfg[k] = *v
			}
		}
		out = append(out, InstanceSummary{ID: inst.ID, Name: inst.Name, ElementKey: inst.ElementKey, CreatedDate: inst.Created, Config: cfg})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b InstanceSummary) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Instance returns an instance rendered as GET /instances/{id} would.
func (s *Server) Instance(id int64) (json.RawMessage, bool) {
	s.mu.Lock()
	inst := s.st.Instances[id]
	var v any
	if inst != nil {
		v = renderInstance(inst)
	}
	s.mu.Unlock()
	if inst == nil {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return b, true
}

// SecretValue returns the real stored value of a configuration key, for
// tests that must prove a secret reached the server.
func (s *Server) SecretValue(id int64, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.st.Instances[id]
	if inst == nil {
		return "", false
	}
	v, ok := inst.Config[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// InjectFault makes the next count calls of route (e.g. "POST /instances"
// or "GET /instances/{id}") fail with fault. It panics on a malformed route;
// use InjectFaultErr to get an error instead.
func (s *Server) InjectFault(route string, fault Fault, count int) {
	if err := s.InjectFaultErr(route, fault, count); err != nil {
		panic(err)
	}
}

// InjectFaultErr is InjectFault returning an error for an unknown route or fault.
func (s *Server) InjectFaultErr(route string, fault Fault, count int) error {
	if _, ok := ParseFault(string(fault)); !ok {
		return fmt.Errorf("unknown fault %q", fault)
	}
	key, err := normalizeRouteKey(route)
	if err != nil {
		return err
	}
	known := false
	for _, rt := range s.routes {
		if rt.norm == key {
			known = true
			break
		}
	}
	if !known {
		return fmt.Errorf("no API route %q", route)
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if count <= 0 {
		delete(f.pending, key)
		return nil
	}
	f.pending[key] = append(f.pending[key], &pendingFault{fault: fault, remaining: count})
	return nil
}

// serveControl answers the emulator's own routes; they need no secrets.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, reqID string) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/_emulator/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case r.Method == http.MethodGet && r.URL.Path == "/_emulator/faults":
		writeJSON(w, http.StatusOK, s.FaultCounts())
	case r.Method == http.MethodGet && r.URL.Path == "/_emulator/instances":
		writeJSON(w, http.StatusOK, s.Instances())
	case r.Method == http.MethodPost && r.URL.Path == "/_emulator/reset":
		s.ResetStats()
		writeJSON(w, http.StatusOK, map[string]any{})
	case r.Method == http.MethodPost && r.URL.Path == "/_emulator/faults":
		var req struct {
			Route string `json:"route"`
			Fault string `json:"fault"`
			Count int    `json:"count"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
			writeError(w, reqID, http.StatusBadRequest, "Invalid JSON body: "+err.Error(), "")
			return
		}
		f, ok := ParseFault(req.Fault)
		if !ok {
			writeError(w, reqID, http.StatusBadRequest, "Unknown fault "+req.Fault+"; use drop, unavailable or rate_limited", "")
			return
		}
		if req.Count == 0 {
			req.Count = 1
		}
		if err := s.InjectFaultErr(req.Route, f, req.Count); err != nil {
			writeError(w, reqID, http.StatusBadRequest, err.Error(), "")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"route": req.Route, "fault": string(f), "count": req.Count})
	default:
		writeError(w, reqID, http.StatusNotFound, "No route found for "+r.Method+" "+r.URL.Path, "")
	}
}
