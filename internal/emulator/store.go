package emulator

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// randSource is a seeded, goroutine-safe random stream. Separate streams
// keep ids and tokens repeatable regardless of how many faults were drawn.
type randSource struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newRandSource(seed int64, stream uint64) *randSource {
	return &randSource{r: rand.New(rand.NewPCG(uint64(seed), stream))}
}

func (r *randSource) bytes(n int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.r.Uint32())
	}
	return b
}

func (r *randSource) hex(n int) string { return hex.EncodeToString(r.bytes(n)) }

func (r *randSource) float() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

func (r *randSource) intn(n int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Int64N(n)
}

const (
	externalNone    = "none"
	externalInitial = "initial"
)

// instance is a stored connector instance. Config holds the real,
// unmasked values; masking happens only when rendering.
type instance struct {
	ID             int64              `json:"id"`
	Name           string             `json:"name"`
	Created        time.Time          `json:"created"`
	Token          string             `json:"token"`
	ElementKey     string             `json:"elementKey"`
	Tags           []string           `json:"tags"`
	Disabled       bool               `json:"disabled"`
	Config         map[string]*string `json:"config"`
	ConfigIDs      map[string]int64   `json:"configIds"`
	ExternalAuth   string             `json:"externalAuthentication"`
	SubscriptionID int64              `json:"subscriptionId,omitempty"`
	// EventsSince is when polling last became active; the first poll
	// reports changes after it.
	EventsSince time.Time `json:"eventsSince,omitzero"`
}

func (i *instance) element() *elementDef { return findElement(i.ElementKey) }

func (i *instance) value(key string) string {
	if v := i.Config[key]; v != nil {
		return *v
	}
	return ""
}

func (i *instance) eventsEnabled() bool { return isTrue(i.value("event.notification.enabled")) }

func (i *instance) clone() *instance {
	c := *i
	c.Tags = append([]string(nil), i.Tags...)
	c.Config = make(map[string]*string, len(i.Config))
	for k, v := range i.Config {
		if v != nil {
			vv := *v
			c.Config[k] = &vv
		} else {
			c.Config[k] = nil
		}
	}
	c.ConfigIDs = make(map[string]int64, len(i.ConfigIDs))
	for k, v := range i.ConfigIDs {
		c.ConfigIDs[k] = v
	}
	return &c
}

// state is everything the emulator persists.
type state struct {
	NextID             int64               `json:"nextId"`
	NextConfigID       int64               `json:"nextConfigId"`
	NextSubscriptionID int64               `json:"nextSubscriptionId"`
	Instances          map[int64]*instance `json:"instances"`
	Mailboxes          map[int64]*mailbox  `json:"mailboxes"`
	HistoryID          int64               `json:"historyId"`
}

func newState() *state {
	return &state{Instances: map[int64]*instance{}, Mailboxes: map[int64]*mailbox{}}
}

// init fills counters that a fresh or older state file lacks.
func (st *state) init(r *randSource) {
	if st.NextID == 0 {
		st.NextID = 10000 + r.intn(90000)
	}
	if st.NextConfigID == 0 {
		st.NextConfigID = 100000 + r.intn(900000)
	}
	if st.NextSubscriptionID == 0 {
		st.NextSubscriptionID = 1000000 + r.intn(9000000)
	}
	if st.HistoryID == 0 {
		st.HistoryID = 1000 + r.intn(9000)
	}
	if st.Instances == nil {
		st.Instances = map[int64]*instance{}
	}
	if st.Mailboxes == nil {
		st.Mailboxes = map[int64]*mailbox{}
	}
}

func (st *state) byToken(token string) *instance {
	for _, i := range st.Instances {
		if secretEqual(i.Token, token) {
			return i
		}
	}
	return nil
}

// sortedInstances returns the instances in id order.
func (st *state) sortedInstances() []*instance {
	out := make([]*instance, 0, len(st.Instances))
	for _, i := range st.Instances {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// newToken draws an Element token no instance has; a reloaded state file
// with the same seed would otherwise replay old tokens.
func (s *Server) newToken() string {
	for {
		t := base64.StdEncoding.EncodeToString(s.ids.bytes(32))
		if s.st.byToken(t) == nil {
			return t
		}
	}
}

// assignConfigIDs gives every configuration key of inst a stable id.
func (st *state) assignConfigIDs(inst *instance) {
	if inst.ConfigIDs == nil {
		inst.ConfigIDs = map[string]int64{}
	}
	keys := make([]string, 0, len(inst.Config))
	for k := range inst.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := inst.ConfigIDs[k]; !ok {
			inst.ConfigIDs[k] = st.NextConfigID
			st.NextConfigID++
		}
	}
}

// changed persists the state after a mutation.
func (s *Server) changed() {
	if s.opts.StateFile == "" {
		return
	}
	if err := s.save(); err != nil {
		s.logf("emulator: saving state: %v", err)
	}
}

// save writes the state file atomically. The snapshot is taken while
// holding saveMu, so a later save never writes an older snapshot.
func (s *Server) save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	b, err := json.MarshalIndent(s.st, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.opts.StateFile)
	tmp, err := os.CreateTemp(dir, ".opencon-emulator-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.opts.StateFile)
}

func (s *Server) load() error {
	b, err := os.ReadFile(s.opts.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("%s: %w", s.opts.StateFile, err)
	}
	s.st = st
	return nil
}
