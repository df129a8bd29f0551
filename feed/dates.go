package feed

import (
	"strconv"
	"strings"
	"time"
)

// Fallback date parsing. gofeed misreads or rejects many real-world forms
// (zone names it does not know become UTC, long month names with US zones,
// GMT-01:01, partial W3C dates, compact ISO 8601, non-English months), so
// every date string goes through parseDate first and gofeed's result is only
// the second opinion.

// zoneOffsets maps zone abbreviations seen in feeds to their offset in
// minutes. US zones without S/D (ET, PT…) are read as standard time.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "Z00": 0,
	"EST": -300, "EDT": -240, "ET": -300, "CST": -360, "CDT": -300, "CT": -360,
	"MST": -420, "MDT": -360, "MT": -420, "PST": -480, "PDT": -420, "PT": -480,
	"AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
	"MET": 60, "MEZ": 60, "CET": 60, "BST": 60, "IST": 330, "WEST": 60, "WAT": 60,
	"MEST": 120, "MESZ": 120, "CEST": 120, "EET": 120, "CAT": 120, "SAST": 120,
	"EEST": 180, "MSK": 180, "EAT": 180, "TRT": 180, "GST": 240, "PKT": 300,
	"ICT": 420, "WIB": 420, "HKT": 480, "SGT": 480, "AWST": 480, "PHT": 480,
	"JST": 540, "KST": 540, "ACST": 570, "AEST": 600, "ACDT": 630, "AEDT": 660,
	"NZST": 720, "NZDT": 780, "BRT": -180, "ART": -180, "CLT": -240,
}

// monthNames maps month names and abbreviations in several languages to
// their number.
var monthNames = map[string]int{}

func init() {
	lists := [][]string{
		{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"},
		{"januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "dezember"},
		{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
		{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
		{"styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień"},
		{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
	}
	for _, l := range lists {
		for i, name := range l {
			monthNames[name] = i + 1
			r := []rune(name)
			if len(r) > 3 {
				if _, taken := monthNames[string(r[:3])]; !taken {
					monthNames[string(r[:3])] = i + 1
				}
				if len(r) > 4 {
					if _, taken := monthNames[string(r[:4])]; !taken {
						monthNames[string(r[:4])] = i + 1
					}
				}
			}
		}
	}
	// Common abbreviations that are not prefixes.
	for k, v := range map[string]int{"sept": 9, "mrz": 3, "mär": 3, "fév": 2, "févr": 2, "déc": 12, "dic": 12, "ene": 1, "ago": 8, "set": 9, "out": 10, "dez": 12, "okt": 10, "mei": 5, "mai": 5, "juil": 7} {
		monthNames[k] = v
	}
}

// weekdayish reports a token that is a weekday name in some language; it is
// ignored (feeds get it wrong often enough).
func weekdayish(tok string) bool {
	switch tok {
	case "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"mo", "di", "mi", "do", "fr", "sa", "so", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
		"lun", "mar", "mer", "jeu", "ven", "sam", "dim", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche":
		return true
	}
	return false
}

// ParseDate reads a date as feeds write it, in any of the forms described
// above. ok is false when nothing sensible was found.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 128 {
		return time.Time{}, false
	}
	if t, ok := parseISO(s); ok {
		return t, true
	}
	if t, ok := parseEpoch(s); ok {
		return t, true
	}
	return parseWords(s)
}

// parseEpoch reads Unix time in seconds (10 digits) or milliseconds (13),
// which some generated JSON and RSS feeds put where a date belongs. Only
// values from 1995 to 2100 count: other long digit runs are not dates.
func parseEpoch(s string) (time.Time, bool) {
	if !isDigits(s) || (len(s) != 10 && len(s) != 13) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.Unix(n, 0)
	if len(s) == 13 {
		t = time.UnixMilli(n)
	}
	if t.Year() < 1995 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseISO handles RFC 3339 / W3C-DTF including partial dates ("2024",
// "2024-05"), a space instead of T, missing seconds, and the compact basic
// format ("20240501T101500Z", "20240501").
func parseISO(s string) (time.Time, bool) {
	if len(s) < 4 || !isDigits(s[:4]) {
		return time.Time{}, false
	}
	layouts := []string{
		time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 Z07:00", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04",
		"2006-01-02", "2006-01", "2006",
		"20060102T150405Z0700", "20060102T150405Z07:00", "20060102T150405", "20060102T1504Z0700", "20060102", "2006/01/02 15:04:05", "2006/01/02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	// "2024-05-01T10:15:00 MEST" or "... GMT+2": split the zone off.
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if off, ok := parseZone(s[i+1:]); ok {
			if t, ok := parseISO(s[:i]); ok {
				return t.Add(-time.Duration(off) * time.Minute), true
			}
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseZone reads "+0200", "-07:00", "MEST", "GMT-01:01", "UTC+5:30", "+2";
// the result is the offset east of UTC in minutes.
func parseZone(z string) (int, bool) {
	z = strings.Trim(z, "()")
	if z == "" {
		return 0, false
	}
	if off, ok := zoneOffsets[strings.ToUpper(z)]; ok {
		return off, true
	}
	up := strings.ToUpper(z)
	for _, p := range []string{"GMT", "UTC", "UT"} {
		if strings.HasPrefix(up, p) && len(up) > len(p) {
			z = z[len(p):]
			break
		}
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(z[1:], ":", "")
	if !isDigits(d) || len(d) > 4 {
		return 0, false
	}
	var h, m int
	switch len(d) {
	case 1, 2:
		h, _ = strconv.Atoi(d)
	case 3:
		h, _ = strconv.Atoi(d[:1])
		m, _ = strconv.Atoi(d[1:])
	case 4:
		h, _ = strconv.Atoi(d[:2])
		m, _ = strconv.Atoi(d[2:])
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*60 + m), true
}

// parseWords reads the RFC 822 family and its relatives token by token:
// "Mon, 2 Jan 2006 15:04:05 MEST", "January 2, 2006 3:04 PM ET",
// "2. März 2024 10:00 +0100", "Tue Jan 2 15:04:05 GMT-01:01 2006",
// RFC 850's "Monday, 02-Jan-06 15:04:05 GMT", "04.11.2020 09:05", and a
// trailing comment in parentheses, as in "+0000 (UTC)" or JavaScript's
// "GMT+0100 (Central European Standard Time)".
func parseWords(s string) (time.Time, bool) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	day, month, year := 0, 0, 0
	hour, min, sec, nsec := -1, 0, 0, 0
	off, haveZone := 0, false
	pm, am := false, false
	inComment := false
	for _, f := range fields {
		if inComment || strings.HasPrefix(f, "(") {
			// A comment names the zone at best; the offset before it rules.
			if o, ok := parseZone(f); ok && !haveZone && !inComment && strings.HasSuffix(f, ")") {
				off, haveZone = o, true
			}
			inComment = !strings.HasSuffix(f, ")")
			continue
		}
		lf := strings.ToLower(strings.TrimSuffix(f, "."))
		if d, m, y, ok := splitDate(lf); ok && day == 0 && month == 0 && year == 0 {
			day, month, year = d, m, y
			continue
		}
		switch {
		case lf == "":
		case lf == "am" || lf == "a.m":
			am = true
		case lf == "pm" || lf == "p.m":
			pm = true
		case strings.Contains(f, ":") && hour < 0 && f[0] >= '0' && f[0] <= '9':
			var ok bool
			hour, min, sec, nsec, ok = parseClock(f)
			if !ok {
				return time.Time{}, false
			}
		case isDigits(strings.TrimSuffix(f, ".")):
			n, _ := strconv.Atoi(strings.TrimSuffix(f, "."))
			switch {
			case len(strings.TrimSuffix(f, ".")) == 4 && year == 0:
				year = n
			case day == 0 && n >= 1 && n <= 31:
				day = n
			case year == 0 && len(f) == 2:
				year = 2000 + n
				if n >= 70 {
					year = 1900 + n
				}
			default:
				return time.Time{}, false
			}
		case monthNames[lf] != 0 && month == 0:
			month = monthNames[lf]
		case weekdayish(lf):
		default:
			if o, ok := parseZone(f); ok && !haveZone {
				off, haveZone = o, true
				continue
			}
			return time.Time{}, false
		}
	}
	if day == 0 || month == 0 || year == 0 {
		return time.Time{}, false
	}
	if hour < 0 {
		hour = 0
	}
	if pm && hour < 12 {
		hour += 12
	}
	if am && hour == 12 {
		hour = 0
	}
	midnightEnd := hour == 24 && min == 0 && sec == 0 && nsec == 0 // "24:00:00", the end of the day
	if midnightEnd {
		hour = 0
	}
	if hour > 23 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	if t.Day() != day { // 31 February and friends
		return time.Time{}, false
	}
	if midnightEnd {
		t = t.AddDate(0, 0, 1)
	}
	return t.Add(-time.Duration(off) * time.Minute), true
}

// splitDate reads a date written as one token: "02-jan-06" or
// "2-jan-2006" (RFC 850), and "04.11.2020" (day first, as everywhere
// dots separate the parts).
func splitDate(tok string) (day, month, year int, ok bool) {
	var parts []string
	switch {
	case strings.Count(tok, "-") == 2:
		parts = strings.Split(tok, "-")
		month = monthNames[parts[1]]
	case strings.Count(tok, ".") == 2:
		parts = strings.Split(tok, ".")
		if isDigits(parts[1]) && len(parts[1]) <= 2 {
			month, _ = strconv.Atoi(parts[1])
		}
	default:
		return 0, 0, 0, false
	}
	if month < 1 || month > 12 || !isDigits(parts[0]) || len(parts[0]) > 2 || !isDigits(parts[2]) {
		return 0, 0, 0, false
	}
	day, _ = strconv.Atoi(parts[0])
	year, _ = strconv.Atoi(parts[2])
	switch len(parts[2]) {
	case 2:
		year += 2000
		if year >= 2070 {
			year -= 100
		}
	case 4:
	default:
		return 0, 0, 0, false
	}
	return day, month, year, day >= 1 && day <= 31
}

// parseClock reads "15:04", "15:04:05" and "15:04:05.123"; a zone glued to
// it ("15:04:05Z", "10:00+02:00") is not supported and fails.
func parseClock(s string) (h, m, sec, nsec int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, 0, false
	}
	if !isDigits(parts[0]) || !isDigits(parts[1]) || len(parts[0]) > 2 || len(parts[1]) != 2 {
		return 0, 0, 0, 0, false
	}
	h, _ = strconv.Atoi(parts[0])
	m, _ = strconv.Atoi(parts[1])
	if len(parts) == 3 {
		secs, frac, _ := strings.Cut(parts[2], ".")
		if !isDigits(secs) || len(secs) != 2 {
			return 0, 0, 0, 0, false
		}
		sec, _ = strconv.Atoi(secs)
		if frac != "" {
			if !isDigits(frac) || len(frac) > 9 {
				return 0, 0, 0, 0, false
			}
			nsec, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		}
	}
	if m > 59 || sec > 60 {
		return 0, 0, 0, 0, false
	}
	return h, m, sec, nsec, true
}
