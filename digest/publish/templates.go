package publish

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

//go:embed templates
var embedded embed.FS

// pageTemplates are the page types; each is parsed together with
// layout.html and partials.html and defines "main".
var pageTemplates = []string{"home.html", "edition.html", "archive.html", "item.html", "sources.html"}

// templateSet holds the parsed pages, the stylesheet and a fingerprint of
// both, which is part of every output key: changing a template re-renders
// everything.
type templateSet struct {
	pages map[string]*template.Template
	css   []byte
	fp    string
}

func readTemplate(dir, name string) ([]byte, error) {
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read template %s: %w", name, err)
		}
	}
	return embedded.ReadFile("templates/" + name)
}

var funcs = template.FuncMap{
	"rfc3339": func(t time.Time) string { return fmtRFC3339(t) },
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "unknown date"
		}
		return t.UTC().Format("2 January 2006")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	// safe marks article HTML that cleanHTML produced.
	"safe": func(s string) template.HTML { return template.HTML(s) },
}

func loadTemplates(dir string) (*templateSet, error) {
	h := sha256.New()
	read := func(name string) (string, error) {
		b, err := readTemplate(dir, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
		return string(b), nil
	}
	layout, err := read("layout.html")
	if err != nil {
		return nil, err
	}
	partials, err := read("partials.html")
	if err != nil {
		return nil, err
	}
	base, err := template.New("layout.html").Funcs(funcs).Parse(layout)
	if err != nil {
		return nil, fmt.Errorf("parse template layout.html: %w", err)
	}
	if _, err := base.New("partials.html").Parse(partials); err != nil {
		return nil, fmt.Errorf("parse template partials.html: %w", err)
	}
	ts := &templateSet{pages: map[string]*template.Template{}}
	for _, name := range pageTemplates {
		src, err := read(name)
		if err != nil {
			return nil, err
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.New(name).Parse(src); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		ts.pages[name] = t
	}
	css, err := read("style.css")
	if err != nil {
		return nil, err
	}
	ts.css = []byte(css)
	ts.fp = hex.EncodeToString(h.Sum(nil)[:12])
	return ts, nil
}
