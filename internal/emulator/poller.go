package emulator

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pollResource is one entry of event.poller.configuration (section 5.2).
type pollResource struct {
	Name                string
	URL                 string
	IDField             string
	FilterByUpdatedDate bool
	UpdatedField        string
	UpdatedFormat       string
	UpdatedZone         *time.Location
	CreatedField        string
	CreatedFormat       string
	CreatedZone         *time.Location
	Tolerance           time.Duration
	PageSize            int
	PollDelay           time.Duration
}

// Defaults when a resource has no datesConfiguration: the hub objects'
// own createdDate/updatedDate in ISO-8601.
const (
	defaultUpdatedField = "updatedDate"
	defaultCreatedField = "createdDate"
	defaultPageSize     = 20
	maxPagesPerPoll     = 1000
)

// field looks a key up case-insensitively: real configurations spell
// "UpdatedDateTimezone" as well as "updatedDateTimezone".
func field(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func fieldString(m map[string]any, key string) string {
	v, _ := field(m, key)
	return strings.TrimSpace(toString(v))
}

func fieldNumber(m map[string]any, key string) (float64, bool) {
	s := fieldString(m, key)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// parsePollerConfig reads the stored configuration. Unknown keys are ignored.
func parsePollerConfig(raw string) ([]pollResource, error) {
	var top map[string]any
	if err := decodeJSON([]byte(raw), &top); err != nil {
		return nil, err
	}
	var out []pollResource
	for _, name := range slices.Sorted(maps.Keys(top)) {
		m, _ := top[name].(map[string]any)
		if m == nil {
			continue
		}
		r := pollResource{
			Name:                name,
			URL:                 fieldString(m, "url"),
			IDField:             fieldString(m, "idField"),
			FilterByUpdatedDate: true,
			UpdatedField:        defaultUpdatedField,
			CreatedField:        defaultCreatedField,
			PageSize:            defaultPageSize,
		}
		if v, ok := field(m, "filterByUpdatedDate"); ok {
			r.FilterByUpdatedDate = isTrue(toString(v))
		} else if v, ok := field(m, "filterByUpdateDate"); ok {
			r.FilterByUpdatedDate = isTrue(toString(v))
		}
		if n, ok := fieldNumber(m, "pageSize"); ok && n >= 1 {
			r.PageSize = int(n)
		}
		if n, ok := fieldNumber(m, "pollDelay"); ok && n > 0 {
			r.PollDelay = time.Duration(n * float64(time.Second))
		}
		if n, ok := fieldNumber(m, "createdCheckTolerance"); ok && n > 0 {
			r.Tolerance = time.Duration(n * float64(time.Second))
		}
		// A time zone at resource level is a known documentation slip; honour it.
		updatedZone := fieldString(m, "updatedDateTimezone")
		createdZone := fieldString(m, "createdDateTimezone")
		if dates, _ := field(m, "datesConfiguration"); dates != nil {
			dc, ok := dates.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("resource %s: datesConfiguration must be an object", name)
			}
			if v := fieldString(dc, "updatedDateField"); v != "" {
				r.UpdatedField = v
			}
			if v := fieldString(dc, "createdDateField"); v != "" {
				r.CreatedField = v
			}
			r.UpdatedFormat = fieldString(dc, "updatedDateFormat")
			r.CreatedFormat = fieldString(dc, "createdDateFormat")
			if v := fieldString(dc, "updatedDateTimezone"); v != "" {
				updatedZone = v
			}
			if v := fieldString(dc, "createdDateTimezone"); v != "" {
				createdZone = v
			}
		}
		if createdZone == "" {
			createdZone = updatedZone
		}
		var err error
		if r.UpdatedZone, err = loadZone(updatedZone); err != nil {
			return nil, fmt.Errorf("resource %s: %v", name, err)
		}
		if r.CreatedZone, err = loadZone(createdZone); err != nil {
			return nil, fmt.Errorf("resource %s: %v", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// pollState is the poller's memory of one instance.
type pollState struct {
	eventsSince time.Time // instance.EventsSince this state was started from
	lastRun     time.Time // wall clock of the last poll, for scheduling
	lastPoll    time.Time // emulated clock: the end of the last poll window
}

// pollTarget is a snapshot of an instance taken under the lock.
type pollTarget struct {
	id          int64
	elementKey  string
	interval    int
	config      string
	eventsSince time.Time
}

// pollClock is the end of a poll window: the last whole millisecond before
// now. Hub changes are stamped in whole milliseconds under the store lock,
// so every change stamped at or before it is visible to the fetch that
// follows, and none is stamped inside a window after that window was read.
func (s *Server) pollClock() time.Time {
	return s.now().Truncate(time.Millisecond).Add(-time.Millisecond)
}

func (s *Server) startPoller() {
	tick := s.opts.Minute / 10
	tick = min(max(tick, 5*time.Millisecond), time.Second)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		states := map[int64]*pollState{}
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.pollTick(states)
			}
		}
	}()
}

// pollTick polls every instance whose refresh interval has elapsed. The
// configuration is read afresh each tick, so changes apply without a restart.
func (s *Server) pollTick(states map[int64]*pollState) {
	s.mu.Lock()
	var targets []pollTarget
	for _, inst := range s.st.sortedInstances() {
		if !pollingActive(inst) {
			continue
		}
		interval, err := strconv.Atoi(inst.value(keyRefreshInterval))
		if err != nil || interval < 1 {
			interval = 15
		}
		targets = append(targets, pollTarget{
			id: inst.ID, elementKey: inst.ElementKey, interval: interval,
			config: inst.value(keyPollerConfig), eventsSince: inst.EventsSince,
		})
	}
	s.mu.Unlock()

	active := map[int64]bool{}
	wall := time.Now()
	for _, tg := range targets {
		active[tg.id] = true
		st := states[tg.id]
		if st == nil || !st.eventsSince.Equal(tg.eventsSince) {
			st = &pollState{eventsSince: tg.eventsSince, lastRun: wall, lastPoll: tg.eventsSince}
			states[tg.id] = st
		}
		if wall.Sub(st.lastRun) < time.Duration(tg.interval)*s.opts.Minute {
			continue
		}
		s.countPoll(tg.id)
		pollTime := s.pollClock()
		resources, err := parsePollerConfig(tg.config)
		if err != nil {
			s.logf("emulator: instance %d: poller configuration: %v", tg.id, err)
		}
		for _, res := range resources {
			s.pollResource(tg, res, st.lastPoll.Add(-res.PollDelay), pollTime)
		}
		st.lastRun, st.lastPoll = wall, pollTime
	}
	for id := range states {
		if !active[id] {
			delete(states, id)
		}
	}
}

// pollEvent is one normalized event with the vendor object it came from.
type pollEvent struct {
	EventType  string `json:"eventType"`
	ObjectID   string `json:"objectId"`
	ObjectType string `json:"objectType"`
	ElementKey string `json:"elementKey"`
	Date       string `json:"date"`
	raw        any
}

// pollResource fetches one resource for the window (since, until] and
// publishes the events it finds.
func (s *Server) pollResource(tg pollTarget, res pollResource, since, until time.Time) {
	target, err := expandPlaceholders(res.URL, since, res.UpdatedZone)
	if err != nil {
		s.logf("emulator: instance %d: resource %s: %v", tg.id, res.Name, err)
		return
	}
	objects, err := s.fetchAll(tg.id, target, res.PageSize, since, until)
	if err != nil {
		s.logf("emulator: instance %d: polling %s: %v", tg.id, res.Name, err)
		return
	}
	var events []pollEvent
	for _, obj := range objects {
		if ev, ok := classify(obj, res, since, until); ok {
			ev.ElementKey = tg.elementKey
			events = append(events, ev)
		}
	}
	if len(events) > 0 {
		s.events.publish(tg.id, tg.elementKey, res.Name, events)
	}
}

// classify turns a polled object into an event, or skips it when it did
// not change in the window.
func classify(obj map[string]any, res pollResource, since, until time.Time) (pollEvent, bool) {
	updatedRaw, _ := lookupPath(obj, res.UpdatedField)
	createdRaw, _ := lookupPath(obj, res.CreatedField)
	updated, hasUpdated := parseDateValue(updatedRaw, res.UpdatedFormat, res.UpdatedZone)
	created, hasCreated := parseDateValue(createdRaw, res.CreatedFormat, res.CreatedZone)
	if res.FilterByUpdatedDate && hasUpdated && (!updated.After(since) || updated.After(until)) {
		return pollEvent{}, false
	}
	ev := pollEvent{ObjectType: res.Name, raw: obj}
	if res.IDField != "" {
		id, _ := lookupPath(obj, res.IDField)
		ev.ObjectID = toString(id)
	}
	date := until
	if hasUpdated {
		date = updated
	}
	ev.Date = date.UTC().Format(dateLayout)
	deleted, _ := field(obj, "deleted")
	switch {
	case deleted == true || strings.EqualFold(toString(deleted), "true"):
		ev.EventType = "DELETED"
	case hasCreated && hasUpdated:
		if d := updated.Sub(created); d <= res.Tolerance && d >= -res.Tolerance {
			ev.EventType = "CREATED"
		} else if created.Before(updated) {
			ev.EventType = "UPDATED"
		} else {
			ev.EventType = "CREATED"
		}
	case hasCreated:
		ev.EventType = "CREATED"
	case hasUpdated:
		ev.EventType = "UPDATED"
	default:
		ev.EventType = "UNKNOWN"
	}
	return ev, true
}

// lookupPath follows a dotted path such as "user.id".
func lookupPath(obj map[string]any, path string) (any, bool) {
	if path == "" {
		return nil, false
	}
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// fetchAll GETs a hub URL in-process as the instance, following
// Elements-Next-Page-Token. Polls are not API calls: no stats, no faults.
func (s *Server) fetchAll(instanceID int64, target string, pageSize int, since, until time.Time) ([]map[string]any, error) {
	if u, err := url.Parse(target); err == nil && u.IsAbs() {
		return nil, fmt.Errorf("only hub URLs relative to %s can be polled", APIPrefix)
	}
	path, query, _ := strings.Cut(target, "?")
	path = strings.TrimPrefix(path, APIPrefix)
	rt, params, _ := s.match(http.MethodGet, path)
	if rt == nil || rt.auth != authHub {
		return nil, fmt.Errorf("no hub resource GET %s", path)
	}
	ctx, cancel := context.WithTimeout(withPollWindow(context.Background(), since, until), 30*time.Second)
	defer cancel()
	var all []map[string]any
	next := ""
	for page := 0; page < maxPagesPerPoll; page++ {
		q := query
		add := "pageSize=" + strconv.Itoa(pageSize)
		if next != "" {
			add += "&nextPage=" + url.QueryEscape(next)
		}
		if q != "" {
			q += "&"
		}
		q += add
		req := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: APIPrefix + path, RawQuery: q}, Header: http.Header{}}).WithContext(ctx)
		rec := newBufferedResponse()
		c := &call{s: s, r: req, w: rec, params: params, route: rt, auth: authInfo{instanceID: instanceID}}
		rt.handle(c)
		if rec.status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", path, rec.status)
		}
		var items []map[string]any
		if err := decodeJSON(rec.body.Bytes(), &items); err != nil {
			var one map[string]any
			if decodeJSON(rec.body.Bytes(), &one) != nil {
				return nil, fmt.Errorf("GET %s: not a JSON array or object", path)
			}
			items = []map[string]any{one}
		}
		all = append(all, items...)
		if next = rec.header.Get("Elements-Next-Page-Token"); next == "" {
			break
		}
	}
	return all, nil
}
