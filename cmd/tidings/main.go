// Command tidings is the Tidings feed aggregator: a CLI for one-off work and
// `tidings serve`, the daemon that polls feeds, builds digests on their
// schedules, publishes them and mails them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/tidings/tidings"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs the program and returns its exit code: 0 ok, 1 error, 2 usage or
// invalid configuration. It never exits, so tests call it directly.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	return a.main(ctx, args)
}

// app is one invocation: its streams, its configuration and the hooks tests
// use (the clock, where serve reports its address).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time

	configFlag string
	cfg        *Config
	log        *slog.Logger
	level      slog.LevelVar // the log level; a reload changes it

	listen string // serve --listen, kept across reloads
	// grace replaces shutdownGrace when set (tests).
	grace time.Duration

	// onServing is called by serve once it listens, with the bound address.
	onServing func(addr string)
	// hup delivers reload requests to serve (SIGHUP in production).
	hup <-chan os.Signal
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"daemon: scheduled polling, digests, email, HTTP server", (*app).cmdServe},
		"fetch":   {"poll due (or all) feeds once, then exit", (*app).cmdFetch},
		"digest":  {"build an edition of digest NAME now and publish it", (*app).cmdDigest},
		"publish": {"rebuild the whole output directory from the store", (*app).cmdPublish},
		"send":    {"email an edition (default: the latest)", (*app).cmdSend},
		"feeds":   {"feeds add URL [--section S] | feeds list [--json] | feeds remove URL", (*app).cmdFeeds},
		"inspect": {"show the normalized feed and items, store nothing", (*app).cmdInspect},
		"opml":    {"opml import FILE | opml export", (*app).cmdOPML},
		"stats":   {"counts: feeds, items, editions, failing feeds", (*app).cmdStats},
		"check":   {"validate the configuration and exit", (*app).cmdCheck},
		"backup":  {"consistent copy of the database, safe while serve runs", (*app).cmdBackup},
		"compact": {"rewrite the database to reclaim space", (*app).cmdCompact},
		"demo":    {"offline demo: bundled sample feeds served on loopback", (*app).cmdDemo},
		"version": {"print version, commit and Go version", (*app).cmdVersion},
	}
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: tidings [-config FILE] COMMAND [ARGS]\n\nCommands:\n")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nConfig lookup: -config, else $TIDINGS_CONFIG, else ./tidings.toml, else built-in defaults.\n")
	fmt.Fprintf(w, "Run 'tidings COMMAND --help' for a command's flags.\n")
}

func (a *app) main(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("tidings", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.StringVar(&a.configFlag, "config", "", "configuration `FILE`")
	fs.Usage = func() { a.usage(a.stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		a.usage(a.stderr)
		return 2
	}
	name := fs.Arg(0)
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(a.stderr, "tidings: unknown command %q\n\n", name)
		a.usage(a.stderr)
		return 2
	}
	err := cmd.run(a, ctx, fs.Args()[1:])
	return a.exitCode(name, err)
}

func (a *app) exitCode(name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	var ce *ConfigError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "tidings %s: %v\n", name, err)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(a.stderr, "%v\n", err)
		return 2
	case errors.Is(err, errFlagParse):
		return 2 // the flag package already printed what is wrong
	}
	fmt.Fprintf(a.stderr, "tidings %s: %v\n", name, err)
	return 1
}

var errFlagParse = errors.New("bad flags")

// flags makes a command's FlagSet; parse with a.parse.
func (a *app) flags(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tidings %s %s\n\n%s\n", name, args, about)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags that may come before or after positional arguments
// ("feeds add URL --section S" as well as "feeds add --section S URL").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errFlagParse
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printJSON writes v to stdout as indented JSON (the --json flags).
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// noArgs parses the flags of a command that takes no positional arguments.
func noArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("%s takes no arguments", fs.Name())
	}
	return nil
}

// config loads the configuration once per invocation.
func (a *app) config() (*Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, err := LoadConfig(findConfig(a.configFlag, a.getenv))
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	a.level.Set(cfg.Log.Level)
	a.log = newLogger(a.stderr, cfg.Log.Format, &a.level)
	return cfg, nil
}

func newLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	return fmt.Sprintf("%s (%s)", tidings.Version, tidings.Commit)
}
