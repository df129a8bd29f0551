package main

import (
	"bytes"
	"reflect"
	"strings"
)

// isTableHeader reports whether line row (1-based) of a TOML file opens a
// table ("[fetch]", "[[feed]]").
func isTableHeader(data []byte, row int) bool {
	for i := 1; i < row; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return false
		}
		data = data[j+1:]
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return bytes.HasPrefix(bytes.TrimSpace(line), []byte("["))
}

// suggestKey names the accepted key closest to an unknown one, for "did
// you mean …?": the keys come from fileConfig's toml tags, so the hint
// cannot drift from what the decoder accepts. path is the unknown key's
// full path without array indexes ("fetch", "timout"). It returns "" when
// nothing is close enough to be a typo.
func suggestKey(path []string) string {
	if len(path) == 0 {
		return ""
	}
	t := reflect.TypeFor[fileConfig]()
	for _, p := range path[:len(path)-1] {
		f, ok := fieldByTag(t, p)
		if !ok {
			return ""
		}
		t = f.Type
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
	}
	unknown := strings.ToLower(path[len(path)-1])
	best, bestDist := "", 3 // at most two edits
	for i := range t.NumField() {
		name := tagName(t.Field(i))
		if name == "" {
			continue
		}
		if d := editDistance(unknown, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if tagName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// editDistance is the Levenshtein distance between two short keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
