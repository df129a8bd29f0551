package mail_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	tmail "github.com/tidings/tidings/digest/mail"
)

// artifactsDir is where a test run leaves files for people to look at.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("TIDINGS_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "mail")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required in CI for the email render check")
	}
	t.Skip("chromium not installed; skipping the email render check")
	return ""
}

// overflowJS counts elements that stick out of the viewport to the right
// and reports the document's scroll width.
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth;
  let out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.push(el.tagName + ' ' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, client: w, out: out.slice(0, 5)};
})()`

type overflow struct {
	Scroll int      `json:"scroll"`
	Client int      `json:"client"`
	Out    []string `json:"out"`
}

// TestRenderInChromium loads the HTML part in headless Chromium at phone
// and desktop widths, saves screenshots, and fails on horizontal overflow.
func TestRenderInChromium(t *testing.T) {
	bin := chromiumPath(t)
	dir := artifactsDir(t)

	pages := map[string][]byte{}
	for name, e := range map[string]struct {
		big bool
	}{"edition": {false}, "large": {true}} {
		ed := loadEdition(t)
		if e.big {
			ed = bigEdition(80)
		}
		raw, err := tmail.BuildMessage(ed, "alice@example.com", testOptions())
		if err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, raw)
		path := filepath.Join(dir, "email-"+name+".html")
		if err := os.WriteFile(path, []byte(p.htm), 0o644); err != nil {
			t.Fatal(err)
		}
		pages[name] = []byte(path)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
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
		chromedp.UserDataDir(t.TempDir()),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	for _, name := range []string{"edition", "large"} {
		for _, width := range []int64{320, 375, 800} {
			for _, scheme := range []string{"light", "dark"} {
				if name == "large" && scheme == "dark" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%d/%s", name, width, scheme), func(t *testing.T) {
					// A guard against a wedged browser, not a speed limit.
					sctx, scancel := context.WithTimeout(bctx, 2*time.Minute)
					defer scancel()
					media := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
						_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
							Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
						})
						return err
					})
					if err := chromedp.Do(sctx,
						chromedp.EmulateViewport(width, 900),
						media,
						chromedp.Navigate("file://"+string(pages[name])),
					); err != nil {
						t.Fatal(err)
					}
					got, err := chromedp.Run(sctx, chromedp.Evaluate[overflow](overflowJS))
					if err != nil {
						t.Fatal(err)
					}
					if got.Scroll > got.Client || len(got.Out) > 0 {
						t.Errorf("horizontal overflow at %dpx: scroll width %d > %d; elements %v", width, got.Scroll, got.Client, got.Out)
					}
					png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatal(err)
					}
					shot := filepath.Join(dir, fmt.Sprintf("email-%s-%d-%s.png", name, width, scheme))
					if err := os.WriteFile(shot, png, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("screenshot %s (%d bytes)", shot, len(png))
				})
			}
		}
	}
}
