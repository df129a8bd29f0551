package main

// This file holds the validation half of the configuration: from the
// decoded file to a checked Config.

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/summarize"
	"github.com/tidings/tidings/internal/heapcap"
)

// validator turns the decoded file into a Config, recording every problem
// with the file, line and key it concerns.
type validator struct {
	name  string
	lines *keyLines
	errs  []error
	at    []int // line of each error, to list them in file order
}

// fail records an error at the line of key (a path such as "feed[2].url");
// a key missing from the file is reported at the line of its table.
func (v *validator) fail(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.name == "" {
		v.add(0, fmt.Errorf("defaults: %s: %s", key, msg))
		return
	}
	for p := key; p != ""; p = parentKey(p) {
		if line := v.lines.line(p); line > 0 {
			v.add(line, fmt.Errorf("%s:%d: %s: %s", v.name, line, key, msg))
			return
		}
	}
	v.add(0, fmt.Errorf("%s: %s: %s", v.name, key, msg))
}

func (v *validator) add(line int, err error) {
	i := sort.SearchInts(v.at, line+1)
	v.at = slices.Insert(v.at, i, line)
	v.errs = slices.Insert(v.errs, i, err)
}

// parentKey is "feed[1]" for "feed[1].url", "" for a top-level key.
func parentKey(p string) string {
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i]
	}
	return ""
}

func (v *validator) duration(key string, s *string, def time.Duration, min time.Duration) time.Duration {
	if s == nil {
		return def
	}
	if *s == "" {
		return 0
	}
	d, err := time.ParseDuration(*s)
	if err != nil {
		v.fail(key, "invalid duration %q (use e.g. \"30s\", \"15m\", \"24h\")", *s)
		return def
	}
	if d < min {
		v.fail(key, "%s is too short (minimum %s)", *s, min)
		return def
	}
	return d
}

func (v *validator) positive(key string, n *int, def int, allowZero bool) int {
	if n == nil {
		return def
	}
	if *n < 0 || (*n == 0 && !allowZero) {
		v.fail(key, "must be positive, got %d", *n)
		return def
	}
	return *n
}

func (v *validator) enum(key string, s *string, def string, allowed ...string) string {
	if s == nil {
		return def
	}
	for _, a := range allowed {
		if *s == a {
			return a
		}
	}
	v.fail(key, "invalid value %q (one of: %s)", *s, strings.Join(allowed, ", "))
	return def
}

func (v *validator) httpURL(key, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(key, "invalid URL %q (need http:// or https:// and a host)", s)
		return false
	}
	return true
}

func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func str(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func (v *validator) build(fc *fileConfig, dir string) *Config {
	cfg := &Config{File: v.name}
	cfg.DataDir = resolvePath(dir, str(fc.DataDir, "./data"))
	if fc.DataDir != nil && *fc.DataDir == "" {
		v.fail("data_dir", "must not be empty")
	}

	// [log]
	switch lvl := str(fc.Log.Level, "info"); lvl {
	case "debug":
		cfg.Log.Level = slog.LevelDebug
	case "info":
		cfg.Log.Level = slog.LevelInfo
	case "warn":
		cfg.Log.Level = slog.LevelWarn
	case "error":
		cfg.Log.Level = slog.LevelError
	default:
		v.fail("log.level", "invalid value %q (one of: debug, info, warn, error)", lvl)
	}
	cfg.Log.Format = v.enum("log.format", fc.Log.Format, "text", "text", "json")

	// [fetch]
	f := fc.Fetch
	cfg.Fetch = FetchConfig{
		Workers:     v.positive("fetch.workers", f.Workers, 16, false),
		PerHost:     v.positive("fetch.per_host", f.PerHost, 2, false),
		Timeout:     v.duration("fetch.timeout", f.Timeout, 30*time.Second, time.Second),
		UserAgent:   str(f.UserAgent, ""),
		FullText:    v.enum("fetch.full_text", f.FullText, tidings.FullTextAuto, tidings.FullTextAuto, tidings.FullTextAlways, tidings.FullTextNever),
		MinInterval: v.duration("fetch.min_interval", f.MinInterval, 0, time.Minute),
		MaxInterval: v.duration("fetch.max_interval", f.MaxInterval, 0, time.Minute),
		MaxBackoff:  v.duration("fetch.max_backoff", f.MaxBackoff, 0, time.Minute),
	}
	if cfg.Fetch.UserAgent == "" {
		cfg.Fetch.UserAgent = fmt.Sprintf("Tidings/%s (+%s)", tidings.Version, tidings.ProjectURL)
	}
	cfg.Fetch.MaxBody = 15 << 20
	if f.MaxBody != nil {
		n, err := parseSize(*f.MaxBody)
		if err != nil {
			v.fail("fetch.max_body", "%v", err)
		} else {
			cfg.Fetch.MaxBody = n
		}
	}
	cfg.Fetch.MemoryHeadroom = heapcap.DefaultHeadroom
	if f.MemoryHeadroom != nil {
		n, err := parseSize(*f.MemoryHeadroom)
		switch {
		case zeroSize(*f.MemoryHeadroom):
			cfg.Fetch.MemoryHeadroom = 0
		case err != nil:
			v.fail("fetch.memory_headroom", "%v", err)
		case n < 8<<20:
			v.fail("fetch.memory_headroom", "%s is too little for a poll to work in; use at least 8MiB, or 0 to turn the cap off", *f.MemoryHeadroom)
		default:
			cfg.Fetch.MemoryHeadroom = n
		}
	}
	for i, n := range f.AllowNetworks {
		if !validNetwork(n) {
			v.fail("fetch.allow_networks", "entry %d: %q is neither a CIDR, an IP address nor a host name", i, n)
		}
	}
	cfg.Fetch.AllowNetworks = f.AllowNetworks

	// global rules
	for i, r := range fc.Rules {
		v.rule(cfg, fmt.Sprintf("rule[%d]", i), r, "")
	}

	// [[feed]]
	seenURL := map[string]string{}
	for i, ff := range fc.Feeds {
		key := fmt.Sprintf("feed[%d]", i)
		if ff.URL == "" {
			v.fail(key+".url", "missing (every [[feed]] needs a url)")
			continue
		}
		if !v.httpURL(key+".url", ff.URL) {
			continue
		}
		if prev, dup := seenURL[ff.URL]; dup {
			v.fail(key+".url", "duplicate feed %q (already %s)", ff.URL, prev)
			continue
		}
		seenURL[ff.URL] = key
		feed := tidings.Feed{ID: tidings.NewFeedID(ff.URL), URL: ff.URL, Title: ff.Title, Section: ff.Section}
		if ff.Interval != "" {
			feed.Interval = v.duration(key+".interval", &ff.Interval, 0, time.Minute)
		}
		if ff.FullText != "" {
			feed.FullText = v.enum(key+".full_text", &ff.FullText, "", tidings.FullTextAuto, tidings.FullTextAlways, tidings.FullTextNever)
		}
		if ff.Weight != nil {
			if *ff.Weight <= 0 {
				v.fail(key+".weight", "must be positive, got %g", *ff.Weight)
			}
			feed.Weight = *ff.Weight
		}
		for j, r := range ff.Rules {
			v.rule(cfg, fmt.Sprintf("%s.rule[%d]", key, j), r, ff.URL)
		}
		cfg.Feeds = append(cfg.Feeds, feed)
	}

	// [summarize]
	s := fc.Summarize
	cfg.Summarize = SummarizeConfig{
		Engine:       v.enum("summarize.engine", s.Engine, "extractive", "extractive", "llm"),
		GlossaryFile: resolvePath(dir, s.GlossaryFile),
		LLM: LLMConfig{
			BaseURL:     str(s.LLM.BaseURL, "http://localhost:11434/v1"),
			Model:       s.LLM.Model,
			APIKeyEnv:   str(s.LLM.APIKeyEnv, "TIDINGS_LLM_KEY"),
			Timeout:     v.duration("summarize.llm.timeout", s.LLM.Timeout, 60*time.Second, time.Second),
			Concurrency: v.positive("summarize.llm.concurrency", s.LLM.Concurrency, 2, false),
			DailyTokens: v.positive("summarize.llm.daily_tokens", s.LLM.DailyTokens, 0, true),
		},
	}
	if s.LLM.BaseURL != nil {
		v.httpURL("summarize.llm.base_url", *s.LLM.BaseURL)
	}
	if cfg.Summarize.Engine == "llm" && cfg.Summarize.LLM.Model == "" {
		v.fail("summarize.llm.model", "required when summarize.engine = \"llm\"")
	}
	if cfg.Summarize.GlossaryFile != "" {
		if _, err := summarize.LoadGlossary(cfg.Summarize.GlossaryFile); err != nil {
			v.fail("summarize.glossary_file", "%v", err)
		}
	}

	// [[digest]]
	digests := fc.Digests
	if len(digests) == 0 {
		// A fresh install gets one daily digest, so `serve` does something useful.
		digests = []fileDigest{{Name: "daily", Title: "Daily Tidings"}}
	}
	seenName := map[string]string{}
	for i, fd := range digests {
		key := fmt.Sprintf("digest[%d]", i)
		if dc, ok := v.digest(key, fd, seenName); ok {
			cfg.Digests = append(cfg.Digests, dc)
		}
	}

	// [publish]
	p := fc.Publish
	cfg.Publish = PublishConfig{
		Dir:          resolvePath(dir, str(p.Dir, "./public")),
		BaseURL:      str(p.BaseURL, defaultBaseURL),
		Title:        str(p.Title, "Tidings"),
		Lang:         str(p.Lang, "en"),
		TemplatesDir: resolvePath(dir, p.TemplatesDir),
		WebSubHubs:   p.WebSubHubs,
	}
	if v.httpURL("publish.base_url", cfg.Publish.BaseURL) && !strings.HasSuffix(cfg.Publish.BaseURL, "/") {
		cfg.Publish.BaseURL += "/"
	}
	for _, h := range p.WebSubHubs {
		v.httpURL("publish.websub_hubs", h)
	}
	if !langTag.MatchString(cfg.Publish.Lang) {
		v.fail("publish.lang", "%q is not a language tag (use a BCP 47 tag such as \"en\", \"de\" or \"pt-BR\")", cfg.Publish.Lang)
	}
	if p.Dir != nil && *p.Dir == "" {
		v.fail("publish.dir", "must not be empty")
	}
	if cfg.Publish.TemplatesDir != "" {
		if st, err := os.Stat(cfg.Publish.TemplatesDir); err != nil || !st.IsDir() {
			v.fail("publish.templates_dir", "%q is not a directory", p.TemplatesDir)
		}
	}

	// [server]
	cfg.Server = ServerConfig{Listen: str(fc.Server.Listen, defaultListen), Metrics: fc.Server.Metrics}
	if _, port, err := net.SplitHostPort(cfg.Server.Listen); err != nil {
		v.fail("server.listen", "invalid address %q (use host:port, e.g. \"127.0.0.1:8080\")", cfg.Server.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.fail("server.listen", "invalid port in %q", cfg.Server.Listen)
	}

	// [smtp]
	m := fc.SMTP
	cfg.SMTP = SMTPConfig{
		Host:               m.Host,
		Port:               587,
		TLS:                v.enum("smtp.tls", m.TLS, "starttls", "starttls", "implicit", "none"),
		Username:           m.Username,
		PasswordEnv:        str(m.PasswordEnv, "TIDINGS_SMTP_PASSWORD"),
		PasswordFile:       resolvePath(dir, m.PasswordFile),
		From:               m.From,
		Sendmail:           resolvePath(dir, m.Sendmail),
		Subject:            m.Subject,
		Unsubscribe:        m.Unsubscribe,
		InsecureSkipVerify: m.InsecureSkipVerify,
		Timeout:            v.duration("smtp.timeout", m.Timeout, 30*time.Second, time.Second),
	}
	if m.Port != nil {
		if *m.Port <= 0 || *m.Port > 65535 {
			v.fail("smtp.port", "invalid port %d", *m.Port)
		} else {
			cfg.SMTP.Port = *m.Port
		}
	}
	if m.From != "" {
		if _, err := mail.ParseAddress(m.From); err != nil {
			v.fail("smtp.from", "invalid address %q", m.From)
		}
	} else if cfg.SMTP.Configured() {
		v.fail("smtp.from", "required when smtp.host or smtp.sendmail is set")
	}
	if m.Unsubscribe != "" {
		if u, err := url.Parse(m.Unsubscribe); err != nil || (u.Scheme != "mailto" && u.Scheme != "http" && u.Scheme != "https") {
			v.fail("smtp.unsubscribe", "invalid URL %q (need mailto:, http:// or https://)", m.Unsubscribe)
		}
	}
	if cfg.SMTP.PasswordFile != "" {
		if _, err := os.Stat(cfg.SMTP.PasswordFile); err != nil {
			v.fail("smtp.password_file", "%v", err)
		}
	}

	// [retention]
	cfg.Retention = RetentionConfig{
		MaxAge:     v.duration("retention.max_age", fc.Retention.MaxAge, 720*time.Hour, time.Hour),
		MinPerFeed: v.positive("retention.min_per_feed", fc.Retention.MinPerFeed, 20, true),
	}
	return cfg
}

// safeName keeps digest names usable as one path segment and URL segment.
var safeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// langTag accepts the shape of a BCP 47 tag: a 2–3 letter language, then
// subtags of 1–8 letters or digits (script, region, variants).
var langTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

// reservedName reports top-level paths of the published site itself.
func reservedName(name string) bool {
	switch name {
	case "items", "sources", "style":
		return true
	}
	return false
}

func (v *validator) digest(key string, fd fileDigest, seen map[string]string) (DigestConfig, bool) {
	ok := true
	if fd.Name == "" {
		v.fail(key+".name", "missing (every [[digest]] needs a name)")
		return DigestConfig{}, false
	}
	if !safeName.MatchString(fd.Name) || reservedName(fd.Name) {
		v.fail(key+".name", "%q is not usable as a directory name (lower-case letters, digits, - and _; not items, sources or style)", fd.Name)
		ok = false
	}
	if prev, dup := seen[fd.Name]; dup {
		v.fail(key+".name", "duplicate digest %q (already %s)", fd.Name, prev)
		ok = false
	}
	seen[fd.Name] = key
	dc := DigestConfig{
		Schedule: str(fd.Schedule, defaultSchedule),
		Timezone: str(fd.Timezone, "UTC"),
	}
	loc, err := time.LoadLocation(dc.Timezone)
	if err != nil {
		v.fail(key+".timezone", "unknown time zone %q (use an IANA name such as \"Europe/Berlin\")", dc.Timezone)
		ok = false
		loc = time.UTC
	}
	// The schedule runs in the digest's time zone.
	spec := dc.Schedule
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		v.fail(key+".schedule", "invalid cron spec %q: %v", dc.Schedule, err)
		ok = false
	}
	dc.Cron = sched
	title := fd.Title
	if title == "" {
		title = fd.Name
	}
	dc.Def = digest.Definition{
		Name:          fd.Name,
		Title:         title,
		Description:   fd.Description,
		Window:        v.duration(key+".window", fd.Window, 24*time.Hour, time.Minute),
		MaxItems:      v.positive(key+".max_items", fd.MaxItems, 40, false),
		PerFeedMax:    v.positive(key+".per_feed_max", fd.PerFeedMax, 5, true),
		PerSectionMax: v.positive(key+".per_section_max", fd.PerSectionMax, 0, true),
		MinItems:      v.positive(key+".min_items", fd.MinItems, 1, true),
		Quiet:         v.enum(key+".quiet", fd.Quiet, "skip", "skip", "publish"),
		Sections:      fd.Sections,
		Location:      loc,
	}
	for i, r := range fd.Recipients {
		a, err := mail.ParseAddress(r)
		if err != nil {
			v.fail(key+".recipients", "entry %d: invalid email address %q", i, r)
			ok = false
			continue
		}
		dc.Recipients = append(dc.Recipients, a.Address)
	}
	if err := dc.Def.Validate(); err != nil && ok {
		v.fail(key, "%v", err)
		ok = false
	}
	for i, r := range fd.Rules {
		rule, err := v.compileRule(fmt.Sprintf("%s.rule[%d]", key, i), ruleSpec(r, ""))
		if err != nil {
			ok = false
			continue
		}
		dc.Def.Rules = append(dc.Def.Rules, rule)
	}
	return dc, ok
}

func ruleSpec(r fileRule, feedURL string) digest.RuleSpec {
	return digest.RuleSpec{Field: r.Field, Match: r.Match, Regex: r.Regex, Action: r.Action, Value: r.Value, Section: r.Section, FeedURL: feedURL}
}

func (v *validator) rule(cfg *Config, key string, r fileRule, feedURL string) {
	spec := ruleSpec(r, feedURL)
	rule, err := v.compileRule(key, spec)
	if err != nil {
		return
	}
	cfg.Rules = append(cfg.Rules, rule)
	cfg.Specs = append(cfg.Specs, spec)
}

// compileRule compiles a rule table, reporting a problem at the line of
// the key it concerns (a bad regex at its regex line) where that is clear.
func (v *validator) compileRule(key string, spec digest.RuleSpec) (digest.Rule, error) {
	rule, err := digest.CompileRule(spec)
	if err != nil {
		at := key
		for _, field := range []string{"field", "action", "regex"} {
			if strings.HasPrefix(err.Error(), "rule "+field+" ") {
				at = key + "." + field
			}
		}
		v.fail(at, "%v", err)
	}
	return rule, err
}

var hostName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,62})?(\.[a-z0-9]([a-z0-9-]{0,62})?)*\.?$`)

func validNetwork(s string) bool {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return true
	}
	if net.ParseIP(s) != nil {
		return true
	}
	return len(s) <= 253 && hostName.MatchString(s)
}

// zeroSize reports whether s is a size of zero ("0", "0B", "0 MiB"), which
// parseSize refuses but a switch-off setting accepts.
func zeroSize(s string) bool {
	num := strings.TrimLeft(strings.TrimSpace(s), "0")
	if len(num) == len(strings.TrimSpace(s)) {
		return false // no leading zero at all
	}
	switch strings.TrimSpace(num) {
	case "", "B", "KB", "MB", "GB", "KiB", "MiB", "GiB":
		return true
	}
	return false
}

// parseSize reads "15MiB", "10MB", "512KiB" or a plain number of bytes.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i:])
	mult := map[string]int64{
		"": 1, "B": 1,
		"KB": 1e3, "MB": 1e6, "GB": 1e9,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
	}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (use e.g. \"15MiB\", \"10MB\")", s)
	}
	return n * mult, nil
}
