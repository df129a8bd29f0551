package main

import (
	"sync"
	"time"

	"github.com/tidings/tidings"
)

// nullStore keeps nothing but counts: with -store null the benchmark
// measures the poller's own pipeline without the database.
type nullStore struct {
	mu    sync.Mutex
	items int
}

func (s *nullStore) SaveFeed(tidings.Feed) error { return nil }

func (s *nullStore) SavePollNotify(_ tidings.Feed, items []tidings.Item, _ time.Time, encoded func()) (tidings.PollResult, error) {
	if encoded != nil {
		encoded()
	}
	s.mu.Lock()
	s.items += len(items)
	s.mu.Unlock()
	return tidings.PollResult{New: len(items)}, nil
}

func (s *nullStore) DueFeeds(time.Time) ([]tidings.Feed, error) { return nil, nil }

func (s *nullStore) KnownIdentities(uint64, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}

func (s *nullStore) FeedItems(uint64, int) ([]tidings.Item, error) { return nil, nil }

func (s *nullStore) RememberIdentities(uint64, []string, time.Time) error { return nil }
