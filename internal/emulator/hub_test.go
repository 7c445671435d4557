package emulator

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"
)

func hubAuth(token string) string { return "User dev-user-secret, Element " + token }

func (e *env) postMessage(token, subject string) string {
	e.t.Helper()
	r := e.do("POST", "/hubs/general/messages", hubAuth(token), map[string]any{"to": "a@example.com", "subject": subject, "body": "hello"})
	e.mustStatus(r, 200)
	return r.json(e.t)["id"].(string)
}

func TestHubMessages(t *testing.T) {
	e := newEnv(t, Options{})
	id, token := e.createGmail("hub", nil)
	auth := hubAuth(token)

	r := e.do("POST", "/hubs/general/messages", auth, map[string]any{"to": "a@example.com", "subject": "first", "body": "b"})
	e.mustStatus(r, 200)
	if got := r.header.Get("elements-element-instance-id"); got != strconv.FormatInt(id, 10) {
		t.Errorf("elements-element-instance-id = %q", got)
	}
	m1 := r.json(t)
	for _, f := range []string{"id", "threadId", "labelIds", "historyId", "subject", "createdDate", "updatedDate"} {
		if _, ok := m1[f]; !ok {
			t.Errorf("message lacks %s", f)
		}
	}
	id1 := m1["id"].(string)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("body", `{"to":"b@example.com","subject":"multipart"}`)
	fw, _ := mw.CreateFormFile("file", "a.txt")
	_, _ = fw.Write([]byte("attachment"))
	mw.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+apiBase+"/hubs/general/messages", &buf)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("multipart POST: %d", res.StatusCode)
	}

	r = e.do("PATCH", "/hubs/general/messages/"+id1, auth, map[string]any{"subject": "changed", "labelIds": []string{"INBOX"}})
	e.mustStatus(r, 200)
	if r.json(t)["subject"] != "changed" || r.json(t)["historyId"] == m1["historyId"] {
		t.Errorf("patched = %v", r.json(t))
	}
	r = e.do("GET", "/hubs/general/messages/"+id1, auth, nil)
	e.mustStatus(r, 200)
	if r.json(t)["subject"] != "changed" {
		t.Error("GET after PATCH")
	}
	r = e.do("GET", "/hubs/general/messages", auth, nil)
	e.mustStatus(r, 200)
	if n := len(r.list(t)); n != 2 {
		t.Errorf("list = %d", n)
	}

	r = e.do("GET", "/hubs/general/changed-messages", auth, nil)
	e.mustStatus(r, 200)
	if n := len(r.list(t)); n != 2 {
		t.Errorf("first changed-messages = %d", n)
	}
	r = e.do("GET", "/hubs/general/changed-messages", auth, nil)
	if n := len(r.list(t)); n != 0 {
		t.Errorf("second changed-messages = %d, want 0", n)
	}
	e.mustStatus(e.do("DELETE", "/hubs/general/messages/"+id1, auth, nil), 200)
	e.mustStatus(e.do("GET", "/hubs/general/messages/"+id1, auth, nil), 404)
	e.mustStatus(e.do("PATCH", "/hubs/general/messages/"+id1, auth, map[string]any{"subject": "x"}), 404)
	r = e.do("GET", "/hubs/general/changed-messages", auth, nil)
	changed := r.list(t)
	if len(changed) != 1 || changed[0]["id"] != id1 || changed[0]["deleted"] != true {
		t.Errorf("changed after delete = %v", changed)
	}

	for i := 0; i < 3; i++ {
		e.postMessage(token, fmt.Sprint("page ", i))
	}
	r = e.do("GET", "/hubs/general/messages?pageSize=2", auth, nil)
	next := r.header.Get("Elements-Next-Page-Token")
	if len(r.list(t)) != 2 || next == "" {
		t.Fatalf("page 1: %d items, token %q", len(r.list(t)), next)
	}
	r = e.do("GET", "/hubs/general/messages?pageSize=2&nextPage="+next, auth, nil)
	if len(r.list(t)) != 2 || r.header.Get("Elements-Next-Page-Token") != "" {
		t.Errorf("page 2: %d items, token %q", len(r.list(t)), r.header.Get("Elements-Next-Page-Token"))
	}

	e.mustStatus(e.do("POST", "/hubs/general/messages", auth, "{"), 400)
	_, nsToken, _ := e.createNetsuite("no mailbox", nil)
	e.mustStatus(e.do("GET", "/hubs/general/messages", hubAuth(nsToken), nil), 404)
	if got := e.s.Stats()["POST /hubs/general/messages"]; got != 6 {
		t.Errorf("hub stats = %d", got)
	}
}
