package emulator

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/webhook"
)

const (
	// maxEventsPerNotification is the polling limit of section 5.6.
	maxEventsPerNotification = 10
	// maxRetries and the 2^(2x) s backoff follow section 5.8.
	maxRetries = 9
	// maxRecordsPerInstance bounds the event history kept in memory.
	maxRecordsPerInstance = 1000
)

// Delivery states of a notification, shown as deliveryStatus in event records.
const (
	deliveryPending   = "pending"
	deliveryRetrying  = "retrying"
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed"
)

// notification is one callback POST carrying up to ten events. Event
// records (section 5.9) are notifications: providerData is the raw vendor
// payload and notifiedData the normalized events.
type notification struct {
	ID         int64
	WebhookID  string
	InstanceID int64
	ElementKey string
	Created    time.Time
	Events     []pollEvent
	Body       []byte
	Raw        []byte

	// guarded by eventBus.mu
	status    string
	attempts  int
	lastError string
	delivered []map[string]any
}

// eventBus queues notifications per instance and delivers them in order,
// one at a time, retrying failures with growing delays.
type eventBus struct {
	s      *Server
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	nextID    int64
	queues    map[int64][]*notification
	running   map[int64]bool
	records   map[int64][]*notification
	delivered int
	failed    int
	retrying  int
}

func newEventBus(s *Server) *eventBus {
	ctx, cancel := context.WithCancel(context.Background())
	return &eventBus{
		s:       s,
		client:  &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}},
		ctx:     ctx,
		cancel:  cancel,
		nextID:  100000 + s.ids.intn(900000),
		queues:  map[int64][]*notification{},
		running: map[int64]bool{},
		records: map[int64][]*notification{},
	}
}

func (b *eventBus) close() {
	b.cancel()
	b.client.CloseIdleConnections()
}

func (b *eventBus) counters() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return map[string]int{"events.delivered": b.delivered, "events.retrying": b.retrying, "events.failed": b.failed}
}

// resetCounters clears the cumulative counters; events.retrying is a gauge.
func (b *eventBus) resetCounters() {
	b.mu.Lock()
	b.delivered, b.failed = 0, 0
	b.mu.Unlock()
}

// publish splits events into notifications of at most ten and queues them.
func (b *eventBus) publish(instanceID int64, elementKey, objectType string, events []pollEvent) {
	for start := 0; start < len(events); start += maxEventsPerNotification {
		batch := events[start:min(start+maxEventsPerNotification, len(events))]
		raws := make([]any, len(batch))
		for i, ev := range batch {
			raws[i] = ev.raw
		}
		raw, _ := webhook.PolledRaw(objectType, raws)

		b.mu.Lock()
		n := &notification{
			ID:         b.nextID,
			WebhookID:  b.s.reqIDs.hex(12),
			InstanceID: instanceID,
			ElementKey: elementKey,
			Created:    b.s.now(),
			Events:     batch,
			Raw:        raw,
			status:     deliveryPending,
		}
		b.nextID++
		n.Body, _ = webhook.Notification{Message: webhook.Message{
			EventID:    n.ID,
			InstanceID: instanceID,
			ElementKey: elementKey,
			Events:     wireEvents(batch),
			Raw:        raw,
		}}.Encode()
		recs := append(b.records[instanceID], n)
		if len(recs) > maxRecordsPerInstance {
			recs = recs[len(recs)-maxRecordsPerInstance:]
		}
		b.records[instanceID] = recs
		b.queues[instanceID] = append(b.queues[instanceID], n)
		start := !b.running[instanceID]
		b.running[instanceID] = true
		b.mu.Unlock()
		if start {
			b.s.wg.Add(1)
			go b.worker(instanceID)
		}
	}
}

func (b *eventBus) worker(instanceID int64) {
	defer b.s.wg.Done()
	for {
		b.mu.Lock()
		q := b.queues[instanceID]
		if len(q) == 0 || b.ctx.Err() != nil {
			b.running[instanceID] = false
			b.mu.Unlock()
			return
		}
		n := q[0]
		b.queues[instanceID] = q[1:]
		b.mu.Unlock()
		b.deliver(n)
	}
}

// retryDelay is 2^(2x) seconds for retry x, in emulated time.
func (b *eventBus) retryDelay(retry int) time.Duration {
	seconds := float64(int64(1) << (2 * retry))
	return time.Duration(seconds * float64(b.s.opts.Minute) / 60)
}

// deliver POSTs a notification until it succeeds or runs out of retries.
// The callback URL and signature key are read at each attempt, so a fixed
// callback picks up pending notifications.
func (b *eventBus) deliver(n *notification) {
	for {
		status, errText := b.attempt(n)
		b.mu.Lock()
		n.attempts++
		n.delivered = append(n.delivered, map[string]any{
			"attempt": n.attempts, "status": status, "error": errText,
			"date": b.s.now().UTC().Format(dateLayout),
		})
		if errText == "" {
			if n.status == deliveryRetrying {
				b.retrying -= len(n.Events)
			}
			n.status, n.lastError = deliveryDelivered, ""
			b.delivered += len(n.Events)
			b.mu.Unlock()
			return
		}
		n.lastError = errText
		if n.attempts > maxRetries {
			if n.status == deliveryRetrying {
				b.retrying -= len(n.Events)
			}
			n.status = deliveryFailed
			b.failed += len(n.Events)
			b.mu.Unlock()
			b.s.logf("emulator: instance %d: event %d failed after %d attempts: %s", n.InstanceID, n.ID, n.attempts, errText)
			return
		}
		if n.status != deliveryRetrying {
			n.status = deliveryRetrying
			b.retrying += len(n.Events)
		}
		delay := b.retryDelay(n.attempts)
		b.mu.Unlock()
		b.s.logf("emulator: instance %d: event %d delivery failed (%s), retry %d in %v", n.InstanceID, n.ID, errText, n.attempts, delay)
		t := time.NewTimer(delay)
		select {
		case <-b.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// attempt makes one POST; errText is "" on a 2xx answer.
func (b *eventBus) attempt(n *notification) (status int, errText string) {
	s := b.s
	s.mu.Lock()
	inst := s.st.Instances[n.InstanceID]
	var callback, key string
	if inst != nil {
		callback, key = inst.value(keyCallbackURL), inst.value(keySignatureKey)
	}
	s.mu.Unlock()
	switch {
	case inst == nil:
		return 0, "instance deleted"
	case callback == "":
		return 0, "no event.notification.callback.url"
	}
	req, err := webhook.NewRequest(b.ctx, callback, n.WebhookID, key, n.Body)
	if err != nil {
		return 0, "invalid callback URL"
	}
	if !s.opts.AllowRemoteCallbacks && !isLoopbackHost(req.URL.Hostname()) {
		return 0, "callback host " + req.URL.Hostname() + " is not loopback; start the emulator with -allow-remote-callbacks to deliver there"
	}
	res, err := b.client.Do(req)
	if err != nil {
		// The error text holds the URL, which may carry credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			return 0, ue.Op + " failed: " + ue.Err.Error()
		}
		return 0, "transport error"
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, "callback answered " + res.Status
	}
	return res.StatusCode, ""
}

// wireEvents is how the events of a notification are sent.
func wireEvents(events []pollEvent) []webhook.Event {
	out := make([]webhook.Event, len(events))
	for i, ev := range events {
		out[i] = webhook.Event{EventType: ev.EventType, ObjectID: ev.ObjectID, ObjectType: ev.ObjectType, ElementKey: ev.ElementKey, Date: ev.Date}
	}
	return out
}

// eventRecord is a notification as GET /instances/{id}/events shows it.
type eventRecord struct {
	ID             string           `json:"id"`
	EventDate      string           `json:"eventDate"`
	Status         string           `json:"status"`
	ProviderData   string           `json:"providerData"`
	NotifiedData   []pollEvent      `json:"notifiedData"`
	InstanceID     int64            `json:"instanceId"`
	ElementKey     string           `json:"elementKey"`
	DeliveryStatus string           `json:"deliveryStatus"`
	Attempts       int              `json:"attempts"`
	LastError      string           `json:"lastError,omitempty"`
	Deliveries     []map[string]any `json:"deliveries"`
}

func (n *notification) record() eventRecord {
	status := "DISPATCHED"
	switch n.status {
	case deliveryPending:
		status = "NEW"
	case deliveryDelivered:
		status = "NOTIFIED"
	}
	deliveries := append([]map[string]any{}, n.delivered...)
	return eventRecord{
		ID:             strconv.FormatInt(n.ID, 10),
		EventDate:      n.Created.UTC().Format(dateLayout),
		Status:         status,
		ProviderData:   string(n.Raw),
		NotifiedData:   n.Events,
		InstanceID:     n.InstanceID,
		ElementKey:     n.ElementKey,
		DeliveryStatus: n.status,
		Attempts:       n.attempts,
		LastError:      n.lastError,
		Deliveries:     deliveries,
	}
}

// eventsOf lists an instance's event records, newest first.
func (b *eventBus) eventsOf(instanceID int64) []eventRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	recs := b.records[instanceID]
	out := make([]eventRecord, 0, len(recs))
	for i := len(recs) - 1; i >= 0; i-- {
		out = append(out, recs[i].record())
	}
	return out
}

// The event routes take eventBus.mu inside s.mu; nothing takes them the
// other way round.

func (s *Server) listEvents(c *call) {
	c.read(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		recs := s.events.eventsOf(inst.ID)
		if v := c.r.URL.Query().Get("pageSize"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(recs) {
				recs = recs[:n]
			}
		}
		return recs, nil
	})
}

func (s *Server) getEvent(c *call) {
	c.read(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		for _, r := range s.events.eventsOf(inst.ID) {
			if r.ID == c.params["eventId"] {
				return r, nil
			}
		}
		return nil, &notFound{msg: "No event found with id " + c.params["eventId"]}
	})
}

// isLoopbackHost reports whether host names this machine without a DNS
// lookup: localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
