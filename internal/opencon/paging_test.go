package opencon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// newEmulatorClient is a client against an in-process emulator.
func newEmulatorClient(t *testing.T, opts emulator.Options, mods ...func(*Config)) (*Client, *emulator.Server) {
	t.Helper()
	opts.UserSecret, opts.OrganizationSecret = testUserSecret, testOrgSecret
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	return newTestClient(t, srv.URL, mods...), emu
}

func netsuite(name string, tags ...string) CreateInstanceRequest {
	return CreateInstanceRequest{
		Element:       &ElementRef{Key: "netsuiteerp"},
		Configuration: map[string]any{"user.username": "jane", "user.password": "hunter2", "netsuite.accountId": "TST1"},
		Tags:          tags,
		Name:          name,
	}
}

func mustCreate(t *testing.T, c *Client, req CreateInstanceRequest) *Instance {
	t.Helper()
	inst, err := c.CreateInstance(context.Background(), req)
	if err != nil {
		t.Fatalf("create %q: %v", req.Name, err)
	}
	return inst
}

func instanceNames(list []Instance) string {
	var names []string
	for _, it := range list {
		names = append(names, it.Name)
	}
	return strings.Join(names, ",")
}

// TestListInstancesFollowsEveryPage: against the emulator with pages of 2,
// five instances come back as five, filters repeated on every page (the
// emulator refuses a token used with other filters), abridged on request.
func TestListInstancesFollowsEveryPage(t *testing.T) {
	c, emu := newEmulatorClient(t, emulator.Options{PageSize: 2})
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		mustCreate(t, c, netsuite("erp "+strconv.Itoa(i), "t"+strconv.Itoa(i%2)))
	}
	emu.ResetStats()
	all, err := c.ListInstances(ctx, ListInstancesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := instanceNames(all); got != "erp 1,erp 2,erp 3,erp 4,erp 5" {
		t.Errorf("all = %s", got)
	}
	if n := emu.Stats()["GET /instances"]; n != 3 {
		t.Errorf("read %d pages, want 3", n)
	}

	odd, err := c.ListInstances(ctx, ListInstancesOptions{Tags: []string{"t1"}, SearchText: "ERP", Abridged: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := instanceNames(odd); got != "erp 1,erp 3,erp 5" {
		t.Errorf("tag t1 = %s", got)
	}
	for _, it := range odd {
		if it.Configuration != nil || it.Token != "" {
			t.Errorf("abridged item %d has configuration or token", it.ID)
		}
	}

	one, err := c.ListInstances(ctx, ListInstancesOptions{PageSize: 1})
	if err != nil || len(one) != 5 {
		t.Errorf("pages of 1: %d instances, %v", len(one), err)
	}
}

func TestListInstancesEmptyAccount(t *testing.T) {
	c, _ := newEmulatorClient(t, emulator.Options{PageSize: 2})
	list, err := c.ListInstances(context.Background(), ListInstancesOptions{})
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("empty account = %v, %v; want an empty, non-nil list", list, err)
	}
}

// pager is a test server answering GET /instances from pages it is given:
// page i is answered to the i-th request, with the headers of that page.
type pager struct {
	srv      *httptest.Server
	requests atomic.Int32
	queries  chan url.Values
}

type page struct {
	status int
	body   string
	next   string
	total  string
}

func newPager(t *testing.T, pages func(n int) page) *pager {
	p := &pager{queries: make(chan url.Values, 100)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(p.requests.Add(1))
		select {
		case p.queries <- r.URL.Query():
		default:
		}
		pg := pages(n)
		w.Header().Set("Elements-Request-Id", "req-"+strconv.Itoa(n))
		if pg.next != "" {
			w.Header().Set("Elements-Next-Page-Token", pg.next)
		}
		if pg.total != "" {
			w.Header().Set("Elements-Total-Count", pg.total)
		}
		jsonResponse(max(pg.status, 200), pg.body)(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func items(ids ...int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf(`{"id":%d,"name":"n%d"}`, id, id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestListInstancesPagingEdges(t *testing.T) {
	ctx := context.Background()
	t.Run("repeated token is a loop", func(t *testing.T) {
		p := newPager(t, func(n int) page { return page{body: items(n), next: "same"} })
		_, err := newTestClient(t, p.srv.URL).ListInstances(ctx, ListInstancesOptions{})
		if err == nil || !strings.Contains(err.Error(), "repeats the token") {
			t.Errorf("err = %v", err)
		}
		if p.requests.Load() != 2 {
			t.Errorf("%d requests, want 2", p.requests.Load())
		}
	})
	t.Run("endless tokens are bounded by the total", func(t *testing.T) {
		p := newPager(t, func(n int) page { return page{body: items(2*n-1, 2*n), next: "t" + strconv.Itoa(n), total: "6"} })
		_, err := newTestClient(t, p.srv.URL).ListInstances(ctx, ListInstancesOptions{})
		if err == nil || !strings.Contains(err.Error(), "stopped after 16 pages") || !strings.Contains(err.Error(), "total of 6") {
			t.Errorf("err = %v", err)
		}
		if p.requests.Load() != 16 {
			t.Errorf("%d requests, want 16 (2 x 3 pages + 10)", p.requests.Load())
		}
	})
	t.Run("the token and the filters go on every page", func(t *testing.T) {
		p := newPager(t, func(n int) page {
			if n == 1 {
				return page{body: items(1), next: "a/b+c="}
			}
			return page{body: items(2)}
		})
		list, err := newTestClient(t, p.srv.URL).ListInstances(ctx, ListInstancesOptions{Tags: []string{"x"}, SearchText: "s", Abridged: true})
		if err != nil || len(list) != 2 {
			t.Fatalf("list = %v, %v", list, err)
		}
		first, second := <-p.queries, <-p.queries
		if first.Get("nextPage") != "" || second.Get("nextPage") != "a/b+c=" {
			t.Errorf("nextPage = %q then %q", first.Get("nextPage"), second.Get("nextPage"))
		}
		for _, q := range []url.Values{first, second} {
			if q.Get("tags[]") != "x" || q.Get("searchText") != "s" || q.Get("hydrate") != "false" {
				t.Errorf("page query %v lacks the filters", q)
			}
		}
	})
	t.Run("an instance that moves between pages is listed once", func(t *testing.T) {
		p := newPager(t, func(n int) page {
			if n == 1 {
				return page{body: items(1, 2), next: "t"}
			}
			return page{body: items(2, 3)}
		})
		list, err := newTestClient(t, p.srv.URL).ListInstances(ctx, ListInstancesOptions{})
		if err != nil || instanceNames(list) != "n1,n2,n3" {
			t.Errorf("list = %s, %v", instanceNames(list), err)
		}
	})
	t.Run("a failing later page fails the list", func(t *testing.T) {
		p := newPager(t, func(n int) page {
			if n == 1 {
				return page{body: items(1), next: "t"}
			}
			return page{status: 404, body: `{"requestId":"r","message":"No element instances found"}`}
		})
		_, err := newTestClient(t, p.srv.URL).ListInstances(ctx, ListInstancesOptions{})
		if err == nil || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "page 2") {
			t.Errorf("err = %v, want the 404 of page 2, not a short list", err)
		}
	})
	t.Run("cancelled between pages", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		p := newPager(t, func(n int) page {
			if n == 2 {
				cancel()
			}
			return page{body: items(n), next: "t" + strconv.Itoa(n)}
		})
		_, err := newTestClient(t, p.srv.URL).ListInstances(cctx, ListInstancesOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if p.requests.Load() != 2 {
			t.Errorf("%d requests after the cancel, want none beyond page 2", p.requests.Load())
		}
	})
	t.Run("a total that disagrees is logged", func(t *testing.T) {
		p := newPager(t, func(n int) page {
			if n == 1 {
				return page{body: items(1), next: "t", total: "3"}
			}
			return page{body: items(2)}
		})
		var logs logCapture
		list, err := newTestClient(t, p.srv.URL, func(c *Config) { c.Logger = &logs }).ListInstances(ctx, ListInstancesOptions{})
		if err != nil || len(list) != 2 {
			t.Fatalf("list = %v, %v", list, err)
		}
		warn := logs.at(LevelWarn)
		if len(warn) != 1 || warn[0]["total"] != 3 || warn[0]["read"] != 2 {
			t.Errorf("warnings = %v, want one saying 3 counted, 2 read", warn)
		}
	})
}
