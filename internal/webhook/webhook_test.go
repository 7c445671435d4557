package webhook

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// The known answers were computed outside Go, with OpenSSL:
//
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$key" -binary | base64
//
// The first is test case 2 of RFC 4231 (HMAC-SHA256 of "what do ya want for
// nothing?" under "Jefe" is 5bdcc146…ec3843 in hex), so it is checked against
// a published vector as well.
func TestSignKnownAnswers(t *testing.T) {
	for _, c := range []struct{ key, body, want string }{
		{"Jefe", "what do ya want for nothing?", "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
		{
			"my-signature-key",
			`{"message":{"eventId":381625,"instanceId":78340,"elementKey":"gmail","events":[{"eventType":"CREATED","objectId":"5ea3f35dda31eb27","objectType":"changed-messages","elementKey":"gmail","date":"2026-11-28T09:26:05Z"}],"raw":{"objectType":"changed-messages","objects":[{"id":"5ea3f35dda31eb27"}]}}}`,
			"sha256=FGzMXn2Yxquf49aVQGRFBZ9eGD3A4jjdj+L8jeGjkb4=",
		},
	} {
		if got := Sign(c.key, []byte(c.body)); got != c.want {
			t.Errorf("Sign(%q, %.20q…) = %s, want %s", c.key, c.body, got, c.want)
		}
	}
}

// TestEncodeIsTheSignedEnvelope: the second known answer's body is what
// Encode writes for that notification, byte for byte, so the signature a
// receiver checks is over the documented envelope.
func TestEncodeIsTheSignedEnvelope(t *testing.T) {
	n := Notification{Message: Message{
		EventID: 381625, InstanceID: 78340, ElementKey: "gmail",
		Events: []Event{{EventType: "CREATED", ObjectID: "5ea3f35dda31eb27", ObjectType: "changed-messages", ElementKey: "gmail", Date: "2026-11-28T09:26:05Z"}},
		Raw:    json.RawMessage(`{"objectType":"changed-messages","objects":[{"id":"5ea3f35dda31eb27"}]}`),
	}}
	body, err := n.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Sign("my-signature-key", body), "sha256=FGzMXn2Yxquf49aVQGRFBZ9eGD3A4jjdj+L8jeGjkb4="; got != want {
		t.Fatalf("body %s signs as %s, want %s", body, got, want)
	}

	raw, err := PolledRaw("changed-messages", []any{map[string]any{"id": "5ea3f35dda31eb27"}})
	if err != nil || string(raw) != string(n.Message.Raw) {
		t.Errorf("PolledRaw = %s, %v; want %s", raw, err, n.Message.Raw)
	}
	if none, _ := PolledRaw("threads", nil); string(none) != `{"objectType":"threads","objects":[]}` {
		t.Errorf("PolledRaw without objects = %s", none)
	}

	empty, err := Notification{}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"message":{"eventId":0,"instanceId":0,"elementKey":"","events":[],"raw":null}}`; string(empty) != want {
		t.Errorf("empty notification %s, want %s", empty, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"message":{"events":[]}}`)
	good := Sign("k1", body)
	for _, c := range []struct {
		name   string
		key    string
		body   []byte
		header string
		want   bool
	}{
		{"the signature of the body", "k1", body, good, true},
		{"another key", "k2", body, good, false},
		{"a changed body", "k1", []byte(`{"message":{"events":[1]}}`), good, false},
		{"no header", "k1", body, "", false},
		{"without the prefix", "k1", body, strings.TrimPrefix(good, "sha256="), false},
		{"the old sha1 prefix", "k1", body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"re-encoded JSON", "k1", []byte(`{"message": {"events": []}}`), good, false},
	} {
		if got := Verify(c.key, c.body, c.header); got != c.want {
			t.Errorf("%s: Verify = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestNewRequest(t *testing.T) {
	body := []byte(`{"message":{}}`)
	req, err := NewRequest(context.Background(), "https://hooks.example.com/gmail", "0a1b2c", "k", body)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL.String() != "https://hooks.example.com/gmail" {
		t.Errorf("%s %s", req.Method, req.URL)
	}
	for header, want := range map[string]string{
		"Content-Type": "application/json", IDHeader: "0a1b2c", SignatureHeader: Sign("k", body),
	} {
		if got := req.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	sent, _ := io.ReadAll(req.Body)
	if string(sent) != string(body) {
		t.Errorf("body %s, want %s", sent, body)
	}

	unsigned, err := NewRequest(context.Background(), "http://127.0.0.1:1/", "id", "", body)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := unsigned.Header[SignatureHeader]; ok {
		t.Error("a notification without a key is signed")
	}
	if _, err := NewRequest(context.Background(), "http://bad host/", "id", "", body); err == nil {
		t.Error("an unparsable URL gave a request")
	}
}
