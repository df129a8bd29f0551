package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// keyLines maps key paths ("fetch.timeout", "feed[2].url",
// "digest[0].rule[1]") to the line where they appear, so errors found after
// decoding (a bad duration, a duplicate URL) can still name their line. It
// is a light scanner, not a TOML parser: the decoder has already accepted
// the document's syntax, so only headers and key names matter here.
type keyLines struct {
	byPath map[string]int
	byLine map[int]string
}

func (k *keyLines) line(path string) int {
	if k == nil {
		return 0
	}
	return k.byPath[path]
}

// pathAt gives the indexed path of the key on a line, or fallback.
func (k *keyLines) pathAt(row int, fallback string) string {
	if k != nil {
		if p, ok := k.byLine[row]; ok {
			return p
		}
	}
	return fallback
}

func scanKeyLines(data []byte) *keyLines {
	k := &keyLines{byPath: map[string]int{}, byLine: map[int]string{}}
	counts := map[string]int{}     // array-of-tables path -> elements seen
	current := map[string]string{} // array-of-tables path -> indexed path of its last element
	table := ""
	depth := 0    // open brackets of a multi-line array
	inMulti := "" // open triple quote of a multi-line string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if inMulti != "" {
			if strings.Contains(line, inMulti) {
				inMulti = ""
			}
			continue
		}
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#':
		case strings.HasPrefix(t, "[["):
			name := keyName(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(t[2:], "]]", 2)[0]), "]]"))
			parent := resolveTable(name, current)
			i := counts[parent]
			counts[parent] = i + 1
			table = fmt.Sprintf("%s[%d]", parent, i)
			current[name] = table
			k.add(table, n)
		case t[0] == '[':
			name := keyName(strings.SplitN(t[1:], "]", 2)[0])
			table = resolveTable(name, current)
			k.add(table, n)
		default:
			eq := strings.Index(t, "=")
			if eq <= 0 {
				continue
			}
			key := keyName(t[:eq])
			path := key
			if table != "" {
				path = table + "." + key
			}
			k.add(path, n)
			rest := strings.TrimSpace(t[eq+1:])
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(rest, q) && !strings.Contains(rest[3:], q) {
					inMulti = q
				}
			}
			if strings.HasPrefix(rest, "[") {
				depth = bracketDelta(rest)
			}
		}
	}
	return k
}

func (k *keyLines) add(path string, n int) {
	if _, ok := k.byPath[path]; !ok {
		k.byPath[path] = n
	}
	k.byLine[n] = path
}

// resolveTable rewrites a dotted table name so every array-of-tables prefix
// carries its current index: "feed.rule" becomes "feed[3].rule".
func resolveTable(name string, current map[string]string) string {
	parts := strings.Split(name, ".")
	out := ""
	for i := range parts {
		prefix := strings.Join(parts[:i+1], ".")
		if i == len(parts)-1 {
			if out == "" {
				return parts[i]
			}
			return out + "." + parts[i]
		}
		if idx, ok := current[prefix]; ok {
			out = idx
		} else if out == "" {
			out = parts[i]
		} else {
			out += "." + parts[i]
		}
	}
	return out
}

// keyName normalizes a (possibly dotted, possibly quoted) key.
func keyName(s string) string {
	parts := strings.Split(strings.TrimSpace(s), ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// bracketDelta counts [ minus ] outside strings and comments.
func bracketDelta(s string) int {
	d := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return d
		case c == '[':
			d++
		case c == ']':
			d--
		}
	}
	return d
}
