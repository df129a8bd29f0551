// Package tidings holds the domain types that every part of Tidings shares:
// feeds and their health, items, digest editions and email deliveries. It
// imports only the standard library; the adapters (feed fetching, the bbolt
// store, digest building, publishing, mail) live in sub-packages and depend on
// it, never on each other.
package tidings

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
)

// Version and Commit are stamped in by the release build (-ldflags -X).
var (
	Version = "dev"
	Commit  = "unknown"
)

// ProjectURL names the project in the User-Agent and in generated output.
const ProjectURL = "https://github.com/tidings/tidings"

// Sentinel errors that callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Full-text modes of a feed (config key full_text).
const (
	FullTextAuto   = "auto"
	FullTextAlways = "always"
	FullTextNever  = "never"
)

// NewFeedID derives a feed's stable id from the URL it was first subscribed
// with. Deriving it (instead of counting) means removing and re-adding a feed
// gives it back its id, so its seen-set still keeps old items from coming back.
func NewFeedID(url string) uint64 {
	sum := sha256.Sum256([]byte(strings.TrimSpace(url)))
	id := binary.BigEndian.Uint64(sum[:8])
	if id == 0 {
		id = 1 // zero means "unassigned"
	}
	return id
}

// ItemID is the public, stable id of an item: used in page names
// (items/<id>.html) and in the ids of the per-item output feeds.
func ItemID(feedID uint64, identity string) string {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], feedID)
	h := sha256.New()
	h.Write(buf[:])
	h.Write([]byte(identity))
	return hex.EncodeToString(h.Sum(nil)[:10])
}
