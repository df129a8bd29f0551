package summarize

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// LoadGlossary reads a user glossary file: one "Term: definition" per line;
// blank lines and lines starting with # are ignored. A term may itself
// contain colons if the separator is written ": " after it ("C++: a
// language" works, "std::vector: a container" too, the first ": " splits).
// Errors name the file and the line.
func LoadGlossary(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("glossary: %w", err)
	}
	defer f.Close()
	g, err := parseGlossary(f)
	if err != nil {
		return nil, fmt.Errorf("glossary %s:%w", path, err)
	}
	return g, nil
}

func parseGlossary(r io.Reader) (map[string]string, error) {
	g := map[string]string{}
	first := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		term, def, ok := strings.Cut(line, ": ")
		if !ok {
			term, def, ok = strings.Cut(line, ":")
		}
		term, def = strings.TrimSpace(term), strings.TrimSpace(def)
		switch {
		case !ok:
			return nil, fmt.Errorf("%d: want \"Term: definition\", got %q", n, clip(line, 60))
		case term == "":
			return nil, fmt.Errorf("%d: empty term", n)
		case def == "":
			return nil, fmt.Errorf("%d: term %q has no definition", n, term)
		}
		k := strings.ToLower(term)
		if l, dup := first[k]; dup {
			return nil, fmt.Errorf("%d: term %q already defined on line %d", n, term, l)
		}
		first[k] = n
		g[term] = def
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%d: %w", n+1, err)
	}
	return g, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
