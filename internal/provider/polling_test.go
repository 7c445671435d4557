package provider

import (
	"testing"
)

func TestPollerConfigurationSameMeaning(t *testing.T) {
	sent := `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`
	cases := []struct {
		name   string
		echoed string
		same   bool
	}{
		{"re-encoded with other spacing and key order", `{ "changed-messages": { "idField": "id", "url": "/hubs/general/changed-messages" } }`, true},
		{"documented defaults filled in", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","filterByUpdatedDate":true,"pollDelay":0}}`, true},
		{"empty datesConfiguration", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","datesConfiguration":{}}}`, true},
		{"unknown keys ignored", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","UpdatedDateTimezone":"GMT"}}`, true},
		{"other url", `{"changed-messages":{"url":"/hubs/general/changed-message","idField":"id"}}`, false},
		{"other id field", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"threadId"}}`, false},
		{"filter off", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","filterByUpdatedDate":false}}`, false},
		{"another resource", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"},"threads":{"url":"/hubs/general/threads"}}`, false},
		{"renamed resource", `{"/changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`, false},
	}
	a, err := parsePollerConfiguration(sent)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		b, err := parsePollerConfiguration(c.echoed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := a.sameMeaning(b); got != c.same {
			t.Errorf("%s: sameMeaning = %v, want %v", c.name, got, c.same)
		}
	}
}

func TestPollerConfigurationRoundTripsThroughModels(t *testing.T) {
	raw := `{"b":{"url":"/b","pageSize":10,"datesConfiguration":{"updatedDateField":"u","updatedDateTimezone":"PST"}},"a":{"url":"/a","idField":"","createdCheckTolerance":2}}`
	pc, err := parsePollerConfiguration(raw)
	if err != nil {
		t.Fatal(err)
	}
	models := pc.models()
	if len(models) != 2 || models[0].Name.ValueString() != "a" || models[1].Name.ValueString() != "b" {
		t.Fatalf("models not sorted by name: %+v", models)
	}
	if models[0].IDField.IsNull() || models[0].IDField.ValueString() != "" {
		t.Errorf("an empty idField must stay an empty string, got %v", models[0].IDField)
	}
	if !pollerConfigurationFromModels(models).sameMeaning(pc) {
		t.Errorf("models do not round-trip")
	}
}

func TestPollerConfigurationRejectsNonObjects(t *testing.T) {
	for _, raw := range []string{`[]`, `"x"`, `{"a":"b"}`, `{`} {
		if _, err := parsePollerConfiguration(raw); err == nil {
			t.Errorf("parsePollerConfiguration(%s) accepted it", raw)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	if got := sanitizeName(`<a href="x">churros-xss</a>`); got != "churros-xss" {
		t.Errorf("sanitizeName = %q", got)
	}
}
