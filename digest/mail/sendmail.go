package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// sendmailTransport hands each message to a local sendmail-compatible
// program (Postfix, Exim, msmtp, nullmailer…). Exit status 0 means the MTA
// took responsibility for the message.
type sendmailTransport struct {
	argv    []string
	timeout time.Duration
}

// Exit codes of sysexits.h that say "this will not work next time either".
var permanentExit = map[int]string{
	65: "data format error",
	67: "addressee unknown",
	68: "host name unknown",
	77: "permission denied",
}

func (t *sendmailTransport) send(ctx context.Context, from, to string, msg []byte) error {
	if strings.HasPrefix(to, "-") || strings.HasPrefix(from, "-") {
		return &sendError{Permanent: true, Stage: "sendmail", Err: fmt.Errorf("address %q or %q starts with '-'", from, to)}
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	args := append(append([]string{}, t.argv[1:]...), "-i", "-f", from, "--", to)
	cmd := exec.CommandContext(ctx, t.argv[0], args...)
	// sendmail expects local (LF) line ends on stdin.
	cmd.Stdin = bytes.NewReader(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")))
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 2048}
	cmd.Stdout = cmd.Stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	detail := strings.TrimSpace(stderr.String())
	if detail != "" {
		err = fmt.Errorf("%w: %s", err, oneLine(detail))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		if why, ok := permanentExit[ee.ExitCode()]; ok {
			return &sendError{Permanent: true, Stage: "sendmail", Err: fmt.Errorf("%s: %w", why, err)}
		}
		return &sendError{Stage: "sendmail", Err: err}
	}
	// Not started (missing binary, permissions) or killed: a setup problem
	// for every delivery, kept pending until it is fixed.
	return &sendError{Conn: true, Stage: "sendmail", Err: fmt.Errorf("run %s: %w", t.argv[0], err)}
}

func (t *sendmailTransport) close() {}

// limitedBuffer keeps the first max bytes of a chatty program's output.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
