package feed

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// xmlChar is XML 1.0's Char production, as the specification writes it.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || 0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0x10FFFF
}

// dropIllegalSlow is the oracle: every rune that is valid UTF-8 and an XML
// Char is kept, every other rune (or stray byte) dropped.
func dropIllegalSlow(b []byte) ([]byte, int) {
	var out []byte
	dropped := 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if invalid := r == utf8.RuneError && n == 1; !invalid && xmlChar(r) {
			out = append(out, b[:n]...)
		} else {
			dropped++
		}
		b = b[n:]
	}
	return out, dropped
}

// TestDropIllegal: the word-at-a-time scan keeps exactly what the rune
// loop keeps, on text that mixes long ASCII runs with every kind of
// illegal byte at every alignment.
func TestDropIllegal(t *testing.T) {
	pieces := []string{
		"plain ascii text ", "<item>", "\n", "\t", "\r\n", "\x00", "\x01", "\x1f", "\x7f", "é", "€", "😀",
		"\xff", "\xc3", "\xed\xa0\x80", "\xef\xbf\xbe", "\xef\xbf\xbd", "        ", "abcdefgh",
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		var b bytes.Buffer
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := b.Bytes()
		got, gotN := dropIllegal(bytes.Clone(in))
		want, wantN := dropIllegalSlow(in)
		if !bytes.Equal(got, want) || gotN != wantN {
			t.Fatalf("%q: got %q (%d dropped), want %q (%d)", in, got, gotN, want, wantN)
		}
	}
}
