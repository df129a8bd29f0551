package summarize

import "testing"

func TestCompressPoint(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unchanged", "Latency fell by 35% after the change.", "Latency fell by 35% after the change."},
		{"discourse marker", "In addition, latency fell by 35% after the change.", "Latency fell by 35% after the change."},
		{"stance", "I think that the cache is the real bottleneck here.", "The cache is the real bottleneck here."},
		{"stance keeps a short rest", "I think so too.", "I think so too."},
		{"worth noting", "It's worth noting that the replicas cost 11 GB per node.", "The replicas cost 11 GB per node."},
		{"attribution to the article", "The author argues that managed connectors save a small team months.", "Managed connectors save a small team months."},
		{"named source stays", "McKinsey says that 88% of enterprises have adopted AI.", "McKinsey says that 88% of enterprises have adopted AI."},
		{"framing clause", "On paper, data ingestion is the simplest problem in the stack.", "Data ingestion is the simplest problem in the stack."},
		{"report clause", "In a blog post on Tuesday, Acme said it shipped version 2.0 of its router.", "Acme said it shipped version 2.0 of its router."},
		{"scope clause stays", "For small teams, managed connectors are almost always the right call.", "For small teams, managed connectors are almost always the right call."},
		{"conditional stays", "If the primary hangs, the standby is never promoted at all.", "If the primary hangs, the standby is never promoted at all."},
		{"soft aside", "Now I throw every bug at a LLM (typically by opening a new session) before anything else.", "Now I throw every bug at a LLM before anything else."},
		{"aside with a number stays", "Some providers reach 60-70 tokens per second (3-7 times faster).", "Some providers reach 60-70 tokens per second (3-7 times faster)."},
		{"aside with an acronym stays", "We keep the recovery point objective (RPO) under ten minutes.", "We keep the recovery point objective (RPO) under ten minutes."},
		{"dash aside", "The exchange — like most trading venues — ran in one zone.", "The exchange ran in one zone."},
		{"dash aside with a number stays", "The outage — about 20 hours in all — hit one zone.", "The outage — about 20 hours in all — hit one zone."},
		{"kicker", "Update: Acme shipped version 2.0 of its router today.", "Acme shipped version 2.0 of its router today."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := compressPoint(tc.in); got != tc.want {
				t.Errorf("compressPoint(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPointLike(t *testing.T) {
	for in, want := range map[string]bool{
		"Latency fell by 35% after the change.":    true,
		"Why did the standby never take over?":     false,
		"There are three ways to ingest data:":     false,
		"and then it would never reach the level.": false,
		"…and then it never did.":                  false,
		"...and then it never did.":                false,
	} {
		if got := pointLike(in); got != want {
			t.Errorf("pointLike(%q) = %v, want %v", in, got, want)
		}
	}
}
