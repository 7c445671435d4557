package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
