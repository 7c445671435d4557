package opencon_test

import (
	"context"
	"testing"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// BenchmarkGetInstance measures one read of a Gmail instance, client and
// emulator together, as a refresh of one resource costs.
func BenchmarkGetInstance(b *testing.B) {
	e := newFidelityEnv(b)
	inst, err := e.client.CreateInstance(context.Background(), netsuiteRequest("bench", []string{"b"}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.client.GetInstance(context.Background(), inst.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedactJSON measures the redaction every logged body goes through.
func BenchmarkRedactJSON(b *testing.B) {
	body := []byte(`{"configuration":{"oauth.api.key":"id","oauth.api.secret":"s","event.poller.configuration":{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}},"event.notification.enabled":true},"providerData":{"code":"4/abc"},"name":"n","tags":["a"]}`)
	b.ReportAllocs()
	for b.Loop() {
		opencon.RedactJSON(body, "user-secret", "org-secret")
	}
}
