package feed

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNextFieldMatchesFields pins nextField to bytes.Fields' splitting,
// including Unicode spaces and invalid UTF-8.
func TestNextFieldMatchesFields(t *testing.T) {
	for _, s := range []string{
		"", "   ", "one", " a  b\tc\n", "x\vy\fz\rw",
		"no\u00a0break\u2003em\u3000ideo", "nel\u0085x", "bad\xffbyte \xc2",
		"trailing ", "\u00a0\u00a0lead",
	} {
		var got [][]byte
		for i := 0; ; {
			start, end := nextField([]byte(s), i)
			if start == end {
				break
			}
			got = append(got, []byte(s)[start:end])
			i = end
		}
		want := bytes.Fields([]byte(s))
		if len(got) != len(want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: got %q, want %q", s, got, want)
			}
		}
	}
}

// TestPlainRunMatchesFields: where plainRun accepts data, its trimmed
// span is exactly bytes.Fields joined by single spaces, so the text
// rendering's fast path writes what the field loop would.
func TestPlainRunMatchesFields(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "bc", "defgh", " ", " ", " ", "\n", "\t", "\v", "\r", "\f", "\x01", "\x0e", "\x7f", "~", "\u00a0", "\u0085", "é", "\xff", ","}
	inputs := []string{"", " ", "\n  \n", "one", " one two ", "one  two", "a\tb", "\nlead and trail\n"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	accepted := 0
	for _, s := range inputs {
		lo, hi, n, ok := plainRun([]byte(s))
		if !ok {
			continue
		}
		accepted++
		f := bytes.Fields([]byte(s))
		if n != len(f) || s[lo:hi] != string(bytes.Join(f, []byte(" "))) {
			t.Fatalf("%q: plainRun gave %q (%d words), fields %q", s, s[lo:hi], n, f)
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d inputs took the fast path", accepted)
	}
}
