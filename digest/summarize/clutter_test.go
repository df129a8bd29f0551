package summarize

import (
	"context"
	"strings"
	"testing"
)

func TestCleanSentence(t *testing.T) {
	const news = "Nimbus Semiconductor reported record revenue of $4.2 billion."
	for _, tc := range []struct {
		name string
		in   string
		lead bool
		want string // "" = dropped
	}{
		// Wire datelines.
		{"agency only", "(AP) — " + news, false, news},
		{"place and agency", "WASHINGTON (Reuters) - " + news, false, news},
		{"place, date and agency", "LONDON, Nov 25 (Reuters) - " + news, false, news},
		{"place with state", "SAN FRANCISCO, Calif. (AP) — " + news, false, news},
		{"press release", "AUSTIN, Texas, Nov. 25, 2026 /PRNewswire/ -- " + news, false, news},
		{"call letters after a place", "DENVER (KDVR) — " + news, false, news},
		{"newspaper dateline", "WASHINGTON — " + news, true, news},
		{"dateline with date", "NEW YORK, Nov. 25 — " + news, true, news},
		{"place dateline only opens a paragraph", "WASHINGTON — " + news, false, "WASHINGTON — " + news},
		// Bylines and timestamps.
		{"byline and date glued to text", "By Jane Doe · 25 November 2026 " + news, false, news},
		{"byline, date and read time", "By Jane Doe | Nov 25, 2026 | 4 min read", false, ""},
		{"byline only", "By Jane Doe", false, ""},
		{"byline with agency", "By Jane Doe, Reuters", false, ""},
		{"two authors", "By Jane Doe and John van der Berg · Updated 3 hours ago", false, ""},
		{"byline with role", "By Jane Doe, Senior Reporter", false, ""},
		{"wire byline", "By The Associated Press", false, ""},
		{"updated", "Updated 3 hours ago", false, ""},
		{"name line without by", "Jane Doe · 25 November 2026 · 4 min read", false, ""},
		{"name and wire", "Jane Doe | Reuters", false, ""},
		{"name then prose stays", "Acme Corp · a maker of routers, shipped 3,000 units.", false, "Acme Corp · a maker of routers, shipped 3,000 units."},
		{"published with time", "Published 25 Nov 2026, 10:02 a.m. EST", false, ""},
		{"last updated then text", "Last updated: November 25, 2026 · " + news, false, news},
		{"date and read time", "25 November 2026 · 4 min read", false, ""},
		{"date separator then text", "Nov 25, 2026 — " + news, false, news},
		// Credits and captions.
		{"photo credit", "Photo: Jane Doe/Reuters", false, ""},
		{"image credit without colon", "Image credit Getty Images", false, ""},
		{"illustration by", "Illustration by Jane Doe for The Verge", false, ""},
		{"agency photo", "AP Photo/Evan Vucci", false, ""},
		{"stock credit", "Getty Images", false, ""},
		{"stock company in prose", "Getty Images sued Stability AI in 2023.", false, "Getty Images sued Stability AI in 2023."},
		{"caption", "Image: A Nimbus fab in Arizona", false, ""},
		{"wire trailer", "Reporting by Jane Doe in London; Editing by John Roe", false, ""},
		{"wire trailer in brackets", "(Reporting by Jane Doe; Editing by John Roe)", false, ""},
		{"byline then agency in brackets", "By Jane Doe (Reuters) - " + news, false, news},
		{"produced by as prose", "Produced by Google, the model outperforms Llama on 7 of 9 tasks.", false, "Produced by Google, the model outperforms Llama on 7 of 9 tasks."},
		{"credit then separator", "Photo: Getty Images | " + news, false, news},
		{"credit aside", "Nimbus Semiconductor (Photo by Jane Doe/Getty Images) reported record revenue.", false, "Nimbus Semiconductor reported record revenue."},
		// Interface labels glued to the text.
		{"advertisement label", "Advertisement " + news, false, news},
		{"advertisement alone", "ADVERTISEMENT", false, ""},
		{"listen label", "Listen to this article · 4 min", false, ""},
		{"stacked clutter", "Advertisement By Jane Doe · Nov 25, 2026 WASHINGTON (Reuters) - " + news, false, news},
		// Prose that looks a little like clutter stays as it is.
		{"by a date", "By 2030, data centers will use 8% of the world's power.", false, "By 2030, data centers will use 8% of the world's power."},
		{"by a weekday", "By Tuesday, Acme had shipped 3,000 units to its customers.", false, "By Tuesday, Acme had shipped 3,000 units to its customers."},
		{"by a name with no separator", "By Jane Doe Nimbus reported record revenue.", false, "By Jane Doe Nimbus reported record revenue."},
		{"by an actor", "By contrast, Acme cut prices by 40% last year.", false, "By contrast, Acme cut prices by 40% last year."},
		{"acronym in brackets", "Mixture of Experts (MoE) — a way to route tokens to a few experts — cuts compute.", false, "Mixture of Experts (MoE) — a way to route tokens to a few experts — cuts compute."},
		{"acronym aside", "NASA — the agency that runs Artemis — launched a new rocket.", true, "NASA — the agency that runs Artemis — launched a new rocket."},
		{"acronym opening", "AI — and the chips it runs on — dominated the quarter.", true, "AI — and the chips it runs on — dominated the quarter."},
		{"published as a verb", "Published research shows 40% of teams skip code review.", false, "Published research shows 40% of teams skip code review."},
		{"date in prose", "On Tuesday, 25 November 2026, Acme shipped version 2.0 of its router.", false, "On Tuesday, 25 November 2026, Acme shipped version 2.0 of its router."},
		{"time in prose", "At 23:50 UTC on Thursday, a room in the data centre overheated.", false, "At 23:50 UTC on Thursday, a room in the data centre overheated."},
		{"date opens a sentence", "Nov 25 was the day the outage began for 3 million users.", false, "Nov 25 was the day the outage began for 3 million users."},
		{"figure caption", "Figure 1: latency falls as the batch size grows.", false, "Figure 1: latency falls as the batch size grows."},
		{"parenthetical fact", "Acme (founded in 1999) reported record revenue.", false, "Acme (founded in 1999) reported record revenue."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cleanSentence(tc.in, tc.lead); got != tc.want {
				t.Errorf("cleanSentence(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsBoilerplate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"Subscribe to continue reading.", true},
		{"Sign in to read more", true},
		{"This article is for subscribers only.", true},
		{"This article is for subscribers", true},
		{"Already a subscriber? Log in", true},
		{"Accept cookies", true},
		{"We use cookies to improve your experience on our site.", true},
		{"Share this article", true},
		{"Share", true},
		{"Follow us on Mastodon and Bluesky.", true},
		{"Follow us", true},
		{"Read more: Nimbus cuts 500 jobs as chip demand slows", true},
		{"Read more about the outage in our postmortem.", true},
		{"Related: How Nimbus won the foundry race", true},
		{"See also: the 2025 roadmap", true},
		{"Advertisement", true},
		{"© 2026 Nimbus Media. All rights reserved.", true},
		{"Sign up for our newsletter to get the latest news in your inbox.", true},
		{"Get the best stories delivered to your inbox every morning.", true},
		{"Enter your email address", true},
		{"You have reached your limit of free articles this month.", true},
		{"Click here to download the full report.", true},
		{"Download the app", true},
		{"Log in", true},
		{"Subscribe now", true},
		{"Create an account to keep reading.", true},
		{"Facebook Twitter LinkedIn Email", true},
		{"Privacy Policy | Terms of Service", true},
		{"Most popular", true},
		{"Comments are closed.", true},
		{"Thanks for reading!", true},
		{"This article originally appeared on The Conversation.", true},
		{"Please disable your ad blocker to continue.", true},
		{"Gift this article", true},
		{"Listen · 4:32", true},
		// Prose about the same things is not boilerplate.
		{"Netflix subscribers rose 5% to 300 million.", false},
		{"Customers who subscribe to the Pro plan get 40% more tokens.", false},
		{"Acme said users who accept cookies see 40% more ads.", false},
		{"Apple updated its privacy policy.", false},
		{"Share prices fell 3% after the report.", false},
		{"Follow the money.", false},
		{"Download speeds doubled on the new network.", false},
		{"Download the model weights from Hugging Face and run them locally.", false},
		{"Related work on sparse attention shows the same effect.", false},
		{"Google shares the app via email and link.", false},
		{"Threads has introduced a refreshed logo and wordmark.", false},
		{"Readers who continue reading past the paywall are 3x more likely to subscribe, the study found.", false},
		{"Substack now has 5 million paid newsletter subscriptions.", false},
		{"Sign-ups doubled after the launch.", false},
		{"Read more than the abstract before citing a paper.", false},
		{"Install the app on both devices and pair them with the QR code.", false},
		{"Here is why.", false},
		{"Is there anything you can do here?", false},
		{"More on that below.", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := isBoilerplate(tc.in); got != tc.want {
				t.Errorf("isBoilerplate(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestSummaryWithoutClutter runs whole articles wrapped in page clutter:
// none of it may reach the TL;DR or a key point, and a page that is only
// clutter gives an empty TL;DR.
func TestSummaryWithoutClutter(t *testing.T) {
	body := "Nimbus Semiconductor reported record quarterly revenue of $4.2 billion on Tuesday, up 38% from a year earlier, as demand for its AI accelerators outran supply.\n\n" +
		"The company said its N3 accelerator now ships to 40 cloud providers, and that a second fab in Arizona will double output by 2027.\n\n" +
		"Nimbus raised its full-year forecast to $15 billion, above the $13.8 billion analysts had expected, and said gross margin rose to 61%.\n\n" +
		"Chief executive Maria Ortega said supply of high-bandwidth memory remains the main constraint on shipments of the N3 through the middle of next year.\n\n" +
		"Rival foundries have struggled to match the yields Nimbus reports on its 3-nanometre process, which the company credits to a new packaging line.\n\n" +
		"Analysts at Bernstein estimate the N3 accounts for about 70% of Nimbus revenue, leaving the company exposed if cloud spending slows next year.\n\n" +
		"Shipments of the N3 rose to 1.1 million units in the quarter, from 640,000 a year earlier, the company said in a filing with the Securities and Exchange Commission.\n\n" +
		"Nimbus also said it would spend $6 billion on a third fab in Ohio, which it expects to open in 2029 and to employ about 3,000 people.\n\n" +
		"Shares of Nimbus rose 9% in extended trading after the results, adding about $40 billion to its market value."
	for _, tc := range []struct {
		name, text string
		empty      bool
	}{
		{"wire story", "By Jane Doe · 25 November 2026\n\nUpdated 3 hours ago\n\nPhoto: Jane Doe/Reuters\n\nSAN JOSE, Calif. (Reuters) - " + body +
			"\n\nRead more: Nimbus cuts 500 jobs as chip demand slows\n\nShare this article\n\nFollow us on X\n\n© 2026 Reuters. All rights reserved.", false},
		{"agency lede", "(AP) — " + body + "\n\nAdvertisement\n\nSign up for our newsletter to get the latest chip news in your inbox.", false},
		{"clutter between paragraphs", strings.ReplaceAll(body, "\n\n", "\n\nAdvertisement\n\nRelated: Nimbus opens Arizona fab\n\n"), false},
		{"paywall", "By Jane Doe\n\nNov 25, 2026\n\nSubscribe to continue reading.\n\nAlready a subscriber? Log in\n\nThis article is for subscribers", true},
		{"cookie wall", "Accept cookies\n\nWe use cookies to improve your experience on our site.\n\nSign in to read more", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewExtractive(nil).Summarize(context.Background(), "Nimbus revenue jumps on AI chip demand", tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if tc.empty {
				if s.TLDR != "" || len(s.KeyPoints) != 0 {
					t.Errorf("got TL;DR %q and key points %q, want none", s.TLDR, s.KeyPoints)
				}
				return
			}
			checkSummary(t, s)
			if len(s.KeyPoints) < 3 {
				t.Errorf("got %d key points, want at least 3: %q", len(s.KeyPoints), s.KeyPoints)
			}
			for _, line := range append([]string{s.TLDR}, s.KeyPoints...) {
				for _, junk := range []string{"Reuters", "(AP)", "Jane Doe", "Updated", "Photo", "Read more", "Share", "Follow", "rights reserved", "Advertisement", "Related", "newsletter", "SAN JOSE"} {
					if strings.Contains(line, junk) {
						t.Errorf("%q leaks into %q", junk, line)
					}
				}
			}
			if !strings.HasPrefix(s.TLDR, "Nimbus") {
				t.Errorf("got TL;DR %q, want the lede without its dateline", s.TLDR)
			}
		})
	}
}

// TestTLDREmptyWithoutSentence: what is left after the clutter is only a
// heading, so there is no TL;DR to give.
func TestTLDREmptyWithoutSentence(t *testing.T) {
	for _, text := range []string{
		"By Jane Doe\n\nMarkets\n\nShare this article",
		"Photo: Getty Images\n\nUpdated 3 hours ago\n\nTechnology",
		"Advertisement",
	} {
		s, err := NewExtractive(nil).Summarize(context.Background(), "Nimbus revenue jumps", text)
		if err != nil {
			t.Fatal(err)
		}
		if s.TLDR != "" || len(s.KeyPoints) != 0 || len(s.Glossary) != 0 {
			t.Errorf("%q: got %+v, want an empty summary", text, s)
		}
	}
}
