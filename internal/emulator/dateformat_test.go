package emulator

import (
	"testing"
	"time"
)

var refTime = time.Date(2024, 7, 4, 9, 5, 3, 7_000_000, time.UTC) // a Thursday, in PDT season

func TestJavaFormat(t *testing.T) {
	pdt, _ := loadZone("PST")
	tests := []struct {
		pattern string
		loc     *time.Location
		want    string
	}{
		{"yyyy-MM-dd HH:mm:ss", time.UTC, "2024-07-04 09:05:03"},
		{"yyyy-MM-dd'T'HH:mm:ss'Z'", time.UTC, "2024-07-04T09:05:03Z"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", time.UTC, "2024-07-04T09:05:03.007+0000"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", time.UTC, "2024-07-04T09:05:03Z"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", pdt, "2024-07-04T02:05:03-07:00"},
		{"yyyy-MM-dd'T'HH:mm:ssX", pdt, "2024-07-04T02:05:03-07"},
		{"yyyyMMddHHmmss", time.UTC, "20240704090503"},
		{"yy/M/d h:m:s a", time.UTC, "24/7/4 9:5:3 AM"},
		{"EEE, dd MMM yyyy HH:mm:ss z", time.UTC, "Thu, 04 Jul 2024 09:05:03 UTC"},
		{"EEEE d MMMM yyyy", time.UTC, "Thursday 4 July 2024"},
		{"'It''s' HH 'o''clock'", time.UTC, "It's 09 o'clock"},
		{"kk:mm", time.UTC, "24:30"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			f, err := parseJavaFormat(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			at := refTime
			if tc.pattern == "kk:mm" {
				at = time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
			}
			got := f.format(at.In(tc.loc))
			if got != tc.want {
				t.Fatalf("format = %q, want %q", got, tc.want)
			}
			back, err := f.parse(got, tc.loc)
			if err != nil {
				t.Fatalf("parse(%q): %v", got, err)
			}
			if again := f.format(back.In(tc.loc)); again != got {
				t.Errorf("round trip %q -> %q", got, again)
			}
		})
	}
	for _, bad := range []string{"yyyy-MM-dd'T", "yyyy-QQ"} {
		if _, err := parseJavaFormat(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseDateValue(t *testing.T) {
	ny, _ := loadZone("America/New_York")
	tests := []struct {
		name   string
		value  any
		format string
		loc    *time.Location
		want   time.Time
	}{
		{"iso default", "2024-07-04T09:05:03.007Z", "", time.UTC, refTime},
		{"iso offset", "2024-07-04T11:05:03.007+02:00", "", time.UTC, refTime},
		{"epoch ms number", 1720083903007.0, "", time.UTC, refTime},
		{"milliseconds format", "1720083903007", "milliseconds", time.UTC, refTime},
		{"seconds format", "1720083903", "seconds", time.UTC, refTime.Truncate(time.Second)},
		{"pattern in zone", "2024-07-04 05:05:03", "yyyy-MM-dd HH:mm:ss", ny, refTime.Truncate(time.Second)},
		{"pattern with zone wins", "2024-07-04 09:05:03 +0000", "yyyy-MM-dd HH:mm:ss Z", ny, refTime.Truncate(time.Second)},
		{"fraction of two digits", "03.5", "ss.SS", time.UTC, time.Date(1970, 1, 1, 0, 0, 3, 500_000_000, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseDateValue(tc.value, tc.format, tc.loc)
			if !ok || !got.Equal(tc.want) {
				t.Errorf("got %v (%v), want %v", got, ok, tc.want)
			}
		})
	}
	for _, bad := range []any{nil, "", "yesterday", true} {
		if _, ok := parseDateValue(bad, "", time.UTC); ok {
			t.Errorf("%#v parsed", bad)
		}
	}
	if _, ok := parseDateValue("2024-07-04", "yyyy-MM-dd HH", time.UTC); ok {
		t.Error("short value parsed")
	}
}

func TestLoadZone(t *testing.T) {
	tests := map[string]int{ // offset in seconds at refTime
		"":                    0,
		"GMT":                 0,
		"UTC":                 0,
		"PST":                 -7 * 3600, // Java's PST is America/Los_Angeles, in DST in July
		"-8:00":               -8 * 3600,
		"+0530":               5*3600 + 1800,
		"GMT+2":               2 * 3600,
		"America/Los_Angeles": -7 * 3600,
		"Europe/Berlin":       2 * 3600,
	}
	for name, want := range tests {
		loc, err := loadZone(name)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if _, off := refTime.In(loc).Zone(); off != want {
			t.Errorf("%q: offset %d, want %d", name, off, want)
		}
	}
	if _, err := loadZone("Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
}

func TestExpandPlaceholders(t *testing.T) {
	berlin, _ := loadZone("Europe/Berlin")
	tests := []struct {
		name, url string
		zone      *time.Location
		want      string
	}{
		{"gmtDate in query", "/hubs/crm/contacts?where=update_time >= '${gmtDate:yyyy-MM-dd HH:mm:ss}'", berlin,
			"/hubs/crm/contacts?where=update_time >= '2024-07-04+09%3A05%3A03'"},
		{"date uses the resource zone", "/x?since=${date:yyyy-MM-dd'T'HH:mm:ssXXX}", berlin, "/x?since=2024-07-04T11%3A05%3A03%2B02%3A00"},
		{"date defaults to UTC", "/x?since=${date:HH:mm}", time.UTC, "/x?since=09%3A05"},
		{"date without format", "/x?since=${date}", time.UTC, "/x?since=2024-07-04T09%3A05%3A03Z"},
		{"dateTimeZone name", "/x?d=${dateTimeZone:PST:yyyy-MM-dd HH:mm}", time.UTC, "/x?d=2024-07-04+02%3A05"},
		{"dateTimeZone offset", "/x?d=${dateTimeZone:-8:00:HH:mm}", time.UTC, "/x?d=01%3A05"},
		{"dateTimeZone without format", "/x?d=${dateTimeZone:UTC}", time.UTC, "/x?d=2024-07-04T09%3A05%3A03Z"},
		{"epoch ms", "/x?t=${epoch}", time.UTC, "/x?t=1720083903007"},
		{"epoch s", "/x?t=${epoch:s}", time.UTC, "/x?t=1720083903"},
		{"epoch us", "/x?t=${epoch:us}", time.UTC, "/x?t=1720083903007000"},
		{"in the path, not escaped", "/x/${gmtDate:yyyy-MM-dd HH}/y", time.UTC, "/x/2024-07-04 09/y"},
		{"several", "/x?a=${epoch:s}&b=${gmtDate:yyyy}", time.UTC, "/x?a=1720083903&b=2024"},
		{"no placeholder", "/hubs/general/changed-messages", time.UTC, "/hubs/general/changed-messages"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expandPlaceholders(tc.url, refTime, tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"/x?${nope}", "/x?${epoch:h}", "/x?${gmtDate:QQ}", "/x?${dateTimeZone:Mars/Base:HH}"} {
		if _, err := expandPlaceholders(bad, refTime, time.UTC); err == nil {
			t.Errorf("%s expanded", bad)
		}
	}
}
