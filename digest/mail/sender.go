package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/tidings/tidings"
)

// Outbox is the part of the store the Sender needs; *store.DB satisfies it.
type Outbox interface {
	DueDeliveries(now time.Time) ([]tidings.Delivery, error)
	UpdateDelivery(d tidings.Delivery) error
	Edition(digest string, number int) (tidings.Edition, error)
}

// Report says what one DeliverDue run did.
type Report struct {
	Due      int                // deliveries that were due
	Sent     int                // accepted by the server in this run
	Retrying int                // failed temporarily; pending with a later NextAttempt
	Failed   []tidings.Delivery // failed permanently in this run (state failed)
	// Problem is a connection-level problem of this run (server down, TLS,
	// login, missing sendmail), "" if none: it concerns every delivery.
	Problem string
}

// Sender delivers due outbox entries. It is safe for concurrent use; runs
// are serialised so two overlapping runs never send the same delivery.
type Sender struct {
	mu          sync.Mutex
	cfg         Config
	b           *builder
	ob          Outbox
	envFrom     string
	lastProblem string // connection problem already logged
	transport   func() transport
}

// NewSender checks cfg and opts and returns a Sender working on ob.
// opts.From is taken from cfg.From.
func NewSender(cfg Config, opts Options, ob Outbox) (*Sender, error) {
	if ob == nil {
		return nil, errors.New("mail sender needs an outbox")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opts.From = cfg.From
	b, err := newBuilder(opts)
	if err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, b: b, ob: ob, envFrom: b.from.Address}
	if argv := strings.Fields(cfg.Sendmail); len(argv) > 0 {
		s.transport = func() transport { return &sendmailTransport{argv: argv, timeout: cfg.Timeout} }
	} else {
		s.transport = func() transport { return &smtpTransport{cfg: cfg} }
	}
	return s, nil
}

// Deliveries makes one pending delivery of edition e per distinct recipient
// (compared case-insensitively), due now: what the store's SaveEdition
// records for a new edition, and what `tidings send` enqueues to resend one.
func Deliveries(e tidings.Edition, recipients []string, now time.Time) []tidings.Delivery {
	seen := make(map[string]bool)
	var out []tidings.Delivery
	for _, r := range recipients {
		r = strings.TrimSpace(r)
		k := strings.ToLower(r)
		if r == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, tidings.Delivery{
			Digest:      e.Digest,
			Edition:     e.Number,
			Recipient:   r,
			State:       tidings.DeliveryPending,
			Created:     now,
			NextAttempt: now,
		})
	}
	return out
}

type editionKey struct {
	digest string
	number int
}

// DeliverDue sends every due delivery, one message per recipient, and
// records each outcome before the next message goes out:
//   - 250 after DATA: state sent;
//   - temporary failure: attempts+1, next attempt after an exponential,
//     jittered backoff; after GiveUpAfter it becomes permanent;
//   - permanent failure (5xx to MAIL/RCPT/DATA, bad address, edition gone):
//     state failed, listed in the Report.
//
// A connection problem defers the whole run's deliveries without trying
// each one. The error is only for the outbox failing or ctx ending; on
// cancellation the delivery in flight stays pending as it was.
//
// Delivery is at least once: if the connection breaks after the server
// stored the message but before its 250 arrived (or the process dies
// between the 250 and recording it), the message is sent again, with the
// same Message-ID, which lets clients and servers discard the copy.
func (s *Sender) DeliverDue(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log, now := s.b.opts.Log, s.b.opts.Now

	var rep Report
	due, err := s.ob.DueDeliveries(now())
	if err != nil {
		return rep, fmt.Errorf("due deliveries: %w", err)
	}
	rep.Due = len(due)
	if len(due) == 0 {
		return rep, nil
	}
	tr := s.transport()
	defer tr.close()

	editions := make(map[editionKey]tidings.Edition)
	var connErr *sendError
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if connErr != nil {
			if err := s.retryLater(&d, connErr, &rep, false); err != nil {
				return rep, err
			}
			continue
		}
		k := editionKey{d.Digest, d.Edition}
		e, ok := editions[k]
		if !ok {
			e, err = s.ob.Edition(d.Digest, d.Edition)
			switch {
			case errors.Is(err, tidings.ErrNotFound):
				if err := s.fail(&d, fmt.Errorf("edition %s #%d no longer exists", d.Digest, d.Edition), &rep); err != nil {
					return rep, err
				}
				continue
			case err != nil:
				return rep, fmt.Errorf("edition %s #%d: %w", d.Digest, d.Edition, err)
			}
			editions[k] = e
		}
		rcpt, err := mail.ParseAddress(d.Recipient)
		if err != nil {
			if err := s.fail(&d, fmt.Errorf("recipient %q: %w", d.Recipient, err), &rep); err != nil {
				return rep, err
			}
			continue
		}
		msg, err := s.b.build(e, d.Recipient)
		if err != nil {
			if err := s.fail(&d, err, &rep); err != nil {
				return rep, err
			}
			continue
		}
		d.MessageID = s.b.messageID(e, rcpt)

		err = tr.send(ctx, s.envFrom, rcpt.Address, msg)
		if err == nil {
			d.State, d.SentAt, d.LastError = tidings.DeliverySent, now(), ""
			d.Attempts++
			if err := s.update(d); err != nil {
				return rep, err
			}
			rep.Sent++
			log.Info("email delivered", "digest", d.Digest, "edition", d.Edition,
				"recipient", d.Recipient, "message_id", d.MessageID)
			continue
		}
		if ctx.Err() != nil {
			// Shutting down: leave it pending as it was; it is resent on
			// the next run (at least once, see above).
			return rep, ctx.Err()
		}
		se := classify("send", err)
		switch {
		case se.Permanent:
			if err := s.fail(&d, se, &rep); err != nil {
				return rep, err
			}
		case se.Conn:
			connErr = se
			s.noteProblem(se, len(due), &rep)
			if err := s.retryLater(&d, se, &rep, false); err != nil {
				return rep, err
			}
		default:
			if err := s.retryLater(&d, se, &rep, true); err != nil {
				return rep, err
			}
		}
	}
	if connErr == nil && s.lastProblem != "" {
		log.Info("mail server reachable again", "host", s.cfg.Host)
		s.lastProblem = ""
	}
	return rep, nil
}

// noteProblem logs a connection problem once, not on every run.
func (s *Sender) noteProblem(se *sendError, due int, rep *Report) {
	rep.Problem = se.Error()
	if rep.Problem == s.lastProblem {
		s.b.opts.Log.Debug("mail server still unavailable", "err", rep.Problem, "deliveries", due)
		return
	}
	s.lastProblem = rep.Problem
	s.b.opts.Log.Warn("mail server unavailable; deliveries stay queued", "host", s.cfg.Host,
		"err", rep.Problem, "deliveries", due)
}

// defer_ records a temporary failure and schedules the next attempt.
func (s *Sender) retryLater(d *tidings.Delivery, cause error, rep *Report, logIt bool) error {
	now := s.b.opts.Now()
	d.Attempts++
	msg := cause.Error()
	created := d.Created
	if created.IsZero() {
		created = now
	}
	// Both conditions: a daemon that was off for a week must still retry a
	// few times before giving up (the network may just not be up yet).
	if now.Sub(created) >= s.b.opts.GiveUpAfter && d.Attempts >= minAttemptsBeforeGivingUp {
		return s.fail(d, fmt.Errorf("gave up after %d attempts over %s: %s", d.Attempts, s.b.opts.GiveUpAfter, msg), rep)
	}
	changed := d.LastError != msg
	d.LastError = msg
	d.NextAttempt = now.Add(backoff(d.Attempts, s.b.opts.MaxBackoff))
	if err := s.update(*d); err != nil {
		return err
	}
	rep.Retrying++
	lvl := slog.LevelDebug
	if logIt && changed {
		lvl = slog.LevelWarn
	}
	s.b.opts.Log.Log(context.Background(), lvl, "email deferred", "digest", d.Digest, "edition", d.Edition,
		"recipient", d.Recipient, "attempts", d.Attempts, "next_attempt", d.NextAttempt, "err", msg)
	return nil
}

// fail records a permanent failure; it is logged here, once, since a failed
// delivery is never tried again (unless resent on purpose).
func (s *Sender) fail(d *tidings.Delivery, cause error, rep *Report) error {
	d.State = tidings.DeliveryFailed
	d.LastError = cause.Error()
	if err := s.update(*d); err != nil {
		return err
	}
	rep.Failed = append(rep.Failed, *d)
	s.b.opts.Log.Error("email failed permanently", "digest", d.Digest, "edition", d.Edition,
		"recipient", d.Recipient, "attempts", d.Attempts, "err", d.LastError)
	return nil
}

func (s *Sender) update(d tidings.Delivery) error {
	if err := s.ob.UpdateDelivery(d); err != nil {
		return fmt.Errorf("record delivery of %s #%d to %s: %w", d.Digest, d.Edition, d.Recipient, err)
	}
	return nil
}

// minAttemptsBeforeGivingUp spans about 8 hours of backoff.
const minAttemptsBeforeGivingUp = 10

// backoff is 1m, 2m, 4m… capped at limit, with "equal jitter": half fixed,
// half random, so retries of many deliveries spread out but never exceed limit.
func backoff(attempts int, limit time.Duration) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + rand.N(half+1)
}
