package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // poller time zones must not depend on the host's zoneinfo
)

// javaFormat is a parsed java.text.SimpleDateFormat pattern. Only the common
// letters are supported: y M d H h k K m s S E a z Z X, quoted literals
// ('T', 'Z', ” for a quote) and any other character as itself.
type javaFormat []fmtToken

type fmtToken struct {
	letter  byte // 0 for a literal
	count   int
	literal string
}

const supportedLetters = "yMdHhkKmsSEazZX"

func parseJavaFormat(pattern string) (javaFormat, error) {
	var f javaFormat
	lit := func(s string) {
		if n := len(f); n > 0 && f[n-1].letter == 0 {
			f[n-1].literal += s
			return
		}
		f = append(f, fmtToken{literal: s})
	}
	for i := 0; i < len(pattern); {
		ch := pattern[i]
		switch {
		case ch == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			// A quoted literal; '' inside it is a quote.
			var text strings.Builder
			j := i + 1
			for {
				if j >= len(pattern) {
					return nil, fmt.Errorf("date format %q: unterminated quote", pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						text.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				text.WriteByte(pattern[j])
				j++
			}
			lit(text.String())
			i = j + 1
		case (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'):
			if !strings.ContainsRune(supportedLetters, rune(ch)) {
				return nil, fmt.Errorf("date format %q: unsupported letter %q", pattern, ch)
			}
			j := i
			for j < len(pattern) && pattern[j] == ch {
				j++
			}
			f = append(f, fmtToken{letter: ch, count: j - i})
			i = j
		default:
			lit(string(ch))
			i++
		}
	}
	return f, nil
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

func (f javaFormat) format(t time.Time) string {
	var b strings.Builder
	for _, tok := range f {
		n := tok.count
		switch tok.letter {
		case 0:
			b.WriteString(tok.literal)
		case 'y':
			if n == 2 {
				b.WriteString(pad(t.Year()%100, 2))
			} else {
				b.WriteString(pad(t.Year(), n))
			}
		case 'M':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(pad(int(t.Month()), n))
			}
		case 'd':
			b.WriteString(pad(t.Day(), n))
		case 'H':
			b.WriteString(pad(t.Hour(), n))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(pad(h, n))
		case 'K':
			b.WriteString(pad(t.Hour()%12, n))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, n))
		case 'm':
			b.WriteString(pad(t.Minute(), n))
		case 's':
			b.WriteString(pad(t.Second(), n))
		case 'S':
			b.WriteString(pad(t.Nanosecond()/1e6, n))
		case 'E':
			if n >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'a':
			b.WriteString(t.Format("PM"))
		case 'z':
			b.WriteString(t.Format("MST"))
		case 'Z':
			b.WriteString(t.Format("-0700"))
		case 'X':
			switch n {
			case 1:
				b.WriteString(t.Format("Z07"))
			case 2:
				b.WriteString(t.Format("Z0700"))
			default:
				b.WriteString(t.Format("Z07:00"))
			}
		}
	}
	return b.String()
}

// parse reads s with the pattern; values without a zone are in loc.
func (f javaFormat) parse(s string, loc *time.Location) (time.Time, error) {
	year, month, day, hour, minute, sec, nsec := 1970, 1, 1, 0, 0, 0, 0
	pm, hasAMPM := false, false
	var zone *time.Location
	pos := 0
	fail := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("cannot parse %q at offset %d", s, pos)
	}
	for i, tok := range f {
		if tok.letter == 0 {
			if !strings.HasPrefix(s[pos:], tok.literal) {
				return fail()
			}
			pos += len(tok.literal)
			continue
		}
		// Adjacent numeric fields ("yyyyMMdd") need fixed widths.
		width := 0
		if i+1 < len(f) && f[i+1].letter != 0 && strings.IndexByte("yMdHhkKmsS", f[i+1].letter) >= 0 {
			width = tok.count
		}
		num := func() (int, bool) {
			end := pos
			for end < len(s) && s[end] >= '0' && s[end] <= '9' && (width == 0 || end-pos < width) {
				end++
			}
			if end == pos {
				return 0, false
			}
			n, err := strconv.Atoi(s[pos:end])
			if err != nil {
				return 0, false
			}
			digits := end - pos
			pos = end
			if tok.letter == 'S' {
				// Fractions count milliseconds whatever their length.
				return int(float64(n) * math.Pow(10, float64(3-digits))), true
			}
			return n, true
		}
		switch tok.letter {
		case 'y', 'd', 'H', 'k', 'K', 'h', 'm', 's', 'S':
			n, ok := num()
			if !ok {
				return fail()
			}
			switch tok.letter {
			case 'y':
				if tok.count == 2 {
					n += 2000
				}
				year = n
			case 'd':
				day = n
			case 'H', 'k':
				hour = n % 24
			case 'K', 'h':
				hour = n % 12
			case 'm':
				minute = n
			case 's':
				sec = n
			case 'S':
				nsec = n * 1e6
			}
		case 'M':
			if tok.count >= 3 {
				found := false
				for m := time.January; m <= time.December; m++ {
					name := m.String()
					if tok.count == 3 {
						name = name[:3]
					}
					if strings.HasPrefix(strings.ToLower(s[pos:]), strings.ToLower(name)) {
						month, found = int(m), true
						pos += len(name)
						break
					}
				}
				if !found {
					return fail()
				}
			} else {
				n, ok := num()
				if !ok {
					return fail()
				}
				month = n
			}
		case 'E':
			found := false
			for d := time.Sunday; d <= time.Saturday; d++ {
				name := d.String()
				if tok.count < 4 {
					name = name[:3]
				}
				if strings.HasPrefix(strings.ToLower(s[pos:]), strings.ToLower(name)) {
					pos += len(name)
					found = true
					break
				}
			}
			if !found {
				return fail()
			}
		case 'a':
			if len(s) < pos+2 {
				return fail()
			}
			hasAMPM, pm = true, strings.EqualFold(s[pos:pos+2], "PM")
			pos += 2
		case 'z', 'Z', 'X':
			end := pos
			for end < len(s) && strings.IndexByte("+-:0123456789ZUTCGMTABCDEFGHIJKLMNOPQRSTUVWXYZ", s[end]) >= 0 {
				end++
			}
			z, err := loadZone(s[pos:end])
			if err != nil {
				return fail()
			}
			zone, pos = z, end
		}
	}
	if pos != len(s) {
		return fail()
	}
	if hasAMPM && pm {
		hour += 12
	}
	if zone != nil {
		loc = zone
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), nil
}

// zoneAbbreviations maps the Java zone ids the docs use to IANA zones.
var zoneAbbreviations = map[string]string{
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
	"MST": "America/Denver", "MDT": "America/Denver",
	"CST": "America/Chicago", "CDT": "America/Chicago",
	"EST": "America/New_York", "EDT": "America/New_York",
	"CET": "Europe/Paris", "CEST": "Europe/Paris",
	"IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "BST": "Europe/London",
}

var offsetRE = regexp.MustCompile(`^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$`)

// loadZone reads "UTC", "GMT", "Z", "PST", "America/New_York", "-8:00",
// "+0530" or "GMT+2".
func loadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	switch strings.ToUpper(name) {
	case "", "UTC", "GMT", "Z", "ZULU":
		return time.UTC, nil
	}
	if m := offsetRE.FindStringSubmatch(name); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		off := h*3600 + mins*60
		if m[1] == "-" {
			off = -off
		}
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(name, off), nil
	}
	if iana, ok := zoneAbbreviations[strings.ToUpper(name)]; ok {
		name = iana
	}
	return time.LoadLocation(name)
}

const defaultPlaceholderFormat = "yyyy-MM-dd'T'HH:mm:ssXXX"

var placeholderExprRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// zonePrefixRE splits "-8:00:yyyy-MM-dd" or "PST:yyyy" into zone and format.
var zonePrefixRE = regexp.MustCompile(`^((?:GMT|UTC)?[+-]\d{1,2}(?::\d{2}|\d{2})?|[A-Za-z_/+\-0-9]+)(?::(.*))?$`)

// expandPlaceholders substitutes the poller URL date placeholders with t:
// ${gmtDate:F} in GMT, ${date:F} in zone (UTC unless the resource sets a
// time zone), ${dateTimeZone:ZONE:F}, ${epoch} (ms), ${epoch:s}, ${epoch:us}.
// Values in the query string are URL-encoded.
func expandPlaceholders(raw string, t time.Time, zone *time.Location) (string, error) {
	queryStart := strings.IndexByte(raw, '?')
	var b strings.Builder
	last := 0
	for _, loc := range placeholderExprRE.FindAllStringIndex(raw, -1) {
		v, err := placeholderValue(raw[loc[0]+2:loc[1]-1], t, zone)
		if err != nil {
			return "", err
		}
		if queryStart >= 0 && loc[0] > queryStart {
			v = url.QueryEscape(v)
		}
		b.WriteString(raw[last:loc[0]])
		b.WriteString(v)
		last = loc[1]
	}
	b.WriteString(raw[last:])
	return b.String(), nil
}

func placeholderValue(expr string, t time.Time, zone *time.Location) (string, error) {
	kind, rest, hasRest := strings.Cut(expr, ":")
	formatIn := func(loc *time.Location, pattern string) (string, error) {
		if pattern == "" {
			pattern = defaultPlaceholderFormat
		}
		f, err := parseJavaFormat(pattern)
		if err != nil {
			return "", err
		}
		return f.format(t.In(loc)), nil
	}
	switch kind {
	case "gmtDate":
		return formatIn(time.UTC, rest)
	case "date":
		return formatIn(zone, rest)
	case "dateTimeZone":
		m := zonePrefixRE.FindStringSubmatch(rest)
		if !hasRest || m == nil {
			return "", fmt.Errorf("placeholder ${%s}: want ${dateTimeZone:ZONE:FORMAT}", expr)
		}
		loc, err := loadZone(m[1])
		if err != nil {
			return "", fmt.Errorf("placeholder ${%s}: %v", expr, err)
		}
		return formatIn(loc, m[2])
	case "epoch":
		switch rest {
		case "", "ms":
			return strconv.FormatInt(t.UnixMilli(), 10), nil
		case "s":
			return strconv.FormatInt(t.Unix(), 10), nil
		case "us":
			return strconv.FormatInt(t.UnixMicro(), 10), nil
		}
	}
	return "", fmt.Errorf("unknown placeholder ${%s}", expr)
}

// parseDateValue reads an object's date field with the resource's format:
// a SimpleDateFormat pattern, "milliseconds"/"epoch" (ms), "seconds", or
// empty for ISO-8601 strings and epoch-millisecond numbers.
func parseDateValue(v any, format string, loc *time.Location) (time.Time, bool) {
	var text string
	switch x := v.(type) {
	case string:
		text = strings.TrimSpace(x)
	case json.Number:
		text = x.String()
	case float64:
		text = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return time.Time{}, false
	}
	if text == "" {
		return time.Time{}, false
	}
	epoch := func(unit time.Duration) (time.Time, bool) {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(0, 0).Add(time.Duration(n) * unit).UTC(), true
	}
	switch strings.ToLower(format) {
	case "milliseconds", "epoch", "epochmillis":
		return epoch(time.Millisecond)
	case "seconds", "epochseconds":
		return epoch(time.Second)
	case "":
		if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
			return t, true
		}
		for _, layout := range []string{"2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, text, loc); err == nil {
				return t, true
			}
		}
		return epoch(time.Millisecond)
	}
	f, err := parseJavaFormat(format)
	if err != nil {
		return time.Time{}, false
	}
	t, err := f.parse(text, loc)
	return t, err == nil
}
