// Package webhook is the wire form of an Open Connectors event notification,
// sections 5.6 and 5.7 of the API reference: the "message" envelope, the
// Elements-Webhook-Signature over the body, and the POST that carries both.
//
// The emulator delivers its events with it, the opencon_event_test action
// sends its sample with it, and the demo's receiver verifies with it, so
// that what the action proves about a receiver is what the emulator, our
// model of the platform, sends. It imports the standard library only.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// The headers of a notification.
const (
	// SignatureHeader carries Sign(key, body) when the instance has an
	// event.notification.signature.key.
	SignatureHeader = "Elements-Webhook-Signature"
	// IDHeader identifies the notification; retries repeat it, so receivers
	// are idempotent on it.
	IDHeader = "Elements-Webhook-Id"
)

// signaturePrefix names the algorithm; older platform versions sent sha1=.
const signaturePrefix = "sha256="

// Notification is the body of one POST to event.notification.callback.url
// (envelope A of section 5.6).
type Notification struct {
	Message Message `json:"message"`
}

// Message is a notification's content: up to ten events (polling) and the
// vendor's raw payload.
type Message struct {
	EventID    int64           `json:"eventId"`
	InstanceID int64           `json:"instanceId"`
	ElementKey string          `json:"elementKey"`
	Events     []Event         `json:"events"`
	Raw        json.RawMessage `json:"raw"`
}

// Event is one standardized event: the only fields the platform normalizes
// (objectId, objectType, eventType), with the element and the date.
type Event struct {
	// EventType is CREATED, UPDATED, DELETED or UNKNOWN.
	EventType  string `json:"eventType"`
	ObjectID   string `json:"objectId"`
	ObjectType string `json:"objectType"`
	ElementKey string `json:"elementKey"`
	// Date is ISO-8601 UTC, such as 2026-11-28T09:26:05Z.
	Date string `json:"date"`
}

// PolledRaw is the raw payload of a polling notification: the poller
// resource's name and the objects it returned (the shape is the emulator's
// reading of section 5.6, which leaves it open).
func PolledRaw(objectType string, objects []any) (json.RawMessage, error) {
	if objects == nil {
		objects = []any{}
	}
	return json.Marshal(map[string]any{"objectType": objectType, "objects": objects})
}

// Encode is the body of n as it is sent and signed.
func (n Notification) Encode() ([]byte, error) {
	if n.Message.Events == nil {
		n.Message.Events = []Event{}
	}
	if len(n.Message.Raw) == 0 {
		n.Message.Raw = json.RawMessage("null")
	}
	return json.Marshal(n)
}

// Sign is the Elements-Webhook-Signature of body under key: "sha256=" and
// the standard base64 of HMAC-SHA256(key, body), over the body's bytes
// exactly as sent.
func Sign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return signaturePrefix + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether header is the signature of body under key, in
// constant time. Pass the body as received, before any parsing.
func Verify(key string, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(key, body)))
}

// NewRequest is the POST of one notification body to callbackURL as the
// platform sends it: JSON, with its id, and signed when key is not empty.
func NewRequest(ctx context.Context, callbackURL, webhookID, key string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IDHeader, webhookID)
	if key != "" {
		req.Header.Set(SignatureHeader, Sign(key, body))
	}
	return req, nil
}
