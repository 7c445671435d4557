package opencon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

func reconcile(t *testing.T, c *Client, req CreateInstanceRequest) (*CreateResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return c.CreateInstanceReconciled(ctx, req)
}

func TestCreateReconciledAgainstEmulatorFaults(t *testing.T) {
	t.Run("503 then success: exactly one instance", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{})
		emu.InjectFault("POST /instances", emulator.FaultUnavailable, 1)
		res, err := reconcile(t, c, netsuite("erp"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Adopted || res.Posts != 2 || len(res.Others) != 0 {
			t.Errorf("result = %+v, want created by the second POST", res)
		}
		if n := emu.InstanceCount(); n != 1 {
			t.Errorf("%d instances, want 1", n)
		}
		if n := emu.Stats()["POST /instances"]; n != 2 {
			t.Errorf("POST sent %d times, want 2", n)
		}
	})
	t.Run("dropped answer: the instance is adopted", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{})
		emu.InjectFault("POST /instances", emulator.FaultDrop, 1)
		res, err := reconcile(t, c, netsuite("<b>erp</b>"))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Adopted || res.Posts != 1 || res.Instance.Name != "erp" || res.Instance.Token == "" {
			t.Errorf("result = %+v, want the instance adopted in full", res)
		}
		if n := emu.InstanceCount(); n != 1 {
			t.Errorf("%d instances, want 1", n)
		}
	})
	t.Run("dropped answer in an account of three pages", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{PageSize: 2})
		for i := 1; i <= 4; i++ {
			mustCreate(t, c, netsuite("erp-old-"+strconv.Itoa(i)))
		}
		emu.InjectFault("POST /instances", emulator.FaultDrop, 1)
		emu.ResetStats()
		res, err := reconcile(t, c, netsuite("erp"))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Adopted || emu.InstanceCount() != 5 {
			t.Errorf("adopted %v, %d instances; want adopted and 5", res.Adopted, emu.InstanceCount())
		}
		if n := emu.Stats()["GET /instances"]; n != 3 {
			t.Errorf("the lookup read %d pages, want 3", n)
		}
	})
	t.Run("two candidates: an error listing both, nothing created", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{})
		a, b := mustCreate(t, c, netsuite("erp")), mustCreate(t, c, netsuite("erp"))
		mustCreate(t, c, netsuite("erp 2")) // found by the search, not the same name
		emu.InjectFault("POST /instances", emulator.FaultUnavailable, 1)
		_, err := reconcile(t, c, netsuite("erp"))
		want := fmt.Sprintf("ids %d, %d", a.ID, b.ID)
		if err == nil || !strings.Contains(err.Error(), "2 instances named \"erp\" of element \"netsuiteerp\"") || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to list %s", err, want)
		}
		if n := emu.InstanceCount(); n != 3 {
			t.Errorf("%d instances, want the 3 created before", n)
		}
	})
	t.Run("retries off: nothing found, nothing left behind", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{}, noRetries)
		emu.InjectFault("POST /instances", emulator.FaultUnavailable, 1)
		_, err := reconcile(t, c, netsuite("erp"))
		if err == nil || !strings.Contains(err.Error(), "nothing is left behind") {
			t.Errorf("err = %v", err)
		}
		if emu.InstanceCount() != 0 || emu.Stats()["POST /instances"] != 1 {
			t.Errorf("%d instances, %d POSTs; want 0 and 1", emu.InstanceCount(), emu.Stats()["POST /instances"])
		}
	})
	t.Run("random errors and drops: every create once", func(t *testing.T) {
		c, emu := newEmulatorClient(t, emulator.Options{ErrorRate: 0.3, DropRate: 0.3, Seed: 5}, func(c *Config) { c.MaxRetries = new(12) })
		for i := range 12 {
			if _, err := reconcile(t, c, netsuite("erp "+strconv.Itoa(i))); err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		if n := emu.InstanceCount(); n != 12 {
			t.Errorf("%d instances, want 12", n)
		}
		clean := newTestClientFor(t, c)
		list, err := clean.ListInstances(context.Background(), ListInstancesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, it := range list {
			seen[it.Name]++
		}
		for name, n := range seen {
			if n != 1 {
				t.Errorf("%q exists %d times", name, n)
			}
		}
		if emu.Stats()["POST /instances"] <= 12 {
			t.Errorf("the faults never hit a POST (%d POSTs): the test proves nothing", emu.Stats()["POST /instances"])
		}
	})
}

// newTestClientFor is a client with many retries against the same server
// as c, for reading back through random faults.
func newTestClientFor(t *testing.T, c *Client) *Client {
	return newTestClient(t, strings.TrimSuffix(c.BaseURL(), APIPath), func(cfg *Config) { cfg.MaxRetries = new(20) })
}

// fakePlatform is a test server holding instances, whose POST and list
// handlers a test replaces.
type fakePlatform struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	insts map[int64]string // id -> JSON
	posts atomic.Int32
	lists atomic.Int32
	post  func(w http.ResponseWriter, r *http.Request, n int32)
	list  func(w http.ResponseWriter, r *http.Request, n int32)
}

func newFakePlatform(t *testing.T) *fakePlatform {
	p := &fakePlatform{t: t, insts: map[int64]string{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Elements-Request-Id", "fake-"+r.Method)
		switch {
		case r.Method == http.MethodPost:
			p.post(w, r, p.posts.Add(1))
		case r.URL.Path == "/elements/api-v2/instances":
			n := p.lists.Add(1)
			if p.list != nil {
				p.list(w, r, n)
				return
			}
			p.answerList(w, r)
		default:
			id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/elements/api-v2/instances/"), 10, 64)
			p.mu.Lock()
			body, ok := p.insts[id]
			p.mu.Unlock()
			if !ok {
				jsonResponse(404, `{"requestId":"r404","message":"No element instance found"}`)(w, r)
				return
			}
			jsonResponse(200, body)(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// add stores an instance named "erp" of netsuiteerp created at when.
func (p *fakePlatform) add(id int64, when time.Time) string {
	body := fmt.Sprintf(`{"id":%d,"name":"erp","createdDate":%q,"token":"tok","element":{"id":1,"key":"netsuiteerp"}}`, id, when.UTC().Format(time.RFC3339))
	p.mu.Lock()
	p.insts[id] = body
	p.mu.Unlock()
	return body
}

func (p *fakePlatform) answerList(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var parts []string
	for _, b := range p.insts {
		parts = append(parts, b)
	}
	p.mu.Unlock()
	if len(parts) == 0 {
		jsonResponse(404, `{"requestId":"r404","message":"No element instances found"}`)(w, r)
		return
	}
	jsonResponse(200, "["+strings.Join(parts, ",")+"]")(w, r)
}

func TestCreateReconciledAgainstFakes(t *testing.T) {
	t.Run("502, nothing found: POST sent again, exactly one", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, n int32) {
			if n == 1 {
				jsonResponse(502, `{"message":"bad gateway"}`)(w, r)
				return
			}
			jsonResponse(200, p.add(7, time.Now()))(w, r)
		}
		res, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err != nil || res.Instance.ID != 7 || res.Adopted || res.Posts != 2 {
			t.Fatalf("result = %+v, %v", res, err)
		}
		if p.lists.Load() != 3 {
			t.Errorf("looked %d times, want 3: twice before sending again, once for duplicates after", p.lists.Load())
		}
	})
	t.Run("2xx without an id is unclear: adopted", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) {
			p.add(8, time.Now())
			jsonResponse(200, `{"name":"erp"}`)(w, r)
		}
		res, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err != nil || !res.Adopted || res.Instance.ID != 8 || p.posts.Load() != 1 {
			t.Fatalf("result = %+v, %v, %d POSTs", res, err, p.posts.Load())
		}
	})
	t.Run("a create that shows late is adopted by the second look", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) { jsonResponse(503, `{}`)(w, r) }
		p.list = func(w http.ResponseWriter, r *http.Request, n int32) {
			if n == 2 {
				p.add(9, time.Now())
			}
			p.answerList(w, r)
		}
		res, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err != nil || !res.Adopted || res.Instance.ID != 9 || p.posts.Load() != 1 {
			t.Fatalf("result = %+v, %v, %d POSTs", res, err, p.posts.Load())
		}
	})
	t.Run("old instances of the same name are not candidates", func(t *testing.T) {
		p := newFakePlatform(t)
		p.add(1, time.Now().Add(-time.Hour))
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) {
			p.add(2, time.Now())
			closeWithoutAnswer(w)
		}
		res, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err != nil || !res.Adopted || res.Instance.ID != 2 {
			t.Fatalf("result = %+v, %v", res, err)
		}
	})
	t.Run("a duplicate an earlier POST made is reported", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, n int32) {
			if n == 1 {
				jsonResponse(500, `{}`)(w, r)
				return
			}
			p.add(11, time.Now()) // the first POST, surfacing late
			jsonResponse(200, p.add(12, time.Now()))(w, r)
		}
		res, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err != nil || res.Instance.ID != 12 || len(res.Others) != 1 || res.Others[0] != 11 {
			t.Fatalf("result = %+v, %v; want 12 created and 11 reported", res, err)
		}
	})
	t.Run("the lookup fails: a clear error, POST sent once", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) { jsonResponse(500, `{"message":"boom"}`)(w, r) }
		p.list = func(w http.ResponseWriter, r *http.Request, _ int32) {
			jsonResponse(500, `{"message":"list broken"}`)(w, r)
		}
		_, err := reconcile(t, newTestClient(t, p.srv.URL, func(c *Config) { c.MaxRetries = new(1) }), netsuite("erp"))
		if err == nil || !strings.Contains(err.Error(), "looking for an instance it may have created failed too, so one may exist") ||
			!strings.Contains(err.Error(), "list broken") || !errors.Is(err, ErrAmbiguous) {
			t.Errorf("err = %v", err)
		}
		if p.posts.Load() != 1 {
			t.Errorf("POST sent %d times, want once", p.posts.Load())
		}
	})
	t.Run("a date it cannot read stops the lookup", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) { jsonResponse(503, `{}`)(w, r) }
		p.list = func(w http.ResponseWriter, r *http.Request, _ int32) {
			jsonResponse(200, `[{"id":3,"name":"erp","createdDate":"yesterday"}]`)(w, r)
		}
		_, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		if err == nil || !strings.Contains(err.Error(), `createdDate "yesterday"`) || p.posts.Load() != 1 {
			t.Errorf("err = %v after %d POSTs", err, p.posts.Load())
		}
	})
	t.Run("the create's context ran out: the lookup still runs", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) {
			p.add(4, time.Now())
			<-r.Context().Done()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		res, err := newTestClient(t, p.srv.URL).CreateInstanceReconciled(ctx, netsuite("erp"))
		if err != nil || !res.Adopted || res.Instance.ID != 4 {
			t.Fatalf("result = %+v, %v", res, err)
		}
	})
	t.Run("a definite refusal is returned as it is", func(t *testing.T) {
		p := newFakePlatform(t)
		p.post = func(w http.ResponseWriter, r *http.Request, _ int32) {
			jsonResponse(400, `{"requestId":"r400","message":"Missing required configuration entries"}`)(w, r)
		}
		_, err := reconcile(t, newTestClient(t, p.srv.URL), netsuite("erp"))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || p.lists.Load() != 0 {
			t.Errorf("err = %v after %d lookups; want the 400 and no lookup", err, p.lists.Load())
		}
	})
}

func closeWithoutAnswer(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                         "plain",
		"<a href='x'>churros-xss</a>":   "churros-xss",
		"  <b>bold</b> and <i>i</i>  ":  "bold and i",
		"a < b":                         "a < b",
		"<script>alert(1)</script>name": "alert(1)name",
	} {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
