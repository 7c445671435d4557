package provider

import (
	"context"
	"testing"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// BenchmarkReadInto measures turning a platform instance into state, the
// work of every refresh, with the poller configuration compared by meaning.
func BenchmarkReadInto(b *testing.B) {
	str := func(s string) *string { return &s }
	inst := &opencon.Instance{
		ID: 12345, Name: "API Instance with Polling", CreatedDate: "2026-11-28T09:00:00Z", Token: "t",
		Element: opencon.Element{ID: 6409, Key: "gmail"}, Tags: []string{"Docs"}, Valid: true,
		Configuration: map[string]*string{
			opencon.KeyOAuthAPIKey: str(opencon.MaskedValue), opencon.KeyOAuthAPISecret: str(opencon.MaskedValue),
			opencon.KeyOAuthCallbackURL: str("https://auth.mycoolapp.com/oauth"), opencon.KeyEventNotificationEnabled: str("true"),
			opencon.KeyEventNotificationCallbackURL: str("https://mycoolapp.com/events"), opencon.KeyEventPollerRefreshInterval: str("15"),
			opencon.KeyEventPollerConfiguration: str(`{"changed-messages": {"idField": "id", "url": "/hubs/general/changed-messages"}}`),
			"base.url":                          str("https://www.googleapis.com/gmail/v1/users/me"), "filter.response.nulls": str("false"),
		},
	}
	ctx := context.Background()
	var prior instanceModel
	if diags := prior.readInto(ctx, inst, nil, nil); diags.HasError() {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	for b.Loop() {
		var next instanceModel
		if diags := next.readInto(ctx, inst, &prior, nil); diags.HasError() {
			b.Fatal(diags)
		}
	}
}
