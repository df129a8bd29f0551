package publish

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestPingHubs(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("request: %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, r.PostForm.Get("hub.mode")+" "+r.PostForm.Get("hub.url"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusBadRequest)
	}))
	defer failing.Close()

	topics := []string{"https://news.example.org/daily/feed.xml", "https://news.example.org/daily/atom.xml"}
	if err := PingHubs(context.Background(), hub.Client(), []string{hub.URL}, topics); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{"publish " + topics[1], "publish " + topics[0]}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
	err := PingHubs(context.Background(), nil, []string{failing.URL, hub.URL}, topics[:1])
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("failing hub: got %v, want an error naming 400", err)
	}
	if len(got) != 3 {
		t.Errorf("the working hub was not pinged after the failing one: %d pings", len(got))
	}
}
