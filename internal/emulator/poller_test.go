package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const fastMinute = 20 * time.Millisecond

// receiver is a loopback callback endpoint that records notifications.
type receiver struct {
	t  *testing.T
	ts *httptest.Server

	mu       sync.Mutex
	requests []received
	failNext int  // answer 500 to this many requests
	failAll  bool // answer 500 to every request
}

type received struct {
	header http.Header
	body   []byte
	ok     bool
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		fail := rc.failAll || rc.failNext > 0
		if rc.failNext > 0 {
			rc.failNext--
		}
		rc.requests = append(rc.requests, received{header: r.Header.Clone(), body: body, ok: !fail})
		rc.mu.Unlock()
		if fail {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.ts.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

type envelope struct {
	Message struct {
		EventID    int64            `json:"eventId"`
		InstanceID int64            `json:"instanceId"`
		ElementKey string           `json:"elementKey"`
		Events     []map[string]any `json:"events"`
		Raw        map[string]any   `json:"raw"`
	} `json:"message"`
}

// delivered returns the envelopes of the successful notifications.
func (rc *receiver) delivered() []envelope {
	var out []envelope
	for _, r := range rc.all() {
		if !r.ok {
			continue
		}
		var env envelope
		if err := json.Unmarshal(r.body, &env); err != nil {
			rc.t.Errorf("notification is not JSON: %v", err)
			continue
		}
		out = append(out, env)
	}
	return out
}

func (rc *receiver) events() []map[string]any {
	var out []map[string]any
	for _, env := range rc.delivered() {
		out = append(out, env.Message.Events...)
	}
	return out
}

// waitEvent waits for an event of the given type and object id.
func (rc *receiver) waitEvent(eventType, objectID string) map[string]any {
	rc.t.Helper()
	var found map[string]any
	waitFor(rc.t, 10*time.Second, eventType+" "+objectID, func() bool {
		for _, ev := range rc.events() {
			if ev["eventType"] == eventType && ev["objectId"] == objectID {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

const changedMessagesConfig = `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`

func (e *env) createPolling(callback, pollerConfig, interval string) (int64, string) {
	e.t.Helper()
	return e.createGmail("polling", map[string]any{
		"event.notification.enabled":       true,
		"event.notification.callback.url":  callback,
		"event.notification.signature.key": "sig-key",
		"event.poller.refresh_interval":    interval,
		"event.poller.configuration":       pollerConfig,
	})
}

func TestPollingDeliversClassifiedEvents(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	rc := newReceiver(t)
	id, token := e.createPolling(rc.ts.URL+"/cb", changedMessagesConfig, "1")

	m1 := e.postMessage(token, "one")
	m2 := e.postMessage(token, "two")
	ev := rc.waitEvent("CREATED", m1)
	rc.waitEvent("CREATED", m2)
	if ev["objectType"] != "changed-messages" || ev["elementKey"] != "gmail" {
		t.Errorf("event = %v", ev)
	}
	if d, _ := ev["date"].(string); !strings.HasSuffix(d, "Z") {
		t.Errorf("date = %v", ev["date"])
	}

	e.mustStatus(e.do("PATCH", "/hubs/general/messages/"+m1, hubAuth(token), map[string]any{"subject": "one, edited"}), 200)
	rc.waitEvent("UPDATED", m1)
	e.mustStatus(e.do("DELETE", "/hubs/general/messages/"+m2, hubAuth(token), nil), 200)
	rc.waitEvent("DELETED", m2)

	counts := map[string]int{}
	for _, ev := range rc.events() {
		counts[fmt.Sprint(ev["eventType"], " ", ev["objectId"])]++
	}
	want := map[string]int{"CREATED " + m1: 1, "CREATED " + m2: 1, "UPDATED " + m1: 1, "DELETED " + m2: 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("events = %v, want each once: %v", counts, want)
	}

	for _, r := range rc.all() {
		if r.header.Get("Elements-Webhook-Id") == "" {
			t.Error("no Elements-Webhook-Id")
		}
		mac := hmac.New(sha256.New, []byte("sig-key"))
		mac.Write(r.body)
		if want := "sha256=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.header.Get("Elements-Webhook-Signature") != want {
			t.Errorf("signature %q, want %q", r.header.Get("Elements-Webhook-Signature"), want)
		}
	}
	env := rc.delivered()[0]
	if env.Message.InstanceID != id || env.Message.ElementKey != "gmail" || env.Message.EventID == 0 {
		t.Errorf("envelope = %+v", env.Message)
	}
	if objs, _ := env.Message.Raw["objects"].([]any); len(objs) != len(env.Message.Events) || env.Message.Raw["objectType"] != "changed-messages" {
		t.Errorf("raw = %v", env.Message.Raw)
	}

	waitFor(t, 5*time.Second, "delivered counter", func() bool { return e.s.Stats()["events.delivered"] == 4 })
	r := e.do("GET", fmt.Sprintf("/instances/%d/events", id), uo, nil)
	e.mustStatus(r, 200)
	recs := r.list(t)
	if len(recs) != len(rc.delivered()) {
		t.Fatalf("%d records for %d notifications", len(recs), len(rc.delivered()))
	}
	for _, rec := range recs {
		if rec["status"] != "NOTIFIED" || rec["eventDate"] == "" {
			t.Errorf("record = %v", rec)
		}
		var pd map[string]any
		if err := json.Unmarshal([]byte(rec["providerData"].(string)), &pd); err != nil {
			t.Errorf("providerData is not a JSON string: %v", rec["providerData"])
		}
		if nd, _ := rec["notifiedData"].([]any); len(nd) == 0 {
			t.Errorf("notifiedData = %v", rec["notifiedData"])
		}
	}
	r = e.do("GET", fmt.Sprintf("/instances/events/%d", env.Message.EventID), uo+", Element "+token, nil)
	e.mustStatus(r, 200)
	if r.json(t)["id"] != fmt.Sprint(env.Message.EventID) {
		t.Errorf("event by id = %v", r.json(t))
	}
	e.mustStatus(e.do("GET", fmt.Sprintf("/instances/%d/events/1", id), uo, nil), 404)
}

func TestPollingBatchesAndIntervalChange(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	rc := newReceiver(t)
	id, token := e.createPolling(rc.ts.URL, changedMessagesConfig, "100000")
	ids := map[string]bool{}
	for i := 0; i < 25; i++ {
		ids[e.postMessage(token, fmt.Sprint("m", i))] = true
	}
	// A control instance proves the poller is running meanwhile.
	control, _ := e.createPolling(rc.ts.URL, changedMessagesConfig, "1")
	waitFor(t, 5*time.Second, "control polls", func() bool { return e.s.pollCount(control) >= 3 })
	if n := e.s.pollCount(id); n != 0 || len(rc.all()) != 0 {
		t.Fatalf("polled %d times with a long interval", n)
	}

	e.mustStatus(e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{
		"configuration": map[string]any{"event.poller.refresh_interval": "1"},
	}), 200)
	waitFor(t, 10*time.Second, "25 events", func() bool { return len(rc.events()) >= 25 })
	var sizes []int
	for _, env := range rc.delivered() {
		sizes = append(sizes, len(env.Message.Events))
		for _, ev := range env.Message.Events {
			if !ids[ev["objectId"].(string)] || ev["eventType"] != "CREATED" {
				t.Errorf("unexpected event %v", ev)
			}
			delete(ids, ev["objectId"].(string))
		}
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
		t.Errorf("notification sizes = %v, want [10 10 5]", sizes)
	}
	if len(ids) != 0 {
		t.Errorf("no event for %v", ids)
	}
}

func TestDeliveryRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	rc := newReceiver(t)
	rc.failNext = 2
	id, token := e.createPolling(rc.ts.URL, changedMessagesConfig, "1")
	m := e.postMessage(token, "retry me")
	rc.waitEvent("CREATED", m)
	reqs := rc.all()
	if len(reqs) != 3 || reqs[0].ok || reqs[1].ok || !reqs[2].ok {
		t.Fatalf("requests = %d", len(reqs))
	}
	if string(reqs[0].body) != string(reqs[2].body) || reqs[0].header.Get("Elements-Webhook-Id") != reqs[2].header.Get("Elements-Webhook-Id") {
		t.Error("a retry is not the same notification")
	}
	waitFor(t, 5*time.Second, "counters", func() bool {
		st := e.s.Stats()
		return st["events.delivered"] == 1 && st["events.retrying"] == 0 && st["events.failed"] == 0
	})
	r := e.do("GET", fmt.Sprintf("/instances/%d/events", id), uo, nil)
	rec := r.list(t)[0]
	if rec["attempts"] != 3.0 || rec["deliveryStatus"] != "delivered" {
		t.Errorf("record = %v", rec)
	}
}

func TestDeliveryRetryCounterAndCallbackFix(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	bad := newReceiver(t)
	bad.failAll = true
	good := newReceiver(t)
	id, token := e.createPolling(bad.ts.URL, changedMessagesConfig, "1")
	m := e.postMessage(token, "stuck")
	waitFor(t, 5*time.Second, "retrying", func() bool { return e.s.Stats()["events.retrying"] == 1 })
	e.mustStatus(e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{
		"configuration": map[string]any{"event.notification.callback.url": good.ts.URL},
	}), 200)
	good.waitEvent("CREATED", m)
	waitFor(t, 5*time.Second, "counters", func() bool {
		st := e.s.Stats()
		return st["events.retrying"] == 0 && st["events.delivered"] == 1
	})
	m2 := e.postMessage(token, "after the change")
	good.waitEvent("CREATED", m2)
	for _, ev := range bad.events() {
		t.Errorf("the old callback got %v", ev)
	}
}

func TestDeliveryGivesUpAfterNineRetries(t *testing.T) {
	// 4^1+...+4^9 emulated seconds = about 97 emulated hours; 100µs minutes make it 0.6 s.
	e := newEnv(t, Options{Minute: 100 * time.Microsecond})
	rc := newReceiver(t)
	rc.failAll = true
	id, token := e.createPolling(rc.ts.URL, changedMessagesConfig, "1")
	e.postMessage(token, "doomed")
	waitFor(t, 20*time.Second, "failed", func() bool { return e.s.Stats()["events.failed"] == 1 })
	if n := len(rc.all()); n != 1+maxRetries {
		t.Errorf("attempts = %d, want %d", n, 1+maxRetries)
	}
	st := e.s.Stats()
	if st["events.retrying"] != 0 || st["events.delivered"] != 0 {
		t.Errorf("stats = %v", st)
	}
	r := e.do("GET", fmt.Sprintf("/instances/%d/events", id), uo, nil)
	rec := r.list(t)[0]
	if rec["deliveryStatus"] != "failed" || rec["status"] == "NOTIFIED" || rec["lastError"] == "" {
		t.Errorf("record = %v", rec)
	}
}

func TestRetryDelays(t *testing.T) {
	b := &eventBus{s: &Server{opts: Options{Minute: 60 * time.Second}}}
	for x, want := range map[int]time.Duration{1: 4 * time.Second, 2: 16 * time.Second, 9: 262144 * time.Second} {
		if got := b.retryDelay(x); got != want {
			t.Errorf("retry %d: %v, want %v", x, got, want)
		}
	}
	b.s.opts.Minute = time.Second
	if got := b.retryDelay(1); got != 4*time.Second/60 {
		t.Errorf("scaled delay = %v", got)
	}
}

func TestPollingStops(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	rc := newReceiver(t)
	control, _ := e.createPolling(rc.ts.URL, changedMessagesConfig, "1")
	idle := func(id int64, what string) {
		t.Helper()
		before := e.s.pollCount(id)
		start := e.s.pollCount(control)
		waitFor(t, 5*time.Second, "control polls", func() bool { return e.s.pollCount(control) >= start+5 })
		// One poll may have been in flight when the change was made.
		if after := e.s.pollCount(id); after > before+1 {
			t.Errorf("%s: %d polls after stopping", what, after-before)
		}
	}
	busy := func(id int64, what string) {
		t.Helper()
		before := e.s.pollCount(id)
		waitFor(t, 5*time.Second, what+" polls", func() bool { return e.s.pollCount(id) >= before+2 })
	}

	id, _ := e.createPolling(rc.ts.URL, changedMessagesConfig, "1")
	busy(id, "new instance")
	e.mustStatus(e.do("DELETE", fmt.Sprintf("/instances/%d/enabled", id), uo, nil), 200)
	idle(id, "disabled")
	e.mustStatus(e.do("PUT", fmt.Sprintf("/instances/%d/enabled", id), uo, nil), 200)
	busy(id, "enabled again")
	e.mustStatus(e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{
		"configuration": map[string]any{"event.notification.enabled": false},
	}), 200)
	idle(id, "events off")
	e.mustStatus(e.do("PATCH", fmt.Sprintf("/instances/%d", id), uo, map[string]any{
		"configuration": map[string]any{"event.notification.enabled": "true"},
	}), 200)
	busy(id, "events on")
	e.mustStatus(e.do("DELETE", fmt.Sprintf("/instances/%d", id), uo, nil), 200)
	idle(id, "deleted")
}

func TestPollerDatesConfigurationAndPlaceholders(t *testing.T) {
	e := newEnv(t, Options{Minute: fastMinute})
	rc := newReceiver(t)
	cfg := `{
	  "messages": {
	    "url": "/hubs/general/messages?where=updatedDate >= '${gmtDate:yyyy-MM-dd'T'HH:mm:ss}' and x=${epoch:s}",
	    "idField": "id",
	    "pageSize": "2",
	    "UnknownKey": 1,
	    "datesConfiguration": {
	      "updatedDateField": "updatedDate", "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSX", "updatedDateTimezone": "GMT",
	      "createdDateField": "internalDate", "createdDateFormat": "milliseconds"
	    }
	  },
	  "changed-messages": {"url": "/hubs/general/changed-messages", "idField": ""}
	}`
	_, token := e.createPolling(rc.ts.URL, cfg, "1")
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, e.postMessage(token, fmt.Sprint("m", i)))
	}
	for _, id := range ids {
		rc.waitEvent("CREATED", id)
	}
	e.mustStatus(e.do("PATCH", "/hubs/general/messages/"+ids[0], hubAuth(token), map[string]any{"subject": "x"}), 200)
	rc.waitEvent("UPDATED", ids[0])
	waitFor(t, 5*time.Second, "changed-messages events", func() bool {
		n := 0
		for _, ev := range rc.events() {
			if ev["objectType"] == "changed-messages" {
				if ev["objectId"] != "" {
					t.Errorf("empty idField gave objectId %v", ev["objectId"])
				}
				n++
			}
		}
		return n >= 4
	})
	for _, ev := range rc.events() {
		if ev["objectType"] == "messages" && ev["eventType"] == "UPDATED" && ev["objectId"] != ids[0] {
			t.Errorf("unexpected %v", ev)
		}
	}
}

func TestClassify(t *testing.T) {
	since := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	until := since.Add(time.Minute)
	at := func(d time.Duration) string { return since.Add(d).Format(time.RFC3339Nano) }
	base := pollResource{Name: "contacts", IDField: "user.id", FilterByUpdatedDate: true, UpdatedField: "updatedDate",
		CreatedField: "createdDate", UpdatedZone: time.UTC, CreatedZone: time.UTC}
	tolerant := base
	tolerant.Tolerance = 2 * time.Second
	unfiltered := base
	unfiltered.FilterByUpdatedDate = false
	tests := []struct {
		name   string
		res    pollResource
		obj    map[string]any
		want   string // "" = skipped
		wantID string
	}{
		{"created", base, map[string]any{"user": map[string]any{"id": 7.0}, "createdDate": at(time.Second), "updatedDate": at(time.Second)}, "CREATED", "7"},
		{"updated", base, map[string]any{"user": map[string]any{"id": "u1"}, "createdDate": at(-time.Hour), "updatedDate": at(time.Second)}, "UPDATED", "u1"},
		{"within tolerance", tolerant, map[string]any{"createdDate": at(time.Second), "updatedDate": at(2 * time.Second)}, "CREATED", ""},
		{"beyond tolerance", tolerant, map[string]any{"createdDate": at(time.Second), "updatedDate": at(4 * time.Second)}, "UPDATED", ""},
		{"updated at the last poll", base, map[string]any{"createdDate": at(-time.Hour), "updatedDate": at(0)}, "", ""},
		{"updated before the last poll", base, map[string]any{"createdDate": at(-time.Hour), "updatedDate": at(-time.Second)}, "", ""},
		{"after the window", base, map[string]any{"createdDate": at(-time.Hour), "updatedDate": at(2 * time.Minute)}, "", ""},
		{"not filtered", unfiltered, map[string]any{"createdDate": at(-time.Hour), "updatedDate": at(-time.Second)}, "UPDATED", ""},
		{"deleted", base, map[string]any{"deleted": true, "createdDate": at(-time.Hour), "updatedDate": at(time.Second)}, "DELETED", ""},
		{"no dates", base, map[string]any{"user": map[string]any{"id": "x"}}, "UNKNOWN", "x"},
		{"created only", base, map[string]any{"createdDate": at(time.Second)}, "CREATED", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := classify(tc.obj, tc.res, since, until)
			if tc.want == "" {
				if ok {
					t.Fatalf("not skipped: %+v", ev)
				}
				return
			}
			if !ok || ev.EventType != tc.want || ev.ObjectID != tc.wantID || ev.ObjectType != "contacts" {
				t.Errorf("got %+v (%v), want %s %q", ev, ok, tc.want, tc.wantID)
			}
		})
	}
}

func TestParsePollerConfig(t *testing.T) {
	res, err := parsePollerConfig(`{
	  "b": {"url": "/b", "UpdatedDateTimezone": "PST", "filterByUpdateDate": false, "pageSize": "5", "pollDelay": 30, "createdCheckTolerance": "2"},
	  "a": {"url": "/a", "idField": "", "datesConfiguration": {"updatedDateField": "u", "createdDateField": "c", "updatedDateTimezone": "-5:00", "createdDateTimezone": "UTC"}}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Name != "a" || res[1].Name != "b" {
		t.Fatalf("resources = %+v", res)
	}
	a, b := res[0], res[1]
	if a.UpdatedField != "u" || a.CreatedField != "c" || a.CreatedZone != time.UTC || !a.FilterByUpdatedDate || a.PageSize != defaultPageSize {
		t.Errorf("a = %+v", a)
	}
	if _, off := refTime.In(a.UpdatedZone).Zone(); off != -5*3600 {
		t.Errorf("a zone offset = %d", off)
	}
	if b.FilterByUpdatedDate || b.PageSize != 5 || b.PollDelay != 30*time.Second || b.Tolerance != 2*time.Second || b.UpdatedField != defaultUpdatedField {
		t.Errorf("b = %+v", b)
	}
	if b.UpdatedZone.String() != "America/Los_Angeles" || b.CreatedZone.String() != "America/Los_Angeles" {
		t.Errorf("b zones = %v %v", b.UpdatedZone, b.CreatedZone)
	}
	if _, err := parsePollerConfig(`{"a": {"url": "/a", "datesConfiguration": {"updatedDateTimezone": "Nowhere/Land"}}}`); err == nil {
		t.Error("bad zone accepted")
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for _, c := range []struct {
		host string
		ok   bool
	}{{"127.0.0.1", true}, {"localhost", true}, {"::1", true}, {"example.com", false}, {"10.0.0.1", false}, {"192.168.1.1", false}} {
		if got := isLoopbackHost(c.host); got != c.ok {
			t.Errorf("isLoopbackHost(%q) = %v", c.host, got)
		}
	}
}

// countingTransport fails every request and counts them, so a test can
// prove delivery never tried the network.
type countingTransport struct{ calls atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return nil, errors.New("the test transport answers nothing")
}

func TestRemoteCallbacksAreRefusedByDefault(t *testing.T) {
	e := newEnv(t, Options{Minute: 100 * time.Microsecond})
	transport := &countingTransport{}
	e.s.events.client = &http.Client{Transport: transport}
	id, token := e.createPolling("https://hooks.example.com/cb", changedMessagesConfig, "1")
	e.postMessage(token, "stays here")
	waitFor(t, 20*time.Second, "failed", func() bool { return e.s.Stats()["events.failed"] == 1 })
	if n := transport.calls.Load(); n != 0 {
		t.Fatalf("delivery sent %d requests towards a remote host", n)
	}
	rec := e.do("GET", fmt.Sprintf("/instances/%d/events", id), uo, nil).list(t)[0]
	if msg, _ := rec["lastError"].(string); !strings.Contains(msg, "not loopback") {
		t.Fatalf("lastError = %q", msg)
	}
}
