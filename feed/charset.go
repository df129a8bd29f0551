package feed

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

var xmlDeclEncoding = regexp.MustCompile(`(?i)^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])([A-Za-z0-9._:\-]+)(["'])`)

// toUTF8 returns the document as clean UTF-8 XML/JSON: the byte order mark
// and the declared, HTTP or detected charset decoded, the prolog rewritten
// to say UTF-8, and characters XML forbids dropped. The warning (if any)
// says what was fixed, for `tidings inspect`.
func toUTF8(body []byte, contentType string) ([]byte, string, error) {
	var warn string
	bomDecoded := false
	if enc, name, n := bomEncoding(body); enc != nil || n > 0 {
		bomDecoded = enc != nil
		if enc != nil {
			out, err := enc.NewDecoder().Bytes(body[n:])
			if err != nil {
				return nil, "", fmt.Errorf("decode %s: %w", name, err)
			}
			body = out
			warn = "charset: decoded " + name
		} else {
			body = body[n:]
		}
	}
	httpLabel := ""
	if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			httpLabel = strings.ToLower(strings.TrimSpace(params["charset"]))
		}
	}
	declared := ""
	if m := xmlDeclEncoding.FindSubmatch(head(body, 512)); m != nil {
		declared = strings.ToLower(string(m[3]))
	}
	if enc, name := sevenBitEncoding(body, httpLabel, declared); enc != nil {
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, warn, fmt.Errorf("decode %s: %w", name, err)
		}
		body = out
	} else if !utf8.Valid(body) {
		label := httpLabel
		if label == "" || isUTF8Label(label) {
			label = declared
		}
		var enc encoding.Encoding
		name := label
		if label != "" && !isUTF8Label(label) {
			enc, name = charset.Lookup(label)
		}
		if enc == nil && mostlyUTF8(body) {
			// UTF-8 with a few stray bytes: keep it, dropIllegal removes them.
			warn = joinWarn(warn, "invalid UTF-8 bytes dropped")
			clean, dropped := dropIllegal(body)
			if dropped > 0 {
				warn = joinWarn(warn, fmt.Sprintf("dropped %d characters that XML forbids", dropped))
			}
			return clean, warn, nil
		}
		if enc == nil {
			// Declared UTF-8 (or nothing) but is not: guess, the way
			// browsers do, defaulting to windows-1252.
			enc, name, _ = charset.DetermineEncoding(body, "text/html")
			if isUTF8Label(name) {
				enc, _ = charset.Lookup("windows-1252")
				name = "windows-1252"
			}
			if label != "" || httpLabel != "" {
				warn = joinWarn(warn, fmt.Sprintf("charset fixed: declared %s but is not; decoded as %s", firstNonEmpty(httpLabel, label), name))
			} else {
				warn = joinWarn(warn, "charset fixed: undeclared non-UTF-8 bytes decoded as "+name)
			}
		} else if httpLabel != "" && declared != "" && httpLabel != declared {
			warn = joinWarn(warn, fmt.Sprintf("charset: HTTP says %s, document says %s; used %s", httpLabel, declared, name))
		}
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, warn, fmt.Errorf("decode %s: %w", name, err)
		}
		body = out
	} else if bomDecoded {
		// The prolog names the encoding the BOM already told us about.
	} else if (declared != "" && !isUTF8Label(declared) && !isASCIILabel(declared)) && hasNonASCII(body) {
		// Valid UTF-8 with non-ASCII bytes under a legacy label: the label
		// lies (legacy text is almost never valid UTF-8 by accident).
		warn = joinWarn(warn, fmt.Sprintf("charset fixed: declared %s but the bytes are UTF-8", declared))
	}
	if declared != "" && !isUTF8Label(declared) {
		body = xmlDeclEncoding.ReplaceAll(body, []byte("${1}${2}UTF-8${4}"))
	}
	clean, dropped := dropIllegal(body)
	if dropped > 0 {
		warn = joinWarn(warn, fmt.Sprintf("dropped %d characters that XML forbids", dropped))
	}
	return clean, warn, nil
}

// sevenBitEncoding is the encoding of a document in ISO-2022-JP, which
// switches character sets with escape sequences and so is valid (and
// wrong) as UTF-8: the label says it, and the escapes are there.
func sevenBitEncoding(body []byte, labels ...string) (encoding.Encoding, string) {
	if bytes.IndexByte(body, 0x1b) < 0 {
		return nil, ""
	}
	for _, l := range labels {
		if l == "" || isUTF8Label(l) {
			continue // as in toUTF8: a UTF-8 label in HTTP defers to the prolog
		}
		if enc, name := charset.Lookup(l); enc != nil && name == "iso-2022-jp" {
			return enc, name
		}
		return nil, "" // the first other label rules
	}
	return nil, ""
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func joinWarn(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func isUTF8Label(l string) bool {
	l = strings.ToLower(l)
	return l == "utf-8" || l == "utf8" || l == "unicode-1-1-utf-8"
}

func isASCIILabel(l string) bool {
	l = strings.ToLower(l)
	return l == "us-ascii" || l == "ascii"
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// bomEncoding recognises a byte order mark, or the UTF-16/32 shape of "<?"
// without one. n is the number of bytes to skip.
func bomEncoding(b []byte) (encoding.Encoding, string, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "UTF-32BE", 4
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "UTF-32LE", 4
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return nil, "UTF-8", 3
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "UTF-16BE", 2
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "UTF-16LE", 2
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, '<'}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "UTF-32BE", 0
	case bytes.HasPrefix(b, []byte{'<', 0x00, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "UTF-32LE", 0
	case bytes.HasPrefix(b, []byte{0x00, '<', 0x00}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "UTF-16BE", 0
	case bytes.HasPrefix(b, []byte{'<', 0x00, '?', 0x00}), bytes.HasPrefix(b, []byte{'<', 0x00, 'r', 0x00}), bytes.HasPrefix(b, []byte{'<', 0x00, 'f', 0x00}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "UTF-16LE", 0
	}
	return nil, "", 0
}

// dropIllegal removes bytes that are not valid UTF-8 and characters outside
// XML 1.0's Char production. It allocates only when something is dropped.
func dropIllegal(b []byte) ([]byte, int) {
	i := 0
	for i < len(b) {
		// Eight printable ASCII bytes at a time: feeds are mostly that.
		if i+8 <= len(b) {
			const ones, highs = 0x0101010101010101, 0x8080808080808080
			x := binary.LittleEndian.Uint64(b[i:])
			if x&highs == 0 && (x-0x20*ones)&^x&highs == 0 {
				i += 8
				continue
			}
		}
		c := b[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if !legalRune(r, n) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b, 0
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	dropped := 0
	for i < len(b) {
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

func legalRune(r rune, n int) bool {
	if r == utf8.RuneError && n <= 1 {
		return false
	}
	return (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF) || r == '\t' || r == '\n' || r == '\r'
}

// charsetReader decodes a labelled legacy encoding (for encoding/xml).
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	return charset.NewReaderLabel(label, in)
}

// mostlyUTF8 reports text whose multi-byte sequences are mostly valid
// UTF-8: a few broken bytes in a UTF-8 feed, not a legacy encoding.
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			bad++
			i++
			continue
		}
		good++
		i += n
	}
	return good > 2*bad
}
