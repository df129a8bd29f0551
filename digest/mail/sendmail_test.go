package mail_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidings/tidings"
	tmail "github.com/tidings/tidings/digest/mail"
)

// fakeSendmail records its arguments and stdin per call and exits with the
// code in the file "exit" beside it (0 if absent).
const fakeSendmail = `#!/bin/sh
dir=$(dirname "$0")
n=$(ls "$dir" | grep -c '^msg\.')
printf '%s\n' "$@" > "$dir/args.$n"
cat > "$dir/msg.$n"
code=0
[ -f "$dir/exit" ] && code=$(cat "$dir/exit")
[ "$code" != 0 ] && echo "fake sendmail: exit $code" >&2
exit $code
`

func TestSendmail(t *testing.T) {
	cases := []struct {
		name      string
		exit      string
		missing   bool
		wantState string
		wantRetry bool
	}{
		{"accepted", "0", false, tidings.DeliverySent, false},
		{"temporary failure EX_TEMPFAIL", "75", false, tidings.DeliveryPending, true},
		{"unknown user EX_NOUSER", "67", false, tidings.DeliveryFailed, false},
		{"binary missing", "0", true, tidings.DeliveryPending, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "sendmail")
			if err := os.WriteFile(bin, []byte(fakeSendmail), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "exit"), []byte(c.exit), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.missing {
				bin = filepath.Join(dir, "no-such-sendmail")
			}
			clk := &clock{t: fixedNow}
			db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
			seed(t, db, clk.Now(), recipients[:1])
			cfg := tmail.Config{Sendmail: bin + " -oi", From: "Tidings <digest@example.org>"}
			s := newSender(t, cfg, db, clk, nil)
			rep, err := s.DeliverDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (rep.Retrying == 1) != c.wantRetry {
				t.Errorf("report %+v, want retry %v", rep, c.wantRetry)
			}
			if c.missing && rep.Problem == "" {
				t.Error("a missing sendmail binary is not reported as a problem")
			}
			all, err := db.Deliveries()
			if err != nil || len(all) != 1 || all[0].State != c.wantState {
				t.Fatalf("deliveries %+v (%v), want state %s", all, err, c.wantState)
			}
			if c.exit != "0" && !strings.Contains(all[0].LastError, "fake sendmail: exit "+c.exit) {
				t.Errorf("last error %q lacks the program's message", all[0].LastError)
			}
			if c.wantState != tidings.DeliverySent {
				return
			}
			args, err := os.ReadFile(filepath.Join(dir, "args.0"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(args), "-oi\n-i\n-f\ndigest@example.org\n--\nalice@example.com\n"; got != want {
				t.Errorf("arguments %q, want %q", got, want)
			}
			msg, err := os.ReadFile(filepath.Join(dir, "msg.0"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(msg, []byte("\r\n")) {
				t.Error("sendmail got CRLF line ends; it expects local (LF) ones")
			}
			p := parseMessage(t, bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n")))
			checkEquivalent(t, p)
		})
	}
}
