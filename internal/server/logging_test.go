package server

import (
	"maps"
	"os"
	"testing"
)

func TestLogLevelsFollowWhatTerraformShows(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no TF_LOG: nothing is shown, so nothing is formatted",
			nil,
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_OPENCON": "OFF"}},
		{"TF_LOG=trace", map[string]string{"TF_LOG": "trace"},
			map[string]string{"TF_LOG_SDK": "TRACE", "TF_LOG_PROVIDER_OPENCON": "TRACE"}},
		{"TF_LOG=DEBUG", map[string]string{"TF_LOG": "DEBUG"},
			map[string]string{"TF_LOG_SDK": "DEBUG", "TF_LOG_PROVIDER_OPENCON": "DEBUG"}},
		{"JSON is TRACE", map[string]string{"TF_LOG": "JSON"},
			map[string]string{"TF_LOG_SDK": "TRACE", "TF_LOG_PROVIDER_OPENCON": "TRACE"}},
		{"an unknown level is TRACE, as Terraform takes it", map[string]string{"TF_LOG": "loud"},
			map[string]string{"TF_LOG_SDK": "TRACE", "TF_LOG_PROVIDER_OPENCON": "TRACE"}},
		{"TF_LOG_PROVIDER wins over TF_LOG", map[string]string{"TF_LOG": "TRACE", "TF_LOG_PROVIDER": "warn"},
			map[string]string{"TF_LOG_SDK": "WARN", "TF_LOG_PROVIDER_OPENCON": "WARN"}},
		{"TF_LOG_CORE alone shows no provider output", map[string]string{"TF_LOG_CORE": "TRACE"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_OPENCON": "OFF"}},
		{"a level the user set is kept", map[string]string{"TF_LOG_SDK": "INFO", "TF_LOG_PROVIDER_OPENCON": ""},
			map[string]string{}},
		{"subsystem levels are the user's to set", map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_OPENCON": "OFF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := LogLevels(lookup, "opencon"); !maps.Equal(got, tc.want) {
				t.Errorf("LogLevels = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSetLogLevels(t *testing.T) {
	t.Setenv("TF_LOG", "")
	t.Setenv("TF_LOG_PROVIDER", "")
	t.Setenv("TF_LOG_SDK", "ERROR")
	t.Setenv("TF_LOG_PROVIDER_EXAMPLE", "") // restored (unset) when the test ends
	if err := os.Unsetenv("TF_LOG_PROVIDER_EXAMPLE"); err != nil {
		t.Fatal(err)
	}
	if err := SetLogLevels("example"); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("TF_LOG_PROVIDER_EXAMPLE"); got != "OFF" {
		t.Errorf("TF_LOG_PROVIDER_EXAMPLE = %q, want OFF", got)
	}
	if got := os.Getenv("TF_LOG_SDK"); got != "ERROR" {
		t.Errorf("TF_LOG_SDK = %q, want the user's ERROR", got)
	}
}
