package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawPost sends a request on a fresh connection and returns the transport error, if any.
func rawDo(t *testing.T, method, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", uo)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func TestInjectedFaults(t *testing.T) {
	e := newEnv(t, Options{})
	body, _ := json.Marshal(netsuiteBody("fault"))
	post := func() (*http.Response, error) { return rawDo(t, "POST", e.ts.URL+apiBase+"/instances", string(body)) }

	t.Run("drop applies the change and closes the connection", func(t *testing.T) {
		e.s.InjectFault("POST /instances", FaultDrop, 1)
		before := e.s.InstanceCount()
		res, err := post()
		if err == nil {
			t.Fatalf("got an answer %d, want a closed connection", res.StatusCode)
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection left open: %v", err)
		}
		if e.s.InstanceCount() != before+1 {
			t.Error("dropped request was not applied")
		}
		if res, err := post(); err != nil || res.StatusCode != 200 {
			t.Errorf("fault not used up: %v", err)
		}
	})

	t.Run("unavailable answers 503 without applying", func(t *testing.T) {
		e.s.InjectFault("POST /instances", FaultUnavailable, 2)
		before := e.s.InstanceCount()
		for i := 0; i < 2; i++ {
			r := e.do("POST", "/instances", uo, netsuiteBody("x"))
			e.mustStatus(r, 503)
			if !hex24.MatchString(fmt.Sprint(r.json(t)["requestId"])) {
				t.Errorf("503 body = %s", r.body)
			}
		}
		if e.s.InstanceCount() != before {
			t.Error("503 request was applied")
		}
		e.mustStatus(e.do("POST", "/instances", uo, netsuiteBody("x")), 200)
	})

	t.Run("rate limited answers 429 with Retry-After", func(t *testing.T) {
		id, _, _ := e.createNetsuite("rl", nil)
		e.s.InjectFault("PATCH /instances/{id}", FaultRateLimited, 1)
		r := e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{"name": "changed"})
		e.mustStatus(r, 429)
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
		}
		raw, _ := e.s.Instance(id)
		if strings.Contains(string(raw), "changed") {
			t.Error("429 request was applied")
		}
	})

	t.Run("faults over HTTP", func(t *testing.T) {
		r := e.do("POST", "/_emulator/faults", "", map[string]any{"route": "GET /instances/{instanceId}", "fault": "unavailable", "count": 1})
		e.mustStatus(r, 200)
		id, _, _ := e.createNetsuite("http", nil)
		e.mustStatus(e.do("GET", fmt.Sprintf("/instances/%d", id), uo, nil), 503)
		e.mustStatus(e.do("GET", fmt.Sprintf("/instances/%d", id), uo, nil), 200)
		e.mustStatus(e.do("POST", "/_emulator/faults", "", map[string]any{"route": "GET /nope", "fault": "drop"}), 400)
		e.mustStatus(e.do("POST", "/_emulator/faults", "", map[string]any{"route": "GET /instances", "fault": "explode"}), 400)
		e.mustStatus(e.do("POST", "/_emulator/faults", "", `{`), 400)
	})

	t.Run("drop over HTTP on DELETE", func(t *testing.T) {
		id, _, _ := e.createNetsuite("del", nil)
		e.mustStatus(e.do("POST", "/_emulator/faults", "", map[string]any{"route": "DELETE /instances/{id}", "fault": "drop"}), 200)
		if _, err := rawDo(t, "DELETE", fmt.Sprintf("%s%s/instances/%d", e.ts.URL, apiBase, id), ""); err == nil {
			t.Fatal("DELETE answered")
		}
		if _, ok := e.s.Instance(id); ok {
			t.Error("dropped DELETE was not applied")
		}
	})
}

func TestRandomFaultsFromOptions(t *testing.T) {
	t.Run("error rate 1", func(t *testing.T) {
		e := newEnv(t, Options{ErrorRate: 1})
		e.mustStatus(e.do("POST", "/instances", uo, netsuiteBody("x")), 503)
		if e.s.InstanceCount() != 0 {
			t.Error("applied")
		}
		e.mustStatus(e.do("GET", "/_emulator/stats", "", nil), 200)
	})
	t.Run("drop rate 1 drops only mutating calls", func(t *testing.T) {
		e := newEnv(t, Options{DropRate: 1})
		body, _ := json.Marshal(netsuiteBody("x"))
		if _, err := rawDo(t, "POST", e.ts.URL+apiBase+"/instances", string(body)); err == nil {
			t.Fatal("POST answered")
		}
		if e.s.InstanceCount() != 1 {
			t.Error("not applied")
		}
		e.mustStatus(e.do("GET", "/instances", uo, nil), 200)
	})
	t.Run("error rate is seeded", func(t *testing.T) {
		pattern := func() string {
			e := newEnv(t, Options{ErrorRate: 0.5, Seed: 99})
			var b strings.Builder
			for i := 0; i < 20; i++ {
				fmt.Fprint(&b, e.do("GET", "/elements/gmail", uo, nil).status/100)
			}
			return b.String()
		}
		p1, p2 := pattern(), pattern()
		if p1 != p2 || !strings.Contains(p1, "5") || !strings.Contains(p1, "2") {
			t.Errorf("patterns %s / %s", p1, p2)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		e := newEnv(t, Options{RateLimit: 2})
		var limited resp
		for i := 0; i < 10; i++ {
			if r := e.do("GET", "/elements/gmail", uo, nil); r.status == 429 {
				limited = r
				break
			}
		}
		if limited.status != 429 {
			t.Fatal("never limited")
		}
		if ra := limited.header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		e.mustStatus(e.do("GET", "/_emulator/stats", "", nil), 200)
	})
	t.Run("latency", func(t *testing.T) {
		e := newEnv(t, Options{Latency: 80 * time.Millisecond})
		start := time.Now()
		e.do("GET", "/elements/gmail", uo, nil)
		if d := time.Since(start); d < 80*time.Millisecond {
			t.Errorf("took %v", d)
		}
	})
}

func TestStateFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.json")
	s1 := New(Options{StateFile: file, Seed: 5})
	e1 := &env{t: t, s: s1}
	e1.ts = newTestServer(t, s1)
	id, token, _ := e1.createNetsuite("persisted", func(b map[string]any) { b["tags"] = []string{"keep"} })
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("state not saved after a change: %v", err)
	}
	before, _ := s1.Instance(id)
	e1.ts.Close()
	s1.Close()

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	s2 := New(Options{StateFile: file, Seed: 5})
	defer s2.Close()
	after, ok := s2.Instance(id)
	if !ok || !bytes.Equal(before, after) {
		t.Fatalf("instance after reload:\n%s\nwant\n%s", after, before)
	}
	if v, _ := s2.SecretValue(id, "user.password"); v != "hunter2" {
		t.Errorf("secret after reload = %q", v)
	}
	e2 := &env{t: t, s: s2, ts: newTestServer(t, s2)}
	e2.mustStatus(e2.do("GET", "/instances/configuration", uo+", Element "+token, nil), 200)
	id2, token2, _ := e2.createNetsuite("new", nil)
	if id2 == id || token2 == token {
		t.Errorf("reloaded server reused id %d or token", id2)
	}

	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logged []string
	s3 := New(Options{StateFile: file, Logf: func(f string, a ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	s3.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(logged) == 0 || s3.InstanceCount() != 0 {
		t.Errorf("corrupt state file: logged %v, %d instances", logged, s3.InstanceCount())
	}
}

func TestLatencyJitterIsSeededAndBounded(t *testing.T) {
	draws := func() []time.Duration {
		s := New(Options{Latency: time.Second, LatencyJitter: 500 * time.Millisecond, Seed: 11})
		defer s.Close()
		out := make([]time.Duration, 50)
		for i := range out {
			out[i] = s.latency()
		}
		return out
	}
	a, b := draws(), draws()
	distinct := map[time.Duration]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("draw %d: %v then %v with the same seed", i, a[i], b[i])
		}
		if a[i] < time.Second || a[i] >= 1500*time.Millisecond {
			t.Errorf("draw %d = %v, outside [1s, 1.5s)", i, a[i])
		}
		distinct[a[i]] = true
	}
	if len(distinct) < 10 {
		t.Errorf("only %d distinct latencies in 50 draws", len(distinct))
	}
}

func TestAnswerDelayAppliesFirst(t *testing.T) {
	e := newEnv(t, Options{AnswerDelay: time.Minute})
	body, _ := json.Marshal(netsuiteBody("late"))
	req, _ := http.NewRequest("POST", e.ts.URL+apiBase+"/instances", bytes.NewReader(body))
	req.Header.Set("Authorization", uo)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if res, err := client.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("answered %d before the answer delay", res.StatusCode)
	}
	// The handler ran before the wait: the instance exists although the
	// client gave up.
	deadline := time.Now().Add(10 * time.Second)
	for e.s.InstanceCount() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.s.InstanceCount(); n != 1 {
		t.Fatalf("%d instances after a create answered late, want 1", n)
	}

	short := newEnv(t, Options{AnswerDelay: 20 * time.Millisecond})
	r := short.do("POST", "/instances", uo, netsuiteBody("late"))
	short.mustStatus(r, 200)
	if r.header.Get("Elements-Request-Id") == "" || r.json(t)["name"] != "late" {
		t.Errorf("delayed answer lost its header or body: %v %s", r.header, r.body)
	}
}

func TestRateLimitStorms(t *testing.T) {
	e := newEnv(t, Options{StormEvery: time.Hour, StormLength: 30 * time.Minute})
	r := e.do("GET", "/elements/gmail", uo, nil)
	e.mustStatus(r, 429)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1700 || ra > 1800 {
		t.Errorf("Retry-After in a storm with 30m to go = %q", r.header.Get("Retry-After"))
	}
	if e.s.InstanceCount() != 0 {
		t.Fatal("fresh server has instances")
	}
	e.mustStatus(e.do("POST", "/instances", uo, netsuiteBody("x")), 429)
	if e.s.InstanceCount() != 0 {
		t.Error("a create answered 429 in a storm was applied")
	}

	f := e.s.faults
	for _, c := range []struct {
		at   time.Duration
		on   bool
		left int
	}{
		{0, true, 1800},
		{29*time.Minute + 59500*time.Millisecond, true, 1},
		{30 * time.Minute, false, 0},
		{59 * time.Minute, false, 0},
		{time.Hour + 10*time.Minute, true, 1200},
	} {
		on, left := f.storm(f.started.Add(c.at))
		if on != c.on || left != c.left {
			t.Errorf("storm at %v = %v, %d; want %v, %d", c.at, on, left, c.on, c.left)
		}
	}
	if got := e.s.FaultCounts(); got["rate_limited"] != 2 || len(got) != 1 {
		t.Errorf("FaultCounts = %v, want the two 429s", got)
	}
	r = e.do("GET", "/_emulator/faults", "", nil)
	e.mustStatus(r, 200)
	if m := r.json(t); m["rate_limited"] != float64(2) {
		t.Errorf("GET /_emulator/faults = %s", r.body)
	}
	if on, _ := newFaultInjector(Options{}, nil).storm(time.Now()); on {
		t.Error("a storm without StormEvery")
	}
}

func TestControlRouteListsInstancesPastFaults(t *testing.T) {
	e := newEnv(t, Options{PageSize: 2})
	for i := range 5 {
		e.createNetsuite(fmt.Sprintf("n%d", i), nil)
	}
	e.s.InjectFault("GET /instances", FaultUnavailable, 10)
	r := e.do("GET", "/_emulator/instances", "", nil)
	e.mustStatus(r, 200)
	var got []InstanceSummary
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("listed %d instances, want all 5 past the page size: %s", len(got), r.body)
	}
	for i, in := range got {
		if in.Name != fmt.Sprintf("n%d", i) || in.ElementKey != "netsuiteerp" || in.CreatedDate.IsZero() || (i > 0 && in.ID <= got[i-1].ID) {
			t.Errorf("item %d = %+v", i, in)
		}
		if in.Config["user.password"] != MaskedValue || in.Config["netsuite.accountId"] == "" {
			t.Errorf("item %d configuration = %v, want the secret masked and the rest in clear", i, in.Config)
		}
	}
}
