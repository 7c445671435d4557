// Package emulator is an in-memory fake of the SAP Open Connectors (Cloud
// Elements) platform API "elements/api-v2": instances, their configuration,
// the element catalog, OAuth 2.0 provisioning against an emulated vendor,
// polling of hub resources and event delivery to callback URLs.
//
// It is deliberately independent of the provider and its API client so that
// it behaves like a remote server, not like a mirror of the client's
// assumptions.
package emulator

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the base path of the platform API.
const APIPrefix = "/elements/api-v2"

// Default secrets accepted when Options leaves them empty.
const (
	DefaultUserSecret         = "dev-user-secret"
	DefaultOrganizationSecret = "dev-organization-secret"
)

// DefaultPageSize is the platform's page size of GET /instances.
const DefaultPageSize = 200

// Options configures a Server. The zero value is usable.
type Options struct {
	UserSecret         string
	OrganizationSecret string

	// Latency is added to every API call, before it is handled.
	Latency time.Duration
	// LatencyJitter adds to every API call a further delay drawn uniformly
	// from [0, LatencyJitter) (repeatable with Seed), so that concurrent
	// calls finish out of order.
	LatencyJitter time.Duration
	// AnswerDelay holds the answer of every API call this long after the
	// call was applied: a change made and answered late. A client that gives
	// up meanwhile (a cancelled request, a killed process) leaves the change
	// done without having seen its answer.
	AnswerDelay time.Duration
	// StormEvery and StormLength make 429 storms: for the first StormLength
	// of every StormEvery since the server started, every API call is
	// answered 429, without being applied, with a Retry-After of the
	// storm's remaining whole seconds (at least 1). Both must be positive.
	StormEvery  time.Duration
	StormLength time.Duration
	// RateLimit is the number of API requests per second above which calls
	// are answered 429 with Retry-After; 0 disables it.
	RateLimit float64
	// ErrorRate is the fraction of API calls answered 503 without being applied.
	ErrorRate float64
	// DropRate is the fraction of mutating API calls that are applied and
	// then answered by closing the connection.
	DropRate float64
	// PageSize is how many instances one page of GET /instances holds at
	// most, the default and the ceiling of its pageSize parameter; 0 means
	// DefaultPageSize, the platform's.
	PageSize int
	// Seed makes ids, tokens and fault decisions repeatable; 0 picks a random seed.
	Seed int64
	// StateFile, when set, is loaded at start and rewritten after every change.
	StateFile string
	// Minute is the length of an emulated minute for polling and delivery
	// retries; default time.Minute.
	Minute time.Duration
	// Now is the clock used for dates, code expiry and poll windows; default time.Now.
	Now func() time.Time
	// AllowRemoteCallbacks lets event delivery reach callback URLs that are
	// not on this machine. Off by default, so that a configuration copied
	// from the docs never makes a local emulator post to a real host.
	AllowRemoteCallbacks bool
	// Logf receives diagnostic messages; secrets are never passed to it.
	Logf func(format string, args ...any)
}

// Server is the emulator. It implements http.Handler.
type Server struct {
	opts   Options
	routes []*route

	mu  sync.Mutex // guards st and ids; taken before eventBus.mu, never after
	st  *state
	ids *randSource

	reqIDs *randSource

	faults *faultInjector
	jitter *randSource

	statsMu sync.Mutex
	stats   map[string]int
	lastReq map[string][]byte
	polls   map[int64]int // polls per instance, read by tests only

	vendor *vendorState
	events *eventBus

	saveMu sync.Mutex

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New returns a ready Server. Background goroutines (the poller and event
// delivery) run until Close.
func New(opts Options) *Server {
	if opts.UserSecret == "" {
		opts.UserSecret = DefaultUserSecret
	}
	if opts.OrganizationSecret == "" {
		opts.OrganizationSecret = DefaultOrganizationSecret
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Minute <= 0 {
		opts.Minute = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	s := &Server{
		opts:    opts,
		st:      newState(),
		ids:     newRandSource(opts.Seed, 1),
		reqIDs:  newRandSource(opts.Seed, 2),
		faults:  newFaultInjector(opts, newRandSource(opts.Seed, 3)),
		jitter:  newRandSource(opts.Seed, 5),
		stats:   map[string]int{},
		lastReq: map[string][]byte{},
		polls:   map[int64]int{},
		vendor:  newVendorState(newRandSource(opts.Seed, 4)),
		stop:    make(chan struct{}),
	}
	s.events = newEventBus(s)
	s.routes = s.buildRoutes()
	if opts.StateFile != "" {
		if err := s.load(); err != nil {
			opts.Logf("emulator: cannot load state file, starting empty: %v", err)
		}
	}
	s.st.init(s.ids)
	s.startPoller()
	return s
}

// Close stops the background goroutines and saves the state file if set.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.events.close()
		s.wg.Wait()
		if s.opts.StateFile != "" {
			if err := s.save(); err != nil {
				s.logf("emulator: saving state: %v", err)
			}
		}
	})
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) logf(format string, args ...any) { s.opts.Logf(format, args...) }

// ServeHTTP dispatches platform API calls, the emulator's control routes
// under /_emulator and the emulated OAuth vendor under /_vendor.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.reqIDs.hex(12)
	w.Header().Set("Elements-Request-Id", reqID)
	switch {
	case r.URL.Path == APIPrefix || strings.HasPrefix(r.URL.Path, APIPrefix+"/"):
		s.serveAPI(w, r, reqID)
	case strings.HasPrefix(r.URL.Path, "/_emulator/"):
		s.serveControl(w, r, reqID)
	case strings.HasPrefix(r.URL.Path, "/_vendor/"):
		s.serveVendor(w, r)
	default:
		writeError(w, reqID, http.StatusNotFound, "No route found for "+r.Method+" "+r.URL.Path, "")
	}
}

// maxBody bounds request bodies; the platform's payloads are small.
const maxBody = 10 << 20

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, reqID string) {
	path := strings.TrimPrefix(r.URL.Path, APIPrefix)
	rt, params, pathKnown := s.match(r.Method, path)
	if rt == nil {
		if pathKnown {
			writeError(w, reqID, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed on "+path, "")
			return
		}
		writeError(w, reqID, http.StatusNotFound, "No route found for "+r.Method+" "+path, "")
		return
	}
	s.count(rt.key)

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, reqID, http.StatusBadRequest, "Cannot read request body: "+err.Error(), "")
		return
	}
	s.recordRequest(rt.key, body)

	if d := s.latency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}

	decision := s.faults.decide(rt)
	switch decision.kind {
	case FaultUnavailable:
		writeError(w, reqID, http.StatusServiceUnavailable, "Service Unavailable", "")
		s.logf("emulator: %s %s -> 503 (injected)", r.Method, r.URL.Path)
		return
	case FaultRateLimited:
		w.Header().Set("Retry-After", decision.retryAfter)
		writeError(w, reqID, http.StatusTooManyRequests, "Too Many Requests", "")
		s.logf("emulator: %s %s -> 429 (rate limited)", r.Method, r.URL.Path)
		return
	}

	c := &call{s: s, r: r, w: w, params: params, route: rt, reqID: reqID, body: body}
	if decision.kind == FaultDrop {
		rec := newBufferedResponse()
		c.w = rec
		s.handle(c)
		s.logf("emulator: %s %s -> applied (%d), connection dropped", r.Method, r.URL.Path, rec.status)
		dropConnection(w)
		return
	}
	if s.opts.AnswerDelay > 0 {
		rec := newBufferedResponse()
		c.w = rec
		s.handle(c)
		select {
		case <-time.After(s.opts.AnswerDelay):
		case <-r.Context().Done():
			s.logf("emulator: %s %s -> applied (%d), the client left before the answer", r.Method, r.URL.Path, rec.status)
			return
		}
		rec.copyTo(w)
		return
	}
	s.handle(c)
}

// latency is the delay before one API call is handled: Latency plus a
// draw of LatencyJitter.
func (s *Server) latency() time.Duration {
	d := s.opts.Latency
	if j := s.opts.LatencyJitter; j > 0 {
		d += time.Duration(s.jitter.intn(int64(j)))
	}
	return d
}

func (s *Server) handle(c *call) {
	if !s.authenticate(c) {
		return
	}
	c.route.handle(c)
	s.logf("emulator: %s %s -> %d", c.r.Method, c.r.URL.Path, c.status)
}
