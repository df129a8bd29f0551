package main

// TestCrashSafety runs the real binary against a loopback feed farm and a
// loopback SMTP sink, SIGKILLs it at random moments while it fetches, builds
// digests, publishes and sends mail, restarts it, and after every round
// checks what a power cut on a Raspberry Pi must never break:
//
//   - the database opens and passes bbolt's consistency check;
//   - no committed item is lost or duplicated, no item appears that the farm
//     never served, and an edition once committed never changes;
//   - every published file is complete (parses fully, is not empty) and no
//     temporary file is left where it would be served;
//   - a message is delivered at most once, except in the window SMTP cannot
//     close (the server said 250, the process died before recording it), and,
//     after a final clean run, every delivery was sent.
//
// Rounds: TIDINGS_CRASH_ROUNDS (default 30; 5 with -short). The kill
// schedule is random; TIDINGS_CRASH_SEED replays one.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/store"
)

const crashDigest = "crash"

var crashRecipients = []string{"alice@example.com", "bob@example.com", "carol@example.com"}

// sinkDelay is how long the SMTP sink "stores" a message before its 250, as
// a real server's fsync does; it widens the window kills can land in.
const sinkDelay = 25 * time.Millisecond

func TestCrashSafety(t *testing.T) {
	rounds := 30
	if testing.Short() {
		rounds = 5
	}
	if s := os.Getenv("TIDINGS_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("TIDINGS_CRASH_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TIDINGS_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TIDINGS_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("%d rounds; replay the kill schedule with TIDINGS_CRASH_SEED=%d", rounds, seed)
	rng := rand.New(rand.NewPCG(seed, 0x7e1d))

	h := newCrashHarness(t)
	defer h.saveArtifactsOnFailure()

	// Warm up without kills: every command once, cleanly. This fills every
	// stage with data and measures how long each takes, so that kills land
	// inside the work rather than before or after it.
	cost := map[string]time.Duration{}
	for _, kind := range crashKinds {
		h.farm.advance()
		r := h.run(kind, -1)
		if r.killed || r.err != nil {
			t.Fatalf("warm-up %s: %v\n%s", kind, r.err, h.tail(r.log))
		}
		cost[kind] = r.took
		h.check(r)
	}
	t.Logf("clean durations: %v", cost)

	killed := 0
	for i := 0; i < rounds; i++ {
		h.farm.advance()
		kind := crashMix[rng.IntN(len(crashMix))]
		limit := cost[kind] + cost[kind]/4 + 5*time.Millisecond
		if kind == "serve" {
			// serve never finishes by itself: kill it in its first seconds,
			// most often in the first few hundred milliseconds where it
			// syncs feeds, polls the new ones and catches up a digest.
			limit = 2500 * time.Millisecond
			if rng.IntN(2) == 0 {
				limit = 400 * time.Millisecond
			}
		}
		delay := time.Duration(rng.Int64N(int64(limit) + 1))
		r := h.run(kind, delay)
		if r.killed {
			killed++
		} else if r.err != nil {
			t.Fatalf("round %d: %s exited without being killed: %v\n%s", h.round, kind, r.err, h.tail(r.log))
		}
		h.check(r)
		if t.Failed() {
			t.Fatalf("round %d (%s, kill after %v) broke an invariant; log: %s", h.round, kind, delay, r.log)
		}
	}
	t.Logf("%d of %d rounds ended in SIGKILL", killed, rounds)

	// A final clean run must converge: every item the farm serves is stored,
	// and every delivery goes out.
	h.farm.advance()
	h.mustRun("fetch")
	h.requireAllItems()
	h.drainOutbox()
	h.mustRun("publish")
	h.sink.report(t)

	// Temporary files of interrupted writes are dotfiles, never served; the
	// publisher removes them from the directories it writes again.
	var temps []string
	filepath.WalkDir(h.pubDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tidings-tmp-") {
			temps = append(temps, path)
		}
		return nil
	})
	t.Logf("temporary files left by kills after the final publish: %d %v", len(temps), temps)
}

func (h *crashHarness) mustRun(kind string) {
	h.t.Helper()
	r := h.run(kind, -1)
	if r.err != nil {
		h.t.Fatalf("round %d: clean %s: %v\n%s", h.round, kind, r.err, h.tail(r.log))
	}
	h.check(r)
}

// The commands a round may run. `digest` builds, publishes and mails; serve
// does all of it on its schedules; compact swaps in a rewritten database
// file; backup writes a copy. `send` is left out on purpose: it re-sends an
// edition by design, which the sink would count as a duplicate.
var crashKinds = []string{"fetch", "digest", "publish", "serve", "compact", "backup"}

// crashMix weights the draw towards the commands that write the most.
var crashMix = []string{"fetch", "fetch", "digest", "digest", "serve", "serve", "publish", "compact", "backup"}

type crashHarness struct {
	t       *testing.T
	bin     string
	dir     string
	cfgPath string
	dbPath  string
	pubDir  string
	farm    *crashFarm
	sink    *crashSink
	round   int

	// What earlier checks saw committed; it must never go away.
	committed map[string]bool   // item GUIDs
	editions  map[string]string // "digest/number" -> hash of the edition
	sent      map[string]bool   // delivery keys seen in state sent
	mails     int               // messages the sink had accepted at the last check
}

type crashRun struct {
	kind   string
	killed bool
	err    error
	took   time.Duration
	log    string
}

func newCrashHarness(t *testing.T) *crashHarness {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not found; the crash test builds the real binary")
	}
	dir := t.TempDir()
	h := &crashHarness{
		t:         t,
		dir:       dir,
		bin:       filepath.Join(dir, "tidings"),
		cfgPath:   filepath.Join(dir, "tidings.toml"),
		dbPath:    filepath.Join(dir, "data", "tidings.db"),
		pubDir:    filepath.Join(dir, "public"),
		committed: map[string]bool{},
		editions:  map[string]string{},
		sent:      map[string]bool{},
	}
	build := exec.Command("go", "build", "-o", h.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h.farm = newCrashFarm(t, 24)
	h.sink = newCrashSink(t)
	h.writeConfig()
	return h
}

func (h *crashHarness) writeConfig() {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n\n", filepath.Join(h.dir, "data"))
	b.WriteString("[log]\nlevel = \"debug\"\n\n")
	// The feed farm and the SMTP sink are on loopback, which the SSRF guard
	// refuses unless allowed.
	b.WriteString("[fetch]\nworkers = 4\nallow_networks = [\"127.0.0.0/8\"]\nfull_text = \"never\"\ntimeout = \"10s\"\n\n")
	// A fixed one-minute interval makes feeds due again while the test
	// runs, so serve rounds ingest too (fetch --all ignores the schedule).
	for i := range h.farm.activeFeeds() {
		fmt.Fprintf(&b, "[[feed]]\nurl = %q\nsection = %q\ninterval = \"1m\"\n\n", h.farm.feedURL(i), fmt.Sprintf("Section %d", i%3))
	}
	fmt.Fprintf(&b, "[[digest]]\nname = %q\ntitle = \"Crash Tidings\"\nschedule = \"* * * * *\"\ntimezone = \"UTC\"\nwindow = \"24h\"\nmax_items = 30\nmin_items = 1\nrecipients = [%q, %q, %q]\n\n",
		crashDigest, crashRecipients[0], crashRecipients[1], crashRecipients[2])
	fmt.Fprintf(&b, "[publish]\ndir = %q\nbase_url = \"http://127.0.0.1/\"\n\n", h.pubDir)
	b.WriteString("[server]\nlisten = \"127.0.0.1:0\"\n\n")
	fmt.Fprintf(&b, "[smtp]\nhost = \"127.0.0.1\"\nport = %d\ntls = \"none\"\nfrom = \"tidings@example.com\"\n\n", h.sink.port)
	b.WriteString("[retention]\nmax_age = \"8760h\"\n")
	if err := os.WriteFile(h.cfgPath, []byte(b.String()), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *crashHarness) args(kind string) []string {
	a := []string{"-config", h.cfgPath}
	switch kind {
	case "fetch":
		return append(a, "fetch", "--all")
	case "digest":
		return append(a, kind, crashDigest)
	case "backup":
		return append(a, kind, h.backupPath())
	default:
		return append(a, kind)
	}
}

// run starts one command and SIGKILLs it after delay (delay < 0: let it
// finish; serve then gets SIGTERM once its work is done).
func (h *crashHarness) run(kind string, delay time.Duration) crashRun {
	h.t.Helper()
	if kind == "serve" {
		h.farm.addFeeds(2)
		h.writeConfig()
	}
	h.round++
	h.sink.setRound(h.round)
	logPath := filepath.Join(h.dir, fmt.Sprintf("round-%03d-%s.log", h.round, kind))
	logf, err := os.Create(logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(h.bin, h.args(kind)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), "TIDINGS_CONFIG=", "NOTIFY_SOCKET=")
	cmd.Stdout = logf
	cmd.Stderr = logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start %s: %v", kind, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	r := crashRun{kind: kind, log: logPath}
	switch {
	case delay >= 0:
		timer := time.NewTimer(delay)
		select {
		case err := <-done:
			timer.Stop()
			r.err = err
		case <-timer.C:
			cmd.Process.Signal(syscall.SIGKILL)
			r.err = <-done
			r.killed = true
		}
	case kind == "serve":
		// A clean serve: give it time for its startup work, then stop it
		// the way systemd does.
		select {
		case err := <-done:
			r.err = fmt.Errorf("serve exited early: %v", err)
		case <-time.After(3 * time.Second):
			h.checkServed(logPath)
			cmd.Process.Signal(syscall.SIGTERM)
			r.err = waitOrKill(cmd, done, 30*time.Second)
		}
	default:
		r.err = waitOrKill(cmd, done, 60*time.Second)
	}
	r.took = time.Since(start)
	fmt.Fprintf(logf, "\n# round %d: %s killed=%v after %v err=%v\n", h.round, kind, r.killed, r.took, r.err)
	return r
}

// checkServed asks a running serve for the published files: every file
// it serves is complete, and dotfiles (the manifest, temporary files of an
// interrupted write) are never served.
func (h *crashHarness) checkServed(logPath string) {
	t := h.t
	b, _ := os.ReadFile(logPath)
	m := regexp.MustCompile(`msg=serving addr=(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Errorf("round %d: serve logged no address", h.round)
		return
	}
	base := "http://" + string(m[1])
	client := &http.Client{Timeout: 30 * time.Second} // a hung server fails the round, not the whole run
	get := func(p string) (int, []byte) {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Errorf("round %d: GET %s: %v", h.round, p, err)
			return 0, nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Errorf("round %d: GET %s: %v", h.round, p, err)
		}
		return resp.StatusCode, body
	}
	if code, _ := get("/.tidings-manifest.json"); code == http.StatusOK {
		t.Errorf("round %d: serve serves the dotfile .tidings-manifest.json", h.round)
	}
	for _, p := range []string{"/" + crashDigest + "/feed.xml", "/" + crashDigest + "/feed.json", "/index.html"} {
		if _, err := os.Stat(filepath.Join(h.pubDir, filepath.FromSlash(p))); err != nil {
			continue // not published yet
		}
		code, body := get(p)
		if code != http.StatusOK {
			t.Errorf("round %d: GET %s: status %d", h.round, p, code)
			continue
		}
		if err := checkComplete(p, body); err != nil {
			t.Errorf("round %d: served %s is incomplete: %v", h.round, p, err)
		}
	}
}

// waitOrKill waits for a command that should end by itself; the limit only
// keeps a hung binary from hanging the test run.
func waitOrKill(cmd *exec.Cmd, done chan error, limit time.Duration) error {
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("did not finish within %v (killed)", limit)
	}
}

func (h *crashHarness) backupPath() string { return filepath.Join(h.dir, "backup.db") }

// check verifies every invariant against the state the round left behind.
func (h *crashHarness) check(r crashRun) {
	t := h.t
	t.Helper()
	h.checkPublished()
	h.checkBackup()
	if _, err := os.Stat(h.dbPath); errors.Is(err, fs.ErrNotExist) {
		if len(h.committed) > 0 {
			t.Errorf("round %d: database %s vanished", h.round, h.dbPath)
		}
		return
	}
	db, err := store.Open(h.dbPath, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Errorf("round %d (%s): open database: %v", h.round, r.kind, err)
		return
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("round %d (%s): consistency check: %v", h.round, r.kind, err)
	}
	items, eds := len(h.committed), len(h.editions)
	h.checkItems(db)
	h.checkEditions(db)
	h.checkDeliveries(db, r)
	how := "ran to the end"
	if r.killed {
		how = fmt.Sprintf("SIGKILL after %v", r.took.Round(time.Millisecond))
	}
	t.Logf("round %2d %-7s %-26s +%d items, +%d editions, +%d mails accepted",
		h.round, r.kind, how, len(h.committed)-items, len(h.editions)-eds, h.sink.total()-h.mails)
	h.mails = h.sink.total()
}

// checkBackup: a backup file, once there, is a complete database (the copy
// is written to a temporary file and renamed).
func (h *crashHarness) checkBackup() {
	t := h.t
	if _, err := os.Stat(h.backupPath()); errors.Is(err, fs.ErrNotExist) {
		return
	}
	db, err := store.Open(h.backupPath(), store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Errorf("round %d: open backup: %v", h.round, err)
		return
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("round %d: backup consistency check: %v", h.round, err)
	}
}

func (h *crashHarness) checkItems(db *store.DB) {
	t := h.t
	feeds, err := db.Feeds()
	if err != nil {
		t.Errorf("round %d: feeds: %v", h.round, err)
		return
	}
	now := map[string]bool{}
	for _, f := range feeds {
		items, err := db.FeedItems(f.ID, 0)
		if err != nil {
			t.Errorf("round %d: items of %s: %v", h.round, f.URL, err)
			continue
		}
		for _, it := range items {
			g := itemGUID(it)
			if now[g] {
				t.Errorf("round %d: item %s stored twice", h.round, g)
			}
			now[g] = true
			if !h.farm.wasServed(g) {
				t.Errorf("round %d: item %q (feed %s) was never served by the farm", h.round, g, f.URL)
			}
		}
	}
	for g := range h.committed {
		if !now[g] {
			t.Errorf("round %d: committed item %s lost", h.round, g)
		}
	}
	for g := range now {
		h.committed[g] = true
	}
}

// itemGUID finds the farm's guid in a stored item whatever identity mode the
// poller chose for it.
func itemGUID(it tidings.Item) string {
	for _, s := range []string{it.GUID, it.Identity} {
		if strings.HasPrefix(s, "urn:crash:") {
			return s
		}
	}
	return "?" + it.Identity
}

func (h *crashHarness) checkEditions(db *store.DB) {
	t := h.t
	names, err := db.Digests()
	if err != nil {
		t.Errorf("round %d: digests: %v", h.round, err)
		return
	}
	present := map[string]bool{}
	for _, name := range names {
		eds, err := db.Editions(name)
		if err != nil {
			t.Errorf("round %d: editions of %s: %v", h.round, name, err)
			continue
		}
		slots := map[time.Time]int{}
		for i, e := range eds {
			if e.Number != i+1 {
				t.Errorf("round %d: %s editions numbered %d at position %d, want %d", h.round, name, e.Number, i, i+1)
			}
			if n, dup := slots[e.Slot]; dup {
				t.Errorf("round %d: %s editions %d and %d share slot %v", h.round, name, n, e.Number, e.Slot)
			}
			slots[e.Slot] = e.Number
			b, _ := json.Marshal(e)
			sum := sha256.Sum256(b)
			key := fmt.Sprintf("%s/%d", name, e.Number)
			present[key] = true
			if old, ok := h.editions[key]; ok && old != hex.EncodeToString(sum[:]) {
				t.Errorf("round %d: edition %s changed after it was committed", h.round, key)
			}
			h.editions[key] = hex.EncodeToString(sum[:])
		}
	}
	for key := range h.editions {
		if !present[key] {
			t.Errorf("round %d: committed edition %s lost", h.round, key)
		}
	}
}

func deliveryKey(d tidings.Delivery) string {
	return fmt.Sprintf("%s/%d/%s", d.Digest, d.Edition, strings.ToLower(d.Recipient))
}

func (h *crashHarness) checkDeliveries(db *store.DB, r crashRun) {
	t := h.t
	ds, err := db.Deliveries()
	if err != nil {
		t.Errorf("round %d: deliveries: %v", h.round, err)
		return
	}
	sentIDs := map[string]bool{}
	for _, d := range ds {
		key := deliveryKey(d)
		if _, err := db.Edition(d.Digest, d.Edition); err != nil {
			t.Errorf("round %d: delivery %s has no edition: %v", h.round, key, err)
		}
		switch d.State {
		case tidings.DeliverySent:
			h.sent[key] = true
			id := sinkKey(d.MessageID, d.Recipient)
			sentIDs[id] = true
			if d.MessageID != "" && h.sink.count(id) == 0 {
				t.Errorf("round %d: delivery %s is marked sent but the server never accepted %s", h.round, key, d.MessageID)
			}
		case tidings.DeliveryPending:
			if h.sent[key] {
				t.Errorf("round %d: delivery %s went back from sent to pending", h.round, key)
			}
		case tidings.DeliveryFailed:
			t.Errorf("round %d: delivery %s failed permanently: %s", h.round, key, d.LastError)
		}
	}
	// An edition and its deliveries are saved in one transaction: an
	// edition without all of them means a kill split it.
	have := map[string]bool{}
	for _, d := range ds {
		have[deliveryKey(d)] = true
	}
	eds, err := db.Editions(crashDigest)
	if err != nil {
		t.Errorf("round %d: editions: %v", h.round, err)
	}
	for _, e := range eds {
		for _, rc := range crashRecipients {
			k := deliveryKey(tidings.Delivery{Digest: e.Digest, Edition: e.Number, Recipient: rc})
			if !have[k] {
				t.Errorf("round %d: edition %s #%d has no delivery for %s", h.round, e.Digest, e.Number, rc)
			}
		}
	}
	h.sink.settleRound(h.round, r.killed, sentIDs)
	for _, dup := range h.sink.badDuplicates() {
		t.Errorf("round %d: message delivered twice although its first delivery was recorded: %s", h.round, dup)
	}
}

// checkPublished parses every file a reader could be served.
func (h *crashHarness) checkPublished() {
	t := h.t
	err := filepath.WalkDir(h.pubDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == h.pubDir {
				return filepath.SkipDir
			}
			return err
		}
		name := d.Name()
		if path != h.pubDir && strings.HasPrefix(name, ".") {
			// Dotfiles (manifest, temp files of an interrupted write) are
			// never served.
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(h.pubDir, path)
		if strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, "~") || strings.Contains(name, ".tmp-") {
			t.Errorf("round %d: temporary file %s left where it is served", h.round, rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := checkComplete(name, b); err != nil {
			t.Errorf("round %d: published %s is incomplete: %v", h.round, rel, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("round %d: walk %s: %v", h.round, h.pubDir, err)
	}
}

func checkComplete(name string, b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty")
	}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".xml", ".atom", ".rss", ".opml":
		dec := xml.NewDecoder(bytes.NewReader(b))
		depth, roots := 0, 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			switch tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
			case xml.EndElement:
				depth--
			}
		}
		if depth != 0 || roots != 1 {
			return fmt.Errorf("xml: %d root elements, depth %d at the end", roots, depth)
		}
	case ".json":
		if !json.Valid(b) {
			return errors.New("invalid json")
		}
	case ".html", ".htm":
		if !bytes.Contains(bytes.ToLower(b), []byte("</html>")) {
			return errors.New("no </html>")
		}
	}
	return nil
}

// requireAllItems: after a clean fetch, everything the farm serves is stored.
func (h *crashHarness) requireAllItems() {
	t := h.t
	for g := range h.farm.current() {
		if !h.committed[g] {
			t.Errorf("after a clean fetch, item %s is missing", g)
		}
	}
}

// drainOutbox delivers what the kills left pending: a clean `digest` run
// builds a new edition and then delivers every due message of the outbox.
// Afterwards every delivery must be sent, each exactly once bar the SMTP
// window.
func (h *crashHarness) drainOutbox() {
	t := h.t
	t.Helper()
	var pending []tidings.Delivery
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			// New stories, so the digest has an edition to build.
			h.farm.advance()
			h.mustRun("fetch")
		}
		h.mustRun("digest")
		pending = h.pending()
		if len(pending) == 0 {
			break
		}
	}
	for _, d := range pending {
		t.Errorf("after clean runs, delivery %s is still %s (attempts %d, next %v): %s",
			deliveryKey(d), d.State, d.Attempts, d.NextAttempt, d.LastError)
	}
	if len(h.sent) == 0 {
		t.Errorf("no delivery was ever sent: the test did not exercise the outbox")
	}
}

func (h *crashHarness) pending() []tidings.Delivery {
	db, err := store.Open(h.dbPath, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		h.t.Fatalf("open database: %v", err)
	}
	defer db.Close()
	ds, err := db.Deliveries()
	if err != nil {
		h.t.Fatalf("deliveries: %v", err)
	}
	var p []tidings.Delivery
	for _, d := range ds {
		if d.State != tidings.DeliverySent {
			p = append(p, d)
		}
	}
	return p
}

func (h *crashHarness) tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// saveArtifactsOnFailure keeps the logs, database and output where CI
// collects them ($TIDINGS_ARTIFACTS/crash), or in $TIDINGS_CRASH_KEEP
// whatever the outcome.
func (h *crashHarness) saveArtifactsOnFailure() {
	dst := os.Getenv("TIDINGS_CRASH_KEEP")
	if dst == "" {
		dst = os.Getenv("TIDINGS_ARTIFACTS")
		if !h.t.Failed() || dst == "" {
			return
		}
		dst = filepath.Join(dst, "crash")
	}
	err := filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == h.bin {
			return err
		}
		rel, _ := filepath.Rel(h.dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // the control socket
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	h.t.Logf("crash artifacts in %s (copy error: %v)", dst, err)
}

// crashFarm serves RSS feeds on loopback whose items grow and change every
// round, with ETags, so conditional GETs and updates are exercised too.
type crashFarm struct {
	srv    *httptest.Server
	active int // feeds 0..active-1 are in the config
	mu     sync.Mutex
	round  int
	base   time.Time
	ever   map[string]bool // every guid that appeared in a feed body
}

func newCrashFarm(t *testing.T, n int) *crashFarm {
	f := &crashFarm{active: n, base: time.Now().UTC().Truncate(time.Second), ever: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *crashFarm) feedURL(i int) string { return fmt.Sprintf("%s/feed/%d.xml", f.srv.URL, i) }

func (f *crashFarm) activeFeeds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active
}

// addFeeds subscribes to n more feeds: new feeds are due at once, so a
// serve round started next ingests them (fetch --all ignores the schedule).
func (f *crashFarm) addFeeds(n int) {
	f.mu.Lock()
	f.active += n
	f.mu.Unlock()
}

func (f *crashFarm) advance() {
	f.mu.Lock()
	f.round++
	f.mu.Unlock()
}

// count: feeds grow at different speeds; some stand still.
func (f *crashFarm) count(feed, round int) int {
	return 2 + round*(feed%3)
}

func crashGUID(feed, item int) string { return fmt.Sprintf("urn:crash:%d:%d", feed, item) }

func (f *crashFarm) current() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]bool{}
	for i := range f.active {
		for j := 0; j < f.count(i, f.round); j++ {
			m[crashGUID(i, j)] = true
		}
	}
	return m
}

func (f *crashFarm) wasServed(guid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ever[guid]
}

func (f *crashFarm) serve(w http.ResponseWriter, r *http.Request) {
	var feed int
	if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &feed); err != nil || feed < 0 {
		if strings.HasPrefix(r.URL.Path, "/a/") {
			fmt.Fprintf(w, "<!doctype html><html><head><title>Article</title></head><body><article><p>%s</p></article></body></html>", r.URL.Path)
			return
		}
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	body := f.body(feed)
	f.mu.Unlock()
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(body)
}

// body renders feed i at the current round; the caller holds f.mu.
func (f *crashFarm) body(feed int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Crash feed %d</title><link>%s/site/%d</link><description>Loopback feed %d</description>
`, feed, f.srv.URL, feed, feed)
	n := f.count(feed, f.round)
	for j := n - 1; j >= 0; j-- {
		g := crashGUID(feed, j)
		f.ever[g] = true
		// Every fifth item is edited every third round: an update in place.
		version := 0
		if j%5 == 0 {
			version = f.round / 3
		}
		pub := f.base.Add(time.Duration(j-n) * time.Minute)
		fmt.Fprintf(&b, `<item><guid isPermaLink="false">%s</guid><title>Story %d of feed %d</title><link>%s/a/%d/%d</link><pubDate>%s</pubDate>
<description>Story %d of feed %d, version %d. Database engines, feed readers and small computers all appear in this sentence so that a summary has words to work with.</description></item>
`, g, j, feed, f.srv.URL, feed, j, pub.Format(time.RFC1123Z), j, feed, version)
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

// crashSink is an SMTP server that counts accepted messages per
// (Message-ID, recipient) and remembers the round each was first accepted in.
type crashSink struct {
	port int
	srv  *smtp.Server

	mu       sync.Mutex
	round    int
	killed   map[int]bool // rounds whose process was killed
	msgs     map[string]*sinkMsg
	windowed int // duplicates explained by a kill between 250 and commit
}

type sinkMsg struct {
	count      int
	firstRound int
	// settled: the check after firstRound saw the delivery recorded as
	// sent (a later copy is a bug), or saw it pending after a kill (a later
	// copy is the unavoidable SMTP window).
	settled, recorded bool
}

func sinkKey(messageID, rcpt string) string {
	return strings.Trim(strings.TrimSpace(messageID), "<>") + " " + strings.ToLower(strings.Trim(rcpt, "<> "))
}

func newCrashSink(t *testing.T) *crashSink {
	s := &crashSink{msgs: map[string]*sinkMsg{}, killed: map[int]bool{}}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.srv.Close()
		<-done
	})
	return s
}

func (s *crashSink) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &sinkSession{sink: s, round: s.round}, nil
}

func (s *crashSink) setRound(r int) {
	s.mu.Lock()
	s.round = r
	s.mu.Unlock()
}

func (s *crashSink) accept(messageID string, rcpts []string, round int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rc := range rcpts {
		k := sinkKey(messageID, rc)
		m := s.msgs[k]
		if m == nil {
			m = &sinkMsg{firstRound: round}
			s.msgs[k] = m
		}
		m.count++
	}
}

// total counts accepted copies.
func (s *crashSink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		n += m.count
	}
	return n
}

func (s *crashSink) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.msgs[key]; m != nil {
		return m.count
	}
	return 0
}

// settleRound classifies the messages first accepted in round r.
func (s *crashSink) settleRound(r int, killed bool, sentIDs map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killed[r] = killed
	for k, m := range s.msgs {
		if m.settled || m.firstRound > r {
			continue
		}
		m.settled = true
		// The sending process's round decides: a message stored after its
		// sender was killed is pending in the outbox unless the store says
		// otherwise, and a later copy is then the unavoidable SMTP window.
		m.recorded = sentIDs[k] || !s.killed[m.firstRound]
	}
}

// badDuplicates lists messages delivered again although the store had
// recorded the first delivery.
func (s *crashSink) badDuplicates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []string
	for k, m := range s.msgs {
		if m.count > 1 && m.recorded {
			bad = append(bad, fmt.Sprintf("%s (%d copies, first in round %d)", k, m.count, m.firstRound))
		}
	}
	sort.Strings(bad)
	return bad
}

func (s *crashSink) report(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dups := 0
	for _, m := range s.msgs {
		if m.count > 1 {
			dups++
		}
	}
	t.Logf("SMTP sink: %d distinct messages, %d delivered twice inside the 250-before-commit window", len(s.msgs), dups)
}

type sinkSession struct {
	sink  *crashSink
	rcpts []string
	// round is the round whose process opened the connection. A message a
	// killed sender had fully sent may be stored after the next round began;
	// it still belongs to the killed round, whose outbox never saw the 250.
	round int
}

func (ss *sinkSession) Reset()        { ss.rcpts = nil }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error {
	ss.rcpts = nil
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, msg.Body); err != nil {
		return err // the client died mid-message: nothing was accepted
	}
	id := msg.Header.Get("Message-Id")
	if id == "" {
		return errors.New("554 message without Message-ID")
	}
	time.Sleep(sinkDelay)
	ss.sink.accept(id, ss.rcpts, ss.round)
	return nil
}

// The completeness check must itself catch a torn file, or the crash test
// proves nothing.
func TestCheckComplete(t *testing.T) {
	tests := []struct {
		name, file, body string
		ok               bool
	}{
		{"rss", "feed.xml", `<?xml version="1.0"?><rss><channel><item/></channel></rss>`, true},
		{"rss cut", "feed.xml", `<?xml version="1.0"?><rss><channel><item/></chan`, false},
		{"rss cut at element end", "feed.xml", `<?xml version="1.0"?><rss><channel><item/></channel>`, false},
		{"atom", "atom.xml", `<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>`, true},
		{"opml", "sources.opml", `<opml version="2.0"><body/></opml>`, true},
		{"json", "feed.json", `{"version":"https://jsonfeed.org/version/1.1","items":[]}`, true},
		{"json cut", "feed.json", `{"version":"https://jsonfeed.org/version/1.1","items":[`, false},
		{"html", "index.html", "<!doctype html><html><body>x</body></html>\n", true},
		{"html cut", "index.html", "<!doctype html><html><body>x</bo", false},
		{"empty text", "index.txt", "", false},
		{"blank markdown", "index.md", " \n", false},
		{"text", "index.txt", "Daily Tidings #3\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkComplete(tt.file, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("checkComplete(%s) = %v, want ok=%v", tt.file, err, tt.ok)
			}
		})
	}
}
