package digest

import (
	"math/bits"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

// Near-duplicate detection. Two items are the same story when any of these
// holds (and union-find makes it transitive):
//
//   - their canonical URLs are equal (scheme, "www.", tracking parameters,
//     fragment and trailing slash ignored);
//   - their normalized titles are equal and have at least minTitleWords
//     words (shorter titles such as "Weekly update" collide across feeds);
//   - both have at least minSimWords words of text and the 128-bit SimHashes
//     of their word 3-shingles differ in at most simThreshold (28) bits, or
//     in at most simLoose (40) bits and their MinHash sketches estimate that
//     at least minJaccard (50%) of their shingles are shared.
//
// Why these numbers: measured with TestSimHashSeparation on the
// hand-written fixtures of testdata/stories.json, same-story pairs (wire
// copies with an edited lead and words, a reprint with an added paragraph, a
// syndicated copy with a footer) are 12–22 bits apart with an estimated
// Jaccard of 0.74–0.92, and different stories on the same topic (two
// PostgreSQL posts, two chip-maker earnings reports in the same wire style,
// two Rust release notes sharing their boilerplate, a newsletter citing
// them) are 50 bits or more apart with a Jaccard of at most 0.14. On
// generated copies (TestGeneratedClusters) 1–4% scattered word edits land
// at 0–30 bits, and a rewritten lead plus an added paragraph on a short
// text at up to ~40 bits, still with a Jaccard of 0.5–0.8: the MinHash
// confirmation catches those; 0.5 leaves ~8 standard deviations of the
// 64-bin estimate to the 0.14 of the closest different stories, and stays
// above the 0.47 of two template texts (one sentence frame repeated with a
// different topic, as in cmd/tidings' end-to-end test). For unrelated
// texts the distance is Binomial(128, ½): P(d ≤ 28) = 5.5e-11, so a 10,000-item window (5e7 pairs)
// expects 0.003 chance merges by SimHash alone; at 32 it would be 0.3 and at
// 36 about 20, which is why the SimHash threshold stays at 28 and the looser
// band needs the Jaccard confirmation. With a 64-bit SimHash the fixtures
// separated at only 11 vs 22 bits, too narrow.
//
// Two more guards keep recurring posts apart (measured with
// TestRecurringPostsStayApart on realistic podcast, newsletter and release
// feeds): a title or text match needs the two items published within
// maxCopyGap of each other — wire copies, syndication and aggregator posts
// follow the original within hours or days, while a newsletter's weekly
// issues or a blog's back catalogue (all first seen at once when the feed is
// new) share boilerplate across weeks; and two items of the same feed merge
// by text only with an estimated Jaccard of at least sameFeedJaccard (0.85),
// because one feed's episodes or issues share a long footer or template:
// podcast episodes with a ~40-word description above a ~170-word footer
// measured 23–36 bits apart with a Jaccard of 0.63–0.66, and release notes
// written from one template 30 bits and 0.57–0.63 — all of which the
// cross-feed rule would merge — while an episode re-published under a new
// id with a few words edited measured 8 bits and 0.93. Without the time
// guard another feed's copy of this month's release notes chains last
// month's into the story (30 bits, 0.6).
const (
	simThreshold    = 28
	simLoose        = 40               // up to here a pair merges when the MinHash sketches confirm it
	minJaccard      = 0.5              // estimated share of shared shingles that confirms a pair
	sameFeedJaccard = 0.85             // the same, for two items of one feed
	maxCopyGap      = 7 * 24 * 60 * 60 // seconds between the publication of copies of one story
	simMaxWords     = 600              // only the start of a text is fingerprinted: duplicates agree there, and it bounds the cost
	minSimWords     = 40               // below it a fingerprint says little (aggregator blurbs)
	minTitleWords   = 4
)

// simTables is the number of LSH tables (see simKey): comparing only items
// that share a key in some table avoids comparing all n² pairs.
const simTables = 32

// fingerprint holds the keys one item is clustered by.
type fingerprint struct {
	url   string
	title string
	feed  uint64 // the item's feed: copies within one feed need more proof
	when  int64  // unix seconds of storyTime: copies of a story appear within days
	textPrint
}

// textPrint fingerprints a text two ways from the same shingle hashes.
type textPrint struct {
	sim   simhash
	mins  sketch // MinHash, to confirm pairs a little beyond simThreshold
	words int    // words of plain text, counted up to simMaxWords
	size  int    // bytes of plain text: how complete a copy is
}

func fingerprintOf(it *tidings.Item, f *tidings.Feed, text string) fingerprint {
	fp := fingerprint{url: canonicalURL(it.URL), title: normalizeTitle(it.Title, f, it.URL),
		feed: it.FeedID, when: storyTime(it).Unix()}
	if len(strings.Fields(fp.title)) < minTitleWords {
		fp.title = ""
	}
	fp.textPrint = printText(text)
	fp.size = len(text)
	return fp
}

// trackingParams are query parameters that identify the referrer, not the
// page. Keys starting with "utm_" are dropped as well.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true, "si": true,
	"mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true,
	"ref": true, "ref_src": true, "ref_url": true, "source": true, "cmpid": true,
	"ncid": true, "sr_share": true, "at_medium": true, "at_campaign": true, "share": true,
}

// canonicalURL reduces a URL to what identifies the page: host (lower case,
// without "www." and default ports), path without trailing slash, and the
// non-tracking query parameters in sorted order. The scheme is dropped
// (http and https copies are the same story). "" if it is not an http(s)
// URL.
func canonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(host, "www.")
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	q := u.Query()
	var keys []string
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(host)
	b.WriteString(path)
	for i, k := range keys {
		vals := q[k]
		slices.Sort(vals)
		for _, v := range vals {
			if i == 0 && b.Len() == len(host)+len(path) {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// normalizeTitle lower-cases a title, removes punctuation and a trailing
// site name ("… | Acme Blog", "… - Acme Engineering" when the words belong
// to the feed's title or the URL's host, "… (acme.com)").
func normalizeTitle(title string, f *tidings.Feed, link string) string {
	t := stripUpdateMarks(strings.TrimSpace(title))
	// "(example.com)" as aggregators append it.
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndex(t, " ("); i > 0 {
			inner := t[i+2 : len(t)-1]
			if strings.Contains(inner, ".") && !strings.Contains(inner, " ") {
				t = strings.TrimSpace(t[:i])
			}
		}
	}
	if i := strings.LastIndex(t, " | "); i > 0 && len(strings.Fields(t[i+3:])) <= 6 {
		t = t[:i]
	}
	site := ""
	if f != nil {
		site = words(f.Title) + " " + words(f.SiteURL)
	}
	site += " " + words(link)
	for _, sep := range []string{" - ", " — ", " – ", " · "} {
		i := strings.LastIndex(t, sep)
		if i <= 0 {
			continue
		}
		tail := strings.Fields(words(t[i+len(sep):]))
		if len(tail) == 0 || len(tail) > 4 {
			continue
		}
		all := true
		for _, w := range tail {
			if !strings.Contains(" "+site+" ", " "+w+" ") && !strings.Contains(site, w) {
				all = false
				break
			}
		}
		if all {
			t = t[:i]
			break
		}
	}
	return words(t)
}

// stripUpdateMarks removes what wire services and news sites add to the
// title of a revised or flagged copy of a story: "UPDATE 2-…", "Updated:
// …", "EXCLUSIVE-…", "Breaking: …" in front and "(Updated)", "(update 3)",
// "[Updated]" at the end.
func stripUpdateMarks(t string) string {
	for {
		lt := strings.ToLower(t)
		cut := 0
		for _, p := range []string{"update", "updated", "exclusive", "breaking", "breaking news", "corrected", "refile"} {
			if !strings.HasPrefix(lt, p) {
				continue
			}
			rest := strings.TrimLeft(lt[len(p):], " 0123456789")
			dated := len(rest) > 1 && rest[0] == '-' && '0' <= rest[1] && rest[1] <= '9' // "Update 2026-11-25 …"
			if len(rest) > 0 && (rest[0] == '-' || rest[0] == ':') && !dated {
				cut = len(t) - len(rest) + 1
				break
			}
		}
		if cut == 0 && (strings.HasSuffix(t, ")") || strings.HasSuffix(t, "]")) {
			if i := strings.LastIndexAny(t, "(["); i > 0 {
				inner := strings.Trim(strings.ToLower(t[i+1:len(t)-1]), " 0123456789")
				if inner == "update" || inner == "updated" {
					cut = -i
				}
			}
		}
		switch {
		case cut > 0 && len(strings.TrimSpace(t[cut:])) > 0:
			t = strings.TrimSpace(t[cut:])
		case cut < 0:
			t = strings.TrimSpace(t[:-cut])
		default:
			return t
		}
	}
}

// words lower-cases s, drops apostrophes and turns every other
// non-alphanumeric run into one space.
func words(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case r == '\'' || r == '’':
			continue
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// printText fingerprints a text by its word 3-shingles: a 128-bit SimHash
// (Charikar), where similar texts get hashes that differ in few bits, and a
// one-permutation MinHash sketch, which estimates the share of shingles two
// texts have in common. Both are zero when the text has fewer than
// minSimWords words. It allocates nothing.
func printText(text string) textPrint {
	var mins sketch
	for k := range mins {
		mins[k] = emptyBin
	}
	// Bit counts are kept in 8-bit lanes (acc[h][j] lane k counts bit 8k+j
	// of half h), which costs 16 adds per shingle instead of 128, and are
	// flushed into counts before a lane can overflow.
	var counts [128]int32
	var acc [2][8]uint64
	pending := 0
	flush := func() {
		for h := range 2 {
			for j := range 8 {
				for k := range 8 {
					counts[h*64+8*k+j] += int32(acc[h][j] >> (8 * k) & 0xff)
				}
				acc[h][j] = 0
			}
		}
		pending = 0
	}
	var w1, w2 uint64 // hashes of the two previous words
	n, shingles := 0, 0
	for i := 0; i < len(text) && n < simMaxWords; {
		if c := text[i]; c < utf8.RuneSelf && !asciiWord(c) {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) || r == '_' {
			i += size
			continue
		}
		// FNV-1a over the lower-cased runes of the word; apostrophes are
		// skipped so "it's" and "its" agree.
		w := uint64(14695981039346656037)
		for i < len(text) {
			if c := text[i]; c < utf8.RuneSelf {
				if asciiWord(c) {
					if 'A' <= c && c <= 'Z' {
						c += 'a' - 'A'
					}
					w ^= uint64(c)
					w *= 1099511628211
					i++
					continue
				}
				if c != '\'' {
					break
				}
				i++
				continue
			}
			r, size = utf8.DecodeRuneInString(text[i:])
			if r == '’' {
				i += size
				continue
			}
			if !isWordRune(r) {
				break
			}
			r = unicode.ToLower(r)
			w ^= uint64(r)
			w *= 1099511628211
			i += size
		}
		n++
		if n >= 3 {
			x := w1*0x9E3779B97F4A7C15 ^ bits.RotateLeft64(w2, 23) ^ bits.RotateLeft64(w, 47)
			a := mix64(x)
			// a second, independent-enough 64 bits for the other half
			// at the price of one multiplication
			b := (a ^ a>>29) * 0xbf58476d1ce4e5b9
			b ^= b >> 32
			if bin, v := a>>(64-sketchBits), uint32(a); v < mins[bin] {
				mins[bin] = v
			}
			for j := range 8 {
				acc[0][j] += a >> j & 0x0101010101010101
				acc[1][j] += b >> j & 0x0101010101010101
			}
			shingles++
			if pending++; pending == 255 {
				flush()
			}
		}
		w1, w2 = w2, w
	}
	flush()
	if n < minSimWords {
		return textPrint{words: n}
	}
	var out simhash
	for bit := range 128 {
		if 2*int(counts[bit]) > shingles {
			out[bit/64] |= 1 << (bit % 64)
		}
	}
	return textPrint{sim: out, mins: mins, words: n}
}

// sketch is a one-permutation MinHash: the shingle hashes are spread over
// 1<<sketchBits bins by their top bits and each bin keeps the smallest low
// 32 bits. Two texts agree on a bin with probability equal to the Jaccard
// similarity of their shingle sets.
type sketch [1 << sketchBits]uint32

const (
	sketchBits = 6
	emptyBin   = ^uint32(0)
)

// jaccard estimates the share of shingles two texts have in common: the
// bins that agree among those not empty in both. Short texts leave bins
// empty, which only lowers the estimate.
func (a *sketch) jaccard(b *sketch) float64 {
	same, used := 0, 0
	for k := range a {
		if a[k] == emptyBin && b[k] == emptyBin {
			continue
		}
		used++
		if a[k] == b[k] {
			same++
		}
	}
	if used == 0 {
		return 0
	}
	return float64(same) / float64(used)
}

// simhash is a 128-bit SimHash.
type simhash [2]uint64

func (a simhash) distance(b simhash) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1])
}

// mix64 is the splitmix64 finalizer: it spreads the bits of a shingle hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unionFind groups indexes; the root of a set is its smallest index, so the
// result does not depend on the order of unions.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

func (u unionFind) find(i int) int {
	for int(u[i]) != i {
		u[i] = u[u[i]] // path halving
		i = int(u[i])
	}
	return i
}

func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		u[rb] = int32(ra)
	} else {
		u[ra] = int32(rb)
	}
}

// clusterItems groups the fingerprinted items into stories and returns the
// union-find over their indexes.
func clusterItems(fps []fingerprint) unionFind {
	u := newUnionFind(len(fps))
	byURL := make(map[string]int, len(fps))
	byTitle := make(map[string]int, len(fps))
	for i, fp := range fps {
		if fp.url != "" {
			if j, ok := byURL[fp.url]; ok {
				u.union(i, j)
			} else {
				byURL[fp.url] = i
			}
		}
		if fp.title != "" {
			if j, ok := byTitle[fp.title]; !ok {
				byTitle[fp.title] = i
			} else if closeInTime(&fps[i], &fps[j]) {
				u.union(i, j)
			}
		}
	}

	// SimHash candidates: items whose 8-bit key agrees in one of
	// simTables tables (see simKey); only those pairs are compared.
	var withSim []int32
	for i, fp := range fps {
		if fp.words >= minSimWords {
			withSim = append(withSim, int32(i))
		}
	}
	var start [257]int32
	keys := make([]uint8, len(withSim))
	bucket := make([]int32, len(withSim))
	for t := range simTables {
		// counting sort of the items by their key in table t
		start = [257]int32{}
		for k, i := range withSim {
			keys[k] = simKey(fps[i].sim, t)
			start[int(keys[k])+1]++
		}
		for b := 1; b <= 256; b++ {
			start[b] += start[b-1]
		}
		next := start
		for k, i := range withSim {
			bucket[next[keys[k]]] = i
			next[keys[k]]++
		}
		for b := range 256 {
			members := bucket[start[b]:start[b+1]]
			for x := range members {
				for y := x + 1; y < len(members); y++ {
					i, j := int(members[x]), int(members[y])
					if u.find(i) != u.find(j) && sameStory(&fps[i], &fps[j]) {
						u.union(i, j)
					}
				}
			}
		}
	}
	return u
}

// sameStory decides whether two items whose URLs differ tell the same
// story by their text (see the guards above the constants).
func sameStory(a, b *fingerprint) bool {
	if !closeInTime(a, b) || !sameText(&a.textPrint, &b.textPrint) {
		return false
	}
	return a.feed != b.feed || a.mins.jaccard(&b.mins) >= sameFeedJaccard
}

// closeInTime reports whether two items were published close enough to be
// copies of one story.
func closeInTime(a, b *fingerprint) bool {
	d := a.when - b.when
	return -maxCopyGap <= d && d <= maxCopyGap
}

// sameText decides whether two fingerprinted texts tell the same story:
// close SimHashes, or somewhat close ones whose MinHash sketches confirm a
// large shared part (a short reprint with a rewritten lead and an added
// paragraph lands just beyond simThreshold).
func sameText(a, b *textPrint) bool {
	d := a.sim.distance(b.sim)
	return d <= simThreshold || d <= simLoose && a.mins.jaccard(&b.mins) >= minJaccard
}

// simKey is the 8-bit key of a hash in LSH table t. Tables 0–15 take the
// 16 bytes of the hash; tables 16–31 take every 16th bit from offset t-16.
// Each family partitions the 128 bits, so by pigeonhole two hashes at most
// 15 bits apart share a key in both families; further apart, a pair at d
// bits shares a given key with probability about (1-d/128)^8, so it is
// found with probability 1-(1-(1-d/128)^8)^32: 99.9% at 20 bits, 99% at 28.
func simKey(h simhash, t int) uint8 {
	if t < 16 {
		return uint8(h[t/8] >> (8 * (t % 8)))
	}
	var k uint8
	for j := range 8 {
		bit := t - 16 + 16*j
		k |= uint8(h[bit/64]>>(bit%64)&1) << j
	}
	return k
}
