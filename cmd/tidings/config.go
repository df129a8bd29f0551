package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/robfig/cron/v3"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
)

// Config is the validated configuration: every duration, size, schedule and
// path already parsed and resolved, so the rest of the program never sees a
// raw string it would have to check again.
type Config struct {
	File      string // the file it was read from; "" means built-in defaults
	DataDir   string
	Log       LogConfig
	Fetch     FetchConfig
	Feeds     []tidings.Feed    // from [[feed]], in file order
	Rules     []digest.Rule     // global [[rule]] and every [[feed.rule]]
	Specs     []digest.RuleSpec // the same rules, uncompiled (for display)
	Summarize SummarizeConfig
	Digests   []DigestConfig
	Publish   PublishConfig
	Server    ServerConfig
	SMTP      SMTPConfig
	Retention RetentionConfig
}

// DBPath is where the bbolt file lives.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "tidings.db") }

// Digest finds a digest definition by name.
func (c *Config) Digest(name string) (DigestConfig, bool) {
	for _, d := range c.Digests {
		if d.Def.Name == name {
			return d, true
		}
	}
	return DigestConfig{}, false
}

type LogConfig struct {
	Level  slog.Level
	Format string // text | json
}

type FetchConfig struct {
	Workers, PerHost int
	Timeout          time.Duration
	MaxBody          int64
	MemoryHeadroom   int64 // heap cap above what the process holds when a poll starts; 0: none
	UserAgent        string
	AllowNetworks    []string
	FullText         string
	MinInterval      time.Duration
	MaxInterval      time.Duration
	MaxBackoff       time.Duration
}

type SummarizeConfig struct {
	Engine       string // extractive | llm
	GlossaryFile string
	LLM          LLMConfig
}

type LLMConfig struct {
	BaseURL     string
	Model       string
	APIKeyEnv   string
	Timeout     time.Duration
	Concurrency int
	DailyTokens int
}

// DigestConfig is one [[digest]]: the pure definition the builder needs plus
// what only the daemon cares about (schedule, recipients).
type DigestConfig struct {
	Def        digest.Definition
	Schedule   string
	Timezone   string
	Cron       cron.Schedule // in Def.Location
	Recipients []string
}

type PublishConfig struct {
	Dir          string
	BaseURL      string
	Title        string
	Lang         string // BCP 47 language of the site and feeds
	TemplatesDir string
	WebSubHubs   []string
}

type ServerConfig struct {
	Listen  string
	Metrics bool
}

type SMTPConfig struct {
	Host               string
	Port               int
	TLS                string
	Username           string
	PasswordEnv        string
	PasswordFile       string
	From               string
	Sendmail           string
	Subject            string
	Unsubscribe        string
	InsecureSkipVerify bool
	Timeout            time.Duration
}

// Configured reports whether mail can be sent at all.
func (s SMTPConfig) Configured() bool { return s.Host != "" || s.Sendmail != "" }

// Password reads the SMTP password from the file or the environment
// variable, at the moment it is needed, so a rotated secret is picked up.
func (s SMTPConfig) Password() (string, error) {
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("smtp password: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if s.PasswordEnv != "" {
		return os.Getenv(s.PasswordEnv), nil
	}
	return "", nil
}

type RetentionConfig struct {
	MaxAge     time.Duration
	MinPerFeed int
}

// Defaults, in one place; config.example.toml documents the same values.
const (
	defaultSchedule = "0 7 * * *"
	defaultListen   = "127.0.0.1:8080"
	defaultBaseURL  = "http://localhost:8080/"
)

// ConfigError is an invalid configuration: exit code 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// findConfig applies the lookup order: -config, $TIDINGS_CONFIG,
// ./tidings.toml, else "" (built-in defaults).
func findConfig(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := getenv("TIDINGS_CONFIG"); p != "" {
		return p
	}
	if _, err := os.Stat("tidings.toml"); err == nil {
		return "tidings.toml"
	}
	return ""
}

// LoadConfig reads and validates a config file; path "" gives the defaults
// (relative paths then resolve against the working directory).
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return parseConfig("", ".", nil)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("config: %w", err)}
	}
	return parseConfig(path, filepath.Dir(path), data)
}

// parseConfig decodes strictly and validates, collecting every problem so a
// user fixes the file in one go rather than one error per run.
func parseConfig(name, dir string, data []byte) (*Config, error) {
	var fc fileConfig
	lines := scanKeyLines(data)
	if len(data) > 0 {
		dec := toml.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fc); err != nil {
			return nil, &ConfigError{decodeErr(name, data, lines, err)}
		}
	}
	v := &validator{name: name, lines: lines}
	cfg := v.build(&fc, dir)
	if len(v.errs) > 0 {
		return nil, &ConfigError{errors.Join(v.errs...)}
	}
	return cfg, nil
}

// decodeErr turns go-toml's errors into "file:line: key: message".
func decodeErr(name string, data []byte, lines *keyLines, err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) {
		var errs []error
		for _, e := range sme.Errors {
			row, _ := e.Position()
			key := lines.pathAt(row, strings.Join(e.Key(), "."))
			msg, hint := "unknown key", "%q"
			if isTableHeader(data, row) {
				msg, hint = "unknown section", "[%s]"
			}
			if s := suggestKey(e.Key()); s != "" {
				msg += fmt.Sprintf(" (did you mean "+hint+"?)", s)
			}
			errs = append(errs, fmt.Errorf("%s:%d: %s: %s", name, row, key, msg))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("want %s, got a TOML %s", goTypeName(m[2]), m[1])
		}
		if k := de.Key(); len(k) > 0 {
			return fmt.Errorf("%s:%d: %s: %s", name, row, lines.pathAt(row, strings.Join(k, ".")), msg)
		}
		return fmt.Errorf("%s:%d:%d: %s", name, row, col, msg)
	}
	return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
}

var typeMismatch = regexp.MustCompile(`cannot decode TOML (\w+) into struct field \S+ of type (\S+)`)

func goTypeName(t string) string {
	t = strings.TrimPrefix(t, "*")
	switch t {
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "[]string":
		return "an array of strings"
	}
	if strings.HasPrefix(t, "[]") {
		return "an array of tables"
	}
	return "a table"
}
