package store

import (
	"errors"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

func edition(digest string, slot time.Time, itemIDs ...string) tidings.Edition {
	e := tidings.Edition{Digest: digest, Title: "Daily", Slot: slot, Built: slot, From: slot.Add(-24 * time.Hour), To: slot}
	s := tidings.Section{Name: "Engineering"}
	for _, id := range itemIDs {
		s.Entries = append(s.Entries, tidings.Entry{ItemID: id, Title: "Story " + id, URL: "https://example.org/" + id,
			Summary: tidings.Summary{TLDR: "tl;dr " + id}, ContentHTML: "<p>body of " + id + "</p>"})
	}
	e.Sections = []tidings.Section{s}
	return e
}

func TestEditions(t *testing.T) {
	db := openTest(t)
	slot1, slot2 := t0, t0.Add(24*time.Hour)
	id1, id2, id3 := tidings.ItemID(1, "a"), tidings.ItemID(1, "b"), tidings.ItemID(2, "c")
	recipients := []string{"Ann@Example.org", "bob@example.org"}

	e1, created, err := db.SaveEdition(edition("daily", slot1, id1, id2), recipients, t0)
	if err != nil || !created || e1.Number != 1 {
		t.Fatalf("first SaveEdition = #%d created %v, %v; want #1 created", e1.Number, created, err)
	}
	// Same slot again (a retried build): the stored one comes back.
	before := txID(t, db)
	again, created, err := db.SaveEdition(edition("daily", slot1, id3), recipients, t0.Add(time.Minute))
	if err != nil || created || again.Number != 1 || again.Count() != 2 {
		t.Fatalf("same-slot SaveEdition = #%d created %v count %d, %v; want the first", again.Number, created, again.Count(), err)
	}
	if txID(t, db) != before {
		t.Error("idempotent SaveEdition committed")
	}
	e2, created, err := db.SaveEdition(edition("daily", slot2, id3), nil, slot2)
	if err != nil || !created || e2.Number != 2 {
		t.Fatalf("second slot = #%d created %v, %v; want #2", e2.Number, created, err)
	}
	w1, _, err := db.SaveEdition(edition("weekly", slot2, id1), nil, slot2)
	if err != nil || w1.Number != 1 {
		t.Fatalf("other digest = #%d, %v; want #1", w1.Number, err)
	}
	// A digest whose name extends another's stays separate.
	if x, _, err := db.SaveEdition(edition("daily-x", slot1), nil, t0); err != nil || x.Number != 1 {
		t.Fatalf("daily-x = #%d, %v; want #1", x.Number, err)
	}

	es, err := db.Editions("daily")
	if err != nil || len(es) != 2 || es[0].Number != 1 || es[1].Number != 2 {
		t.Fatalf("Editions = %d, %v", len(es), err)
	}
	if es[0].Sections[0].Entries[1].ContentHTML != "<p>body of "+id2+"</p>" || !es[0].Slot.Equal(slot1) {
		t.Errorf("edition did not round-trip: %+v", es[0])
	}
	latest, err := db.LatestEdition("daily")
	if err != nil || latest.Number != 2 {
		t.Errorf("LatestEdition = #%d, %v; want #2", latest.Number, err)
	}
	if got, err := db.Edition("daily", 1); err != nil || got.Title != "Daily" {
		t.Errorf("Edition(daily, 1) = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		digest string
		n      int
	}{{"daily", 3}, {"daily", 0}, {"monthly", 1}} {
		if _, err := db.Edition(tc.digest, tc.n); !errors.Is(err, tidings.ErrNotFound) {
			t.Errorf("Edition(%s, %d) = %v, want ErrNotFound", tc.digest, tc.n, err)
		}
	}
	if _, err := db.LatestEdition("monthly"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("LatestEdition(monthly) = %v, want ErrNotFound", err)
	}
	if got, _ := db.LatestEdition("daily-x"); got.Number != 1 {
		t.Errorf("LatestEdition(daily-x) = #%d, want 1", got.Number)
	}
	names, err := db.Digests()
	if err != nil || !equal(names, []string{"daily", "daily-x", "weekly"}) {
		t.Errorf("Digests = %v, %v", names, err)
	}
	ids, err := db.EditionItemIDs("daily")
	if err != nil || len(ids) != 3 || !ids[id1] || !ids[id2] || !ids[id3] {
		t.Errorf("EditionItemIDs(daily) = %v, %v", ids, err)
	}
	if ids, _ := db.EditionItemIDs("weekly"); len(ids) != 1 || !ids[id1] {
		t.Errorf("EditionItemIDs(weekly) = %v", ids)
	}

	// The first edition queued one pending delivery per recipient.
	ds, err := db.Deliveries()
	if err != nil || len(ds) != 2 {
		t.Fatalf("Deliveries = %v, %v; want 2", ds, err)
	}
	for _, d := range ds {
		if d.Digest != "daily" || d.Edition != 1 || d.State != tidings.DeliveryPending || !d.NextAttempt.Equal(t0) {
			t.Errorf("delivery %+v", d)
		}
	}
}

func TestOutbox(t *testing.T) {
	db := openTest(t)
	ds := []tidings.Delivery{
		{Digest: "daily", Edition: 1, Recipient: "a@example.org", NextAttempt: t0, Created: t0},
		{Digest: "daily", Edition: 1, Recipient: "b@example.org", NextAttempt: t0.Add(time.Hour), Created: t0},
	}
	if err := db.EnqueueDeliveries(ds); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueDeliveries(t0)
	if err != nil || len(due) != 1 || due[0].Recipient != "a@example.org" || due[0].State != tidings.DeliveryPending {
		t.Fatalf("DueDeliveries(t0) = %+v, %v", due, err)
	}
	d := due[0]
	d.State, d.SentAt, d.Attempts, d.MessageID = tidings.DeliverySent, t0, 1, "<1@tidings>"
	if err := db.UpdateDelivery(d); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueDeliveries(t0.Add(2 * time.Hour)); len(due) != 1 || due[0].Recipient != "b@example.org" {
		t.Errorf("after send, due = %+v", due)
	}
	// Recipients are matched case-insensitively.
	d.Recipient = "A@EXAMPLE.ORG"
	d.State = tidings.DeliveryFailed
	if err := db.UpdateDelivery(d); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.Deliveries(); len(all) != 2 {
		t.Errorf("%d deliveries, want 2", len(all))
	}
	// Re-enqueueing resets to pending.
	if err := db.EnqueueDeliveries([]tidings.Delivery{{Digest: "daily", Edition: 1, Recipient: "a@example.org", NextAttempt: t0}}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueDeliveries(t0); len(due) != 1 || due[0].Created != t0 {
		t.Errorf("re-enqueued: %+v", due)
	}
	if err := db.UpdateDelivery(tidings.Delivery{Digest: "daily", Edition: 9, Recipient: "x@example.org"}); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("UpdateDelivery(unknown) = %v, want ErrNotFound", err)
	}
	st, _ := db.Stats()
	if st.PendingDeliveries != 2 || st.FailedDeliveries != 0 {
		t.Errorf("stats pending %d failed %d, want 2, 0", st.PendingDeliveries, st.FailedDeliveries)
	}
}

func TestSummaryCacheAndState(t *testing.T) {
	db := openTest(t)
	if _, ok, err := db.CachedSummary("h1"); ok || err != nil {
		t.Errorf("CachedSummary(missing) = %v, %v", ok, err)
	}
	s := tidings.Summary{TLDR: "short", KeyPoints: []string{"one", "two"}, Engine: "extractive"}
	if err := db.PutSummary("h1", s); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.CachedSummary("h1")
	if err != nil || !ok || got.TLDR != "short" || len(got.KeyPoints) != 2 {
		t.Errorf("CachedSummary = %+v, %v, %v", got, ok, err)
	}
	before := txID(t, db)
	if err := db.PutSummary("h1", s); err != nil || txID(t, db) != before {
		t.Errorf("identical PutSummary committed or failed: %v", err)
	}

	if v, err := db.GetState("digest/daily/last_slot"); v != "" || err != nil {
		t.Errorf("GetState(missing) = %q, %v", v, err)
	}
	if err := db.SetState("digest/daily/last_slot", "2026-03-01T07:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.GetState("digest/daily/last_slot"); v != "2026-03-01T07:00:00Z" {
		t.Errorf("GetState = %q", v)
	}
	before = txID(t, db)
	if err := db.SetState("digest/daily/last_slot", "2026-03-01T07:00:00Z"); err != nil || txID(t, db) != before {
		t.Errorf("identical SetState committed or failed: %v", err)
	}
	if err := db.SetState("digest/daily/last_slot", ""); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.GetState("digest/daily/last_slot"); v != "" {
		t.Errorf("after delete GetState = %q", v)
	}
}
