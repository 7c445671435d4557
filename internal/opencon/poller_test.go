package opencon

import (
	"encoding/json"
	"testing"
)

func TestPollerConfigurationSameMeaning(t *testing.T) {
	t.Parallel()
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
		{"a poll delay", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","pollDelay":30}}`, false},
		{"dates that are set", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id","datesConfiguration":{"updatedDateTimezone":"GMT"}}}`, false},
		{"another resource", `{"changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"},"threads":{"url":"/hubs/general/threads"}}`, false},
		{"renamed resource", `{"/changed-messages":{"url":"/hubs/general/changed-messages","idField":"id"}}`, false},
	}
	a, err := ParsePollerConfiguration(sent)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		b, err := ParsePollerConfiguration(c.echoed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := a.SameMeaning(b); got != c.same {
			t.Errorf("%s: SameMeaning = %v, want %v", c.name, got, c.same)
		}
		if got := b.SameMeaning(a); got != c.same {
			t.Errorf("%s: SameMeaning is not symmetric", c.name)
		}
	}
}

func TestPollerConfigurationAnIDFieldLeftOutMeansEmpty(t *testing.T) {
	t.Parallel()
	without, _ := ParsePollerConfiguration(`{"r":{"url":"/r"}}`)
	empty, _ := ParsePollerConfiguration(`{"r":{"url":"/r","idField":""}}`)
	if !without.SameMeaning(empty) {
		t.Error("a left-out idField and an empty one poll the same way")
	}
}

func TestPollerConfigurationRejectsNonObjects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`[]`, `"x"`, `{"a":"b"}`, `{`} {
		if _, err := ParsePollerConfiguration(raw); err == nil {
			t.Errorf("ParsePollerConfiguration(%s) accepted it", raw)
		}
	}
}

func TestPollerConfigurationIsSentAsAJSONObjectOfSetFields(t *testing.T) {
	t.Parallel()
	id, size := "id", int64(50)
	got, err := json.Marshal(PollerConfiguration{"messages": {URL: "/hubs/general/messages", IDField: &id, PageSize: &size}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"messages":{"url":"/hubs/general/messages","idField":"id","pageSize":50}}`
	if string(got) != want {
		t.Errorf("sent %s, want %s", got, want)
	}
}

func TestInstancePollerConfiguration(t *testing.T) {
	t.Parallel()
	value := func(s string) *string { return &s }
	cases := []struct {
		name          string
		configuration map[string]*string
		resources     []string
		wantErr       bool
	}{
		{"no configuration at all", nil, nil, false},
		{"key absent", map[string]*string{"base.url": value("x")}, nil, false},
		{"key null", map[string]*string{KeyEventPollerConfiguration: nil}, nil, false},
		{"key blank", map[string]*string{KeyEventPollerConfiguration: value("  ")}, nil, false},
		{"two resources", map[string]*string{KeyEventPollerConfiguration: value(`{"a":{"url":"/a"},"b":{"url":"/b"}}`)}, []string{"a", "b"}, false},
		{"not JSON", map[string]*string{KeyEventPollerConfiguration: value(`{"a":`)}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pc, err := (&Instance{Configuration: c.configuration}).PollerConfiguration()
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, c.wantErr)
			}
			if c.wantErr {
				return
			}
			if pc == nil {
				t.Fatal("an instance without a poller configuration must give an empty one, not nil")
			}
			if len(pc) != len(c.resources) {
				t.Fatalf("got %d resources, want %v", len(pc), c.resources)
			}
			for _, name := range c.resources {
				if _, ok := pc[name]; !ok {
					t.Errorf("resource %q missing from %v", name, pc)
				}
			}
		})
	}
}
