package emulator

import (
	"net/url"
	"reflect"
	"strconv"
	"testing"
)

// listPages walks GET /instances page by page over raw HTTP, repeating
// query on every page, and returns each page's names and headers.
func (e *env) listPages(query url.Values) (pages [][]string, totals, returned []string) {
	e.t.Helper()
	token := ""
	for range 100 {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		if token != "" {
			q.Set("nextPage", token)
		}
		r := e.do("GET", "/instances?"+q.Encode(), uo, nil)
		e.mustStatus(r, 200)
		var names []string
		for _, it := range r.list(e.t) {
			names = append(names, it["name"].(string))
		}
		pages = append(pages, names)
		totals = append(totals, r.header.Get("Elements-Total-Count"))
		returned = append(returned, r.header.Get("Elements-Returned-Count"))
		if token = r.header.Get("Elements-Next-Page-Token"); token == "" {
			return pages, totals, returned
		}
	}
	e.t.Fatal("more than 100 pages")
	return nil, nil, nil
}

func TestListInstancesPages(t *testing.T) {
	e := newEnv(t, Options{PageSize: 2})
	for i := 1; i <= 5; i++ {
		e.createNetsuite("erp "+strconv.Itoa(i), func(b map[string]any) { b["tags"] = []string{"t" + strconv.Itoa(i%2)} })
	}

	pages, totals, returned := e.listPages(url.Values{})
	if want := [][]string{{"erp 1", "erp 2"}, {"erp 3", "erp 4"}, {"erp 5"}}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
	if !reflect.DeepEqual(totals, []string{"5", "5", "5"}) || !reflect.DeepEqual(returned, []string{"2", "2", "1"}) {
		t.Errorf("Elements-Total-Count %v, Elements-Returned-Count %v", totals, returned)
	}

	// Filters page too, with the total of what matches.
	pages, totals, _ = e.listPages(url.Values{"tags[]": {"t1"}})
	if want := [][]string{{"erp 1", "erp 3"}, {"erp 5"}}; !reflect.DeepEqual(pages, want) || totals[0] != "3" {
		t.Errorf("tag t1: pages %v totals %v", pages, totals)
	}

	// pageSize asks for fewer, never for more than the server's page.
	pages, _, _ = e.listPages(url.Values{"pageSize": {"1"}, "searchText": {"erp"}})
	if len(pages) != 5 {
		t.Errorf("pageSize=1: %d pages, want 5", len(pages))
	}
	pages, _, _ = e.listPages(url.Values{"pageSize": {"500"}})
	if len(pages) != 3 {
		t.Errorf("pageSize=500 with a server page of 2: %d pages, want 3", len(pages))
	}
	for _, bad := range []string{"0", "-1", "two"} {
		e.mustStatus(e.do("GET", "/instances?pageSize="+bad, uo, nil), 400)
	}
}

func TestListInstancesPageTokens(t *testing.T) {
	e := newEnv(t, Options{PageSize: 2})
	var ids []int64
	for i := 1; i <= 4; i++ {
		id, _, _ := e.createNetsuite("erp "+strconv.Itoa(i), func(b map[string]any) { b["tags"] = []string{"x"} })
		ids = append(ids, id)
	}
	first := e.do("GET", "/instances?tags[]=x", uo, nil)
	e.mustStatus(first, 200)
	token := first.header.Get("Elements-Next-Page-Token")
	if token == "" {
		t.Fatal("no Elements-Next-Page-Token on a first page of two out of four")
	}

	// A token is for the query it came from.
	r := e.do("GET", "/instances?nextPage="+url.QueryEscape(token), uo, nil)
	e.mustStatus(r, 400)
	e.mustStatus(e.do("GET", "/instances?tags[]=x&nextPage=bogus", uo, nil), 400)

	// Pages are by position in id order, so a deletion between pages
	// neither repeats nor skips an instance.
	e.mustStatus(e.do("DELETE", "/instances/"+strconv.FormatInt(ids[0], 10), uo, nil), 200)
	r = e.do("GET", "/instances?tags[]=x&nextPage="+url.QueryEscape(token), uo, nil)
	e.mustStatus(r, 200)
	var names []string
	for _, it := range r.list(t) {
		names = append(names, it["name"].(string))
	}
	if !reflect.DeepEqual(names, []string{"erp 3", "erp 4"}) || r.header.Get("Elements-Next-Page-Token") != "" {
		t.Errorf("second page after a deletion = %v (token %q), want [erp 3 erp 4] and no token", names, r.header.Get("Elements-Next-Page-Token"))
	}
	if got := r.header.Get("Elements-Total-Count"); got != "3" {
		t.Errorf("Elements-Total-Count = %s, want 3", got)
	}

	// An empty account is still 404.
	for _, id := range ids[1:] {
		e.mustStatus(e.do("DELETE", "/instances/"+strconv.FormatInt(id, 10), uo, nil), 200)
	}
	e.mustStatus(e.do("GET", "/instances", uo, nil), 404)
}

func TestListInstancesAbridged(t *testing.T) {
	e := newEnv(t, Options{})
	id, _, _ := e.createNetsuite("erp", nil)
	r := e.do("GET", "/instances?hydrate=false", uo, nil)
	e.mustStatus(r, 200)
	items := r.list(t)
	if len(items) != 1 {
		t.Fatalf("items = %v", items)
	}
	it := items[0]
	if it["id"] != float64(id) || it["name"] != "erp" || it["createdDate"] == "" || it["elementId"] == nil {
		t.Errorf("abridged item = %v", it)
	}
	for _, absent := range []string{"token", "configuration", "element", "disabled", "provisionInteractions"} {
		if _, ok := it[absent]; ok {
			t.Errorf("abridged item has %q: %v", absent, it)
		}
	}
	full := e.do("GET", "/instances", uo, nil).list(t)[0]
	if _, ok := full["configuration"]; !ok {
		t.Errorf("hydrated item has no configuration: %v", full)
	}
}
