package feed

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textRender builds the plain-text rendering of a fragment from its text
// tokens: words separated by single spaces, paragraphs (block elements)
// by a blank line.
type textRender struct {
	b           strings.Builder
	words       int
	para, space bool
}

// block notes a block element's boundary.
func (r *textRender) block() {
	if r.b.Len() > 0 {
		r.para = true
	}
}

// add appends the (unescaped) text of one text token.
func (r *textRender) add(data []byte) {
	if lo, hi, n, ok := plainRun(data); ok {
		// The common case: copied in one piece, same result as the loop
		// below.
		if n > 0 {
			r.sep(firstIsSpace(data))
			r.b.Write(data[lo:hi])
			r.words += n
			r.space = lastIsSpace(data)
		} else {
			r.space = r.space || len(data) > 0
		}
		return
	}
	first := true
	for i := 0; ; {
		start, end := nextField(data, i)
		if start == end {
			break
		}
		i = end
		if first {
			r.sep(firstIsSpace(data))
			first = false
		} else {
			r.b.WriteByte(' ')
		}
		r.b.Write(data[start:end])
		r.words++
	}
	if first {
		r.space = r.space || len(data) > 0
	} else {
		r.space = lastIsSpace(data)
	}
}

// sep writes what separates the next word from the text so far.
func (r *textRender) sep(spaceBefore bool) {
	switch {
	case r.para:
		r.b.WriteString("\n\n")
	case r.b.Len() > 0 && (r.space || spaceBefore):
		r.b.WriteByte(' ')
	}
	r.para = false
}

func (r *textRender) String() string { return cleanText(strings.TrimSpace(r.b.String())) }

// firstIsSpace and lastIsSpace tell whether data starts or ends with what
// nextField counts as a space (\v and U+00A0 included), so words split
// across text tokens are joined or separated as they would be within one.
func firstIsSpace(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	if c := data[0]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeRune(data)
	return unicode.IsSpace(r)
}

func lastIsSpace(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	if c := data[len(data)-1]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeLastRune(data)
	return unicode.IsSpace(r)
}

// asciiSpace reports the ASCII bytes unicode.IsSpace accepts.
func asciiSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// plainRun reports whether data, without the ASCII spaces at its ends
// (data[lo:hi]), is ASCII words separated by single spaces, and counts
// them. It checks eight bytes at a time: it runs on every text node.
func plainRun(data []byte) (lo, hi, words int, ok bool) {
	hi = len(data)
	for lo < hi && asciiSpace(data[lo]) {
		lo++
	}
	for hi > lo && asciiSpace(data[hi-1]) {
		hi--
	}
	if lo == hi {
		return lo, hi, 0, true
	}
	inner := data[lo:hi]
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(inner); i += 8 {
		x := binary.LittleEndian.Uint64(inner[i:])
		// Any non-ASCII byte, or (all ASCII) any byte below 14: the
		// whitespace other than ' ' and the control characters.
		if x&highs != 0 || (x-14*ones)&^x&highs != 0 {
			return 0, 0, 0, false
		}
	}
	for ; i < len(inner); i++ {
		if c := inner[i]; c >= utf8.RuneSelf || c < 14 {
			return 0, 0, 0, false
		}
	}
	if bytes.Contains(inner, []byte("  ")) {
		return 0, 0, 0, false
	}
	return lo, hi, bytes.Count(inner, []byte(" ")) + 1, true
}

// nextField returns the bounds of the first whitespace-separated field of
// data at or after i (start == end when there is none). It splits exactly
// like bytes.Fields but scans ASCII bytes directly: the per-rune iterator was a
// third of the text rendering's cost.
func nextField(data []byte, i int) (start, end int) {
	for i < len(data) {
		if c := data[i]; c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	start = i
	for i < len(data) {
		if c := data[i]; c < utf8.RuneSelf {
			if asciiSpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return start, i
}

// cleanText drops control characters and invalid UTF-8 from plain text.
func cleanText(s string) string {
	// Plain ASCII text, the common case, needs no rune decoding.
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || c < 0x20 && c != '\n' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	bad := false
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\n') || r == 0x7f {
			bad = true
			break
		}
	}
	if !bad {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\n') || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
