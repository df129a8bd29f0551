package feed

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// dropIllegalSlow is dropIllegal without its fast paths: rune by rune.
func dropIllegalSlow(b []byte) ([]byte, int) {
	var out []byte
	dropped := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if legalRune(r, n) && (r >= 0x20 || r == '\t' || r == '\n' || r == '\r') {
			out = append(out, b[i:i+n]...)
		} else {
			dropped++
		}
		i += n
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
