package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// message is a Gmail message in an instance's emulated mailbox. Deleted
// messages stay as tombstones so changed-messages can report them.
type message struct {
	ID        string    `json:"id"`
	ThreadID  string    `json:"threadId"`
	LabelIDs  []string  `json:"labelIds"`
	HistoryID int64     `json:"historyId"`
	To        string    `json:"to,omitempty"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Deleted   bool      `json:"deleted,omitempty"`
}

type mailbox struct {
	Messages []*message `json:"messages"`
	// Cursor is the history id at the last changed-messages API call.
	Cursor int64 `json:"cursor,omitempty"`
}

// hubDateLayout has milliseconds, like Gmail's internalDate. Message times
// are whole milliseconds so that they compare exactly with poll windows.
const hubDateLayout = "2006-01-02T15:04:05.000Z"

func (m *message) render(changed bool) map[string]any {
	snippet := m.Body
	if len(snippet) > 100 {
		snippet = snippet[:100]
	}
	out := map[string]any{
		"id":           m.ID,
		"threadId":     m.ThreadID,
		"labelIds":     m.LabelIDs,
		"historyId":    strconv.FormatInt(m.HistoryID, 10),
		"subject":      m.Subject,
		"to":           m.To,
		"body":         m.Body,
		"snippet":      snippet,
		"internalDate": strconv.FormatInt(m.Created.UnixMilli(), 10),
		"createdDate":  m.Created.UTC().Format(hubDateLayout),
		"updatedDate":  m.Updated.UTC().Format(hubDateLayout),
	}
	if changed && m.Deleted {
		out["deleted"] = true
	}
	return out
}

// pollKey carries the poll window of an internal poller request.
type pollKey struct{}

type pollWindow struct{ since, until time.Time }

// hubMailbox resolves the token's instance and its mailbox; the caller
// holds s.mu. Only elements of the general hub have messages.
func (c *call) hubMailbox() (*mailbox, error) {
	inst := c.s.st.Instances[c.auth.instanceID]
	if inst == nil {
		return nil, &notFound{msg: "No element instance found"}
	}
	if el := inst.element(); el.Hub != "general" {
		return nil, &notFound{msg: "Element " + el.Key + " has no resource " + c.route.pattern}
	}
	mb := c.s.st.Mailboxes[inst.ID]
	if mb == nil {
		mb = &mailbox{}
		c.s.st.Mailboxes[inst.ID] = mb
	}
	return mb, nil
}

func (mb *mailbox) find(id string) *message {
	for _, m := range mb.Messages {
		if m.ID == id && !m.Deleted {
			return m
		}
	}
	return nil
}

// stamp is the time of a hub change, in whole milliseconds.
func (s *Server) stamp() time.Time { return s.now().Truncate(time.Millisecond) }

func (s *Server) nextHistoryID() int64 {
	s.st.HistoryID++
	return s.st.HistoryID
}

// messageInput reads {to, subject, body} from JSON or from the "body" field
// of a multipart form, as the Gmail element accepts both.
func (c *call) messageInput() (map[string]any, error) {
	ct := c.r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		r := c.r.Clone(c.r.Context())
		r.Body = nopCloser{strings.NewReader(string(c.body))}
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, badRequestf("Invalid multipart body: %v", err)
		}
		field := r.FormValue("body")
		if field == "" {
			return nil, badRequestf("The multipart form needs a body field with the message JSON")
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(field), &in); err != nil {
			return nil, badRequestf("Invalid JSON in the body field: %v", err)
		}
		return in, nil
	}
	var in map[string]any
	if err := json.Unmarshal(c.body, &in); err != nil || in == nil {
		return nil, badRequestf("Invalid JSON body: a message object is required")
	}
	return in, nil
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func applyMessageFields(m *message, in map[string]any) {
	if v, ok := in["to"].(string); ok {
		m.To = v
	}
	if v, ok := in["subject"].(string); ok {
		m.Subject = v
	}
	if v, ok := in["body"].(string); ok {
		m.Body = v
	}
	if v, ok := in["labelIds"].([]any); ok {
		m.LabelIDs = m.LabelIDs[:0]
		for _, l := range v {
			if s, ok := l.(string); ok {
				m.LabelIDs = append(m.LabelIDs, s)
			}
		}
	}
}

func (s *Server) hubCreateMessage(c *call) {
	in, err := c.messageInput()
	if err != nil {
		c.failErr(err)
		return
	}
	c.change(func() (any, error) {
		mb, err := c.hubMailbox()
		if err != nil {
			return nil, err
		}
		now := s.stamp()
		id := s.ids.hex(8)
		m := &message{ID: id, ThreadID: id, LabelIDs: []string{"SENT"}, HistoryID: s.nextHistoryID(), Created: now, Updated: now}
		applyMessageFields(m, in)
		mb.Messages = append(mb.Messages, m)
		return m.render(false), nil
	})
}

func (s *Server) hubPatchMessage(c *call) {
	in, err := c.messageInput()
	if err != nil {
		c.failErr(err)
		return
	}
	c.change(func() (any, error) {
		m, err := c.hubMessage()
		if err != nil {
			return nil, err
		}
		applyMessageFields(m, in)
		s.touch(m)
		return m.render(false), nil
	})
}

func (s *Server) hubDeleteMessage(c *call) {
	c.change(func() (any, error) {
		m, err := c.hubMessage()
		if err != nil {
			return nil, err
		}
		m.Deleted = true
		s.touch(m)
		return emptyBody{}, nil
	})
}

func (s *Server) hubGetMessage(c *call) {
	c.read(func() (any, error) {
		m, err := c.hubMessage()
		if err != nil {
			return nil, err
		}
		return m.render(false), nil
	})
}

// hubMessage is the live message {id} of the token's mailbox; the caller
// holds s.mu.
func (c *call) hubMessage() (*message, error) {
	mb, err := c.hubMailbox()
	if err != nil {
		return nil, err
	}
	if m := mb.find(c.params["id"]); m != nil {
		return m, nil
	}
	return nil, &notFound{msg: "No message found with id " + c.params["id"]}
}

// touch records a change of m for changed-messages.
func (s *Server) touch(m *message) {
	m.Updated = s.stamp()
	m.HistoryID = s.nextHistoryID()
}

func (s *Server) hubListMessages(c *call) {
	c.read(func() (any, error) {
		mb, err := c.hubMailbox()
		if err != nil {
			return nil, err
		}
		var all []map[string]any
		for _, m := range mb.Messages {
			if !m.Deleted {
				all = append(all, m.render(false))
			}
		}
		return c.page(all, pageToken{})
	})
}

// hubChangedMessages returns the messages changed since the previous call.
// For the poller that is its poll window (since, until]; for API callers it
// is tracked by history id, as Gmail's history API does.
func (s *Server) hubChangedMessages(c *call) {
	tok, fromToken := decodePageToken(c.r.URL.Query().Get("nextPage"))
	c.read(func() (any, error) {
		mb, err := c.hubMailbox()
		if err != nil {
			return nil, err
		}
		var window pageToken
		switch w, fromPoller := c.r.Context().Value(pollKey{}).(pollWindow); {
		case fromPoller:
			window = pageToken{Since: w.since, Until: w.until}
		case fromToken:
			window = tok
		default:
			window = pageToken{FromHistory: mb.Cursor, ToHistory: s.st.HistoryID}
			mb.Cursor = s.st.HistoryID
		}
		msgs := make([]*message, 0, len(mb.Messages))
		for _, m := range mb.Messages {
			if window.contains(m) {
				msgs = append(msgs, m)
			}
		}
		sort.SliceStable(msgs, func(a, b int) bool { return msgs[a].HistoryID < msgs[b].HistoryID })
		var changed []map[string]any
		for _, m := range msgs {
			changed = append(changed, m.render(true))
		}
		return c.page(changed, window)
	})
}

// page cuts the requested page out of all and names the next one in
// Elements-Next-Page-Token.
func (c *call) page(all []map[string]any, window pageToken) (any, error) {
	page, next, err := paginate(c.r, all, window)
	if err != nil {
		return nil, err
	}
	if next != "" {
		c.w.Header().Set("Elements-Next-Page-Token", next)
	}
	return page, nil
}

// pageToken is the opaque nextPage value; for changed-messages it pins
// the change window so later pages match the first.
type pageToken struct {
	Offset      int       `json:"o"`
	Since       time.Time `json:"s,omitzero"`
	Until       time.Time `json:"u,omitzero"`
	FromHistory int64     `json:"f,omitempty"`
	ToHistory   int64     `json:"t,omitempty"`
}

func (w pageToken) contains(m *message) bool {
	if w.ToHistory > 0 {
		return m.HistoryID > w.FromHistory && m.HistoryID <= w.ToHistory
	}
	return m.Updated.After(w.Since) && !m.Updated.After(w.Until)
}

func decodePageToken(s string) (pageToken, bool) {
	var t pageToken
	if s == "" {
		return t, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Offset < 0 {
		return t, false
	}
	return t, true
}

// paginate applies pageSize and nextPage (or page, 1-based) and returns the
// token of the next page, "" on the last one.
func paginate(r *http.Request, all []map[string]any, window pageToken) ([]map[string]any, string, error) {
	q := r.URL.Query()
	size := 200
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", badRequestf("pageSize must be a positive number")
		}
		size = n
	}
	offset := 0
	if v := q.Get("nextPage"); v != "" {
		t, ok := decodePageToken(v)
		if !ok {
			return nil, "", badRequestf("Invalid nextPage token")
		}
		offset = t.Offset
	} else if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", badRequestf("page must be a positive number")
		}
		offset = (n - 1) * size
	}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+size, len(all))
	page := all[offset:end]
	if page == nil {
		page = []map[string]any{}
	}
	next := ""
	if end < len(all) {
		window.Offset = end
		b, _ := json.Marshal(window)
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, next, nil
}

// withPollWindow marks an internal request as the poller's.
func withPollWindow(ctx context.Context, since, until time.Time) context.Context {
	return context.WithValue(ctx, pollKey{}, pollWindow{since: since, until: until})
}
