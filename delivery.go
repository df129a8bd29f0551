package tidings

import "time"

// Delivery states of the email outbox.
const (
	DeliveryPending = "pending" // to be sent (again) at NextAttempt
	DeliverySent    = "sent"    // the server accepted it (250 after DATA)
	DeliveryFailed  = "failed"  // permanent failure; reported, not retried
)

// Delivery is one email of one edition to one recipient, kept in the outbox
// from before the first attempt until the server accepted it.
type Delivery struct {
	Digest      string    `json:"digest"`
	Edition     int       `json:"edition"`
	Recipient   string    `json:"recipient"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts,omitempty"`
	Created     time.Time `json:"created"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	SentAt      time.Time `json:"sent_at"`
	MessageID   string    `json:"message_id,omitempty"`
}
