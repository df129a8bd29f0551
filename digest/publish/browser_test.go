package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/tidings/tidings"
)

// chromiumPath finds the browser; it skips the test when there is none,
// except under CI, where the browser test must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TIDINGS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	msg := "chromium not found (apt-get install chromium, or set TIDINGS_CHROMIUM)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func artifactDir(t *testing.T) string {
	if d := os.Getenv("TIDINGS_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "publish-browser")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// browserSite is a sample site with every page type, long words, a wide
// table and code that could overflow a phone screen.
func browserSite(t *testing.T) (dir string, pages map[string]string) {
	in := sampleInput(3, 6)
	e := sampleEdition("daily", 4, 3, 300)
	wide := sampleEntry(999)
	wide.Title = "Supercalifragilisticexpialidocious_" + strings.Repeat("x", 80)
	wide.ContentHTML = `<p>A long URL: https://example.org/` + strings.Repeat("very-long-path-segment/", 12) + `</p>` +
		`<pre><code>` + strings.Repeat("wide_code_line ", 30) + `</code></pre>` +
		`<table><tr>` + strings.Repeat("<td>cell with text</td>", 14) + `</tr></table>` +
		`<h1>Heading from the article</h1><p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="2000" height="10"></p>`
	wide.Sources = append(wide.Sources, tidings.Source{Title: "Another feed", URL: "https://other.example.net/x"})
	e.Sections[0].Entries = append(e.Sections[0].Entries, wide)
	in.Editions["daily"] = append(in.Editions["daily"], e)
	dir = publishInput(t, in)
	first := in.Editions["daily"][0].Sections[0].Entries[0]
	var fallback string
	for _, s := range in.Editions["daily"][0].Sections {
		for _, en := range s.Entries {
			if en.ContentHTML == "" && en.Text == "" {
				fallback = en.ItemID
			}
		}
	}
	pages = map[string]string{
		"home":          "/",
		"digest":        "/daily/",
		"edition":       "/daily/1/",
		"archive":       "/daily/archive.html",
		"item":          "/items/" + first.ItemID + ".html",
		"item-wide":     "/items/" + wide.ItemID + ".html",
		"item-fallback": "/items/" + fallback + ".html",
		"sources":       "/sources.html",
	}
	return dir, pages
}

type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// TestBrowserAccessibility loads every page type in headless Chromium, runs
// axe-core in light and dark mode at the narrowest supported width (320 px),
// a phone's and a desktop's, checks that nothing overflows horizontally and
// saves screenshots.
func TestBrowserAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := chromiumPath(t)
	tools := nodeTools(t)
	axe, err := os.ReadFile(filepath.Join(tools, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir, pages := browserSite(t)
	// The real handler, with its CSP: axe is injected through the DevTools
	// protocol, which the page's CSP does not govern.
	srv := httptest.NewServer(NewHandler(dir, HandlerOptions{}))
	defer srv.Close()
	shots := artifactDir(t)

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	for _, name := range sortedKeys(pages) {
		for _, width := range []int64{320, 375, 1280} {
			for _, scheme := range []string{"light", "dark"} {
				t.Run(fmt.Sprintf("%s/%d/%s", name, width, scheme), func(t *testing.T) {
					tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
					defer tcancel()
					err := chromedp.Do(tctx,
						chromedp.EmulateViewport(width, 900),
						chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
							_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
								Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
							return err
						}),
						chromedp.Navigate(srv.URL+pages[name]),
					)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := chromedp.Run(tctx, chromedp.Evaluate[any](string(axe)+"\n;undefined")); err != nil {
						t.Fatalf("inject axe: %v", err)
					}
					raw, err := chromedp.Run(tctx, chromedp.Evaluate[json.RawMessage](
						`axe.run(document, {resultTypes: ["violations"]}).then(r => ({violations: r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({target: n.target, html: n.html}))}))}))`,
						chromedp.EvalAwaitPromise))
					if err != nil {
						t.Fatalf("axe.run: %v", err)
					}
					var res axeResult
					if err := json.Unmarshal(raw, &res); err != nil {
						t.Fatalf("axe result: %v: %s", err, raw)
					}
					for _, v := range res.Violations {
						for _, n := range v.Nodes {
							t.Errorf("axe %s (%s): %v %s", v.ID, v.Help, n.Target, n.HTML)
						}
					}
					overflow, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
					if err != nil {
						t.Fatal(err)
					}
					if !overflow {
						w, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth + ": " + [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0,5).map(e => e.tagName + "." + e.className).join(", ")`))
						t.Errorf("horizontal overflow at %dpx: %s", width, w)
					}
					png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatal(err)
					}
					file := filepath.Join(shots, fmt.Sprintf("%s-%d-%s.png", name, width, scheme))
					if err := os.WriteFile(file, png, 0o644); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
	t.Logf("screenshots in %s", shots)
}
