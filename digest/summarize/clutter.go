package summarize

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Page clutter that survives readability extraction: wire datelines
// ("WASHINGTON (Reuters) -"), bylines and timestamps ("By Jane Doe · 25
// November 2026", "Updated 3 hours ago"), photo credits, and the page's own
// interface — paywall prompts, share and follow buttons, cookie banners,
// newsletter sign-ups, "Read more:" links. None of it says what the article
// says, so it is removed before anything is ranked: a leading dateline or
// credit is cut off its sentence, and a sentence that is nothing else is
// dropped. The rules favour keeping a sentence: the interface heuristics
// only judge short sentences, and the phrases they look for are ones that
// prose about the news does not use.

// Pattern sources, shared by the expressions below.
const (
	// A month, a weekday; "Nov.", "Tues".
	reMonth = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`
	reDay   = `(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?`
	// One piece of page metadata: a date, a time, a relative time, a
	// reading time, a timestamp label, or a separator between them.
	metaAtom = `(?:(?:` +
		reDay + `|` +
		`\d{1,2}(?:st|nd|rd|th)?\s+` + reMonth + `(?:,?\s+\d{4})?|` +
		reMonth + `\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|` +
		reMonth + `\s+\d{4}|` +
		`\d{4}-\d{2}-\d{2}(?:t[\d:]+z?)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|` +
		`\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+(?-i:[A-Z]{2,4}|GMT[+-]?\d*|UTC[+-]?\d*))?|` +
		`\d{1,2}\s*[ap]\.?m\.?(?:\s+(?-i:[A-Z]{2,4}|GMT|UTC))?|` +
		`(?:\d+|an?|one|few)\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago|` +
		`yesterday|today|just now|` +
		`\d+[\s-]*min(?:ute)?s?(?:\s+read)?|` +
		`(?:last\s+|first\s+)?(?:updated|published|posted|modified|edited)(?:\s+(?:on|at))?` +
		`)\b|on\b|at\b|[:.·•|,/—–-]` +
		`)`
	// A person's name: up to four capitalized words, particles ("van der")
	// between them.
	reName = `\p{Lu}[\p{L}'’.-]*(?:\s+(?:(?:van|von|de|der|den|da|di|du|la|le|bin|al|el)\s+)*\p{Lu}[\p{L}'’.-]*){0,3}`
	// News agencies that put their name in a dateline.
	reAgencies = `AP|AFP|Reuters|UPI|CNN|CNBC|BBC|NPR|Bloomberg|dpa|Xinhua|ANI|PTI|IANS|TASS|EFE|ANSA|Kyodo|Jiji|Yonhap|AAP|CP|Anadolu|Bernama|Axios|The Canadian Press|The Associated Press|Associated Press|Agence France-Presse|Bloomberg News|CNN Business|The Conversation|WIRED|Reuters Breakingviews|Business Wire|Globe Newswire`
)

// clutterPatterns are the compiled expressions; read-only once built.
type clutterPatterns struct {
	metaRun, dateWord, dayOrMonth, knownAgency, byline, nameLine,
	agencyDateline, placeDateline, credit, creditAside *regexp.Regexp
}

// clutterRE compiles the patterns on first use, not at init: they take
// about 1 MB, which every run of the binary would otherwise allocate and
// keep live, though fetching and the idle daemon never summarize.
var clutterRE = sync.OnceValue(func() *clutterPatterns {
	return &clutterPatterns{
		metaRun: regexp.MustCompile(`(?i)^(?:\s*` + metaAtom + `)+\s*`),

		// A date or a time by itself, for telling a timestamp from a label.
		dateWord:   regexp.MustCompile(`(?i)\d|\b(?:` + reMonth + `|` + reDay + `|yesterday|today|just now)\b`),
		dayOrMonth: regexp.MustCompile(`(?i)^(?:` + reMonth + `|` + reDay + `)$`),

		knownAgency: regexp.MustCompile(`(?i)^(?:` + reAgencies + `)$`),

		// "By Jane Doe", "By Jane Doe and John Roe", "By The Associated
		// Press", optionally ", Reuters" or ", Staff Writer". Names are
		// capitalized words; particles ("van", "de") may sit between them.
		byline: regexp.MustCompile(`^(?i:by)\s+((?:The\s+)?` + reName + `(?:\s*(?:,|and|&)\s*` + reName + `)*)` +
			`(?:\s*,\s*(?i:(?:senior\s+|chief\s+|staff\s+|contributing\s+|special\s+)?(?:writer|reporter|correspondent|editor|contributor|columnist|analyst)))?`),

		// A name and a separator at the start of a line.
		nameLine: regexp.MustCompile(`^` + reName + `\s*[·|•]`),

		// "(AP) —", "WASHINGTON (Reuters) -", "LONDON, Nov 25 (Reuters) -",
		// "SAN FRANCISCO, Calif., Nov. 25, 2026 /PRNewswire/ --". The place,
		// when present, is in capitals; the agency is a known wire or a
		// station's call letters after a place.
		agencyDateline: regexp.MustCompile(`^(?:(\p{Lu}[\p{Lu}.'’ -]*\p{Lu}\.?)(?:,\s*[^()/—–]{1,40}?)?\s+)?` +
			`(?:\(\s*((?i:` + reAgencies + `)|\p{Lu}{2,5})\s*\)` +
			`|/\s*(?i:PR\s?Newswire|Business\s?Wire|Globe\s?Newswire|EIN\s?Presswire|PRWeb|Accesswire|Newsfile|Marketwired)[^/]{0,30}/)` +
			`\s*(?:—|–|--|-|:)?\s+`),

		// "WASHINGTON —", "NEW YORK, Nov. 25 —": a newspaper dateline without
		// an agency. Only tried on a paragraph's first sentence.
		placeDateline: regexp.MustCompile(`^(\p{Lu}{2,}(?:[ .'’-]+\p{Lu}{2,})*\.?)((?:,\s*(?:\p{Lu}[\p{Ll}]{1,6}\.?|\p{Lu}{2}|(?i:` + reMonth + `)\s*\d{1,2}(?:,?\s*\d{4})?|\d{4}))*)\s+(?:—|–|--|-)\s+`),

		// Credit and caption labels: "Photo: …", "Image credit …",
		// "Illustration by …", "AP Photo/Jane Doe", a wire story's closing
		// "Reporting by …; Editing by …".
		credit: regexp.MustCompile(`(?i)^[(\[]?\s*(?:(?:(?:top|lead|header|hero|cover|featured?|main)\s+)?(?:photo|photograph|image|picture|illustration|graphic|video|visual|artwork|animation)s?\s*(?:illustration\s*)?(?:credits?|courtesy(?:\s+of)?|source|by|via)\b\s*:?|` +
			`(?:photo|photograph|image|picture|illustration|graphic|video|caption|credits?|source|courtesy)s?\s*:|courtesy\s+of\b|` +
			`(?:additional\s+)?(?:reporting|writing|editing|compiled)\s+by\s+(?-i:\p{Lu})|` +
			`(?:ap|afp|reuters|getty|getty images|epa|shutterstock|bloomberg|xinhua)\s*(?:photo|images?|via getty images)?\s*(?:/|$)|` +
			`(?:getty images|shutterstock|alamy|unsplash)\b[\s.]*$)`),

		// A credit in brackets anywhere: "(Photo by Jane Doe/Getty Images)".
		creditAside: regexp.MustCompile(`(?i)\s*[(\[](?:photo|photograph|image|picture|illustration|graphic|video|credit)s?\b[^()\[\]]{0,80}[)\]]`),
	}
})

// cleanSentence strips leading page clutter from one sentence and reports
// "" when nothing but clutter is left. lead marks the first sentence of a
// paragraph, the only place a bare place-name dateline appears.
func cleanSentence(s string, lead bool) string {
	s = strings.TrimSpace(s)
	if mayHaveCreditAside(s) {
		s = strings.TrimSpace(clutterRE().creditAside.ReplaceAllString(s, ""))
	}
	// Clutter stacks ("Advertisement By Jane Doe · Nov 25 WASHINGTON
	// (Reuters) - …"): strip until nothing more comes off.
	for range 6 {
		if s == "" {
			return ""
		}
		t := stripClutter(s, lead, true)
		if t == s {
			break
		}
		s = t
	}
	if s == "" || isBoilerplate(s) {
		return ""
	}
	return s
}

// mayHaveCreditAside: s has a bracket that a credit word may follow.
func mayHaveCreditAside(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '(' || s[i] == '[' {
			switch s[i+1] | 0x20 { // ASCII lower case
			case 'p', 'i', 'g', 'v', 'c':
				return true
			}
		}
	}
	return false
}

// cleanLead strips a dateline, byline or timestamp from the start of a
// paragraph before it is split into sentences, where an abbreviation in the
// dateline ("SAN JOSE, Calif. (Reuters) -") could split it off as a
// sentence of its own. Credits are left to cleanSentence: a credit runs to
// the end of its sentence, which is not yet known here.
func cleanLead(p string) string {
	p = strings.TrimSpace(p)
	for range 6 {
		if p == "" {
			return ""
		}
		t := stripClutter(p, true, false)
		if t == p {
			break
		}
		p = t
	}
	return p
}

// stripClutter removes one leading piece of clutter: "" means the whole
// sentence was clutter, s unchanged means there was none. credits says
// whether s is one sentence, so that a credit line may take all of it.
func stripClutter(s string, lead, credits bool) string {
	if rest, ok := cutUILabel(s); ok {
		return rest
	}
	// Cheap tests on the first word guard the expressions: most sentences
	// are prose, and this runs on every one of them.
	w := strings.ToLower(firstWord(strings.TrimLeft(s, " ·•|,/—–-:.")))
	if w == "by" {
		if m := clutterRE().byline.FindStringSubmatchIndex(s); m != nil && bylineName(s[m[2]:m[3]]) {
			if rest, ok := afterByline(s[m[1]:]); ok {
				return rest
			}
		}
	}
	if strings.ContainsAny(s, "·|•") {
		// A name set off by a separator, then only dates or a wire name:
		// "Jane Doe · 25 November 2026 · 4 min read", "Jane Doe | Reuters".
		if m := clutterRE().nameLine.FindStringIndex(s); m != nil {
			if rest, ok := afterByline(s[m[1]:]); ok && rest == "" {
				return ""
			}
		}
	}
	if mayBeMeta(w, s) {
		if rest, ok := afterTimestamp(s); ok {
			return rest
		}
	}
	if credits && mayBeCredit(w) && clutterRE().credit.MatchString(s) {
		return restAfterCredit(s)
	}
	// A wire dateline has its agency in brackets or slashes near the start.
	if strings.ContainsAny(s[:min(len(s), 100)], "(/") {
		if m := clutterRE().agencyDateline.FindStringSubmatchIndex(s); m != nil {
			agency := ""
			if m[4] >= 0 {
				agency = s[m[4]:m[5]]
			}
			// Bare call letters ("(WJLA)") count only after a place name,
			// so an acronym in brackets at the start of a sentence is not
			// taken for a wire credit.
			if agency == "" || m[2] >= 0 || knownAgency(agency) {
				return restOrEmpty(s, s[m[1]:])
			}
		}
	}
	if lead && len(w) >= 2 && allUpper(firstWord(s)) {
		// A dateline is followed by a sentence; "NASA — the agency — …"
		// opens an aside instead.
		if m := clutterRE().placeDateline.FindStringSubmatchIndex(s); m != nil && (m[5] > m[4] || letters(s[m[2]:m[3]]) >= 4) {
			if rest := strings.TrimSpace(s[m[1]:]); rest == "" || sentenceStart(rest) {
				return rest
			}
		}
	}
	return s
}

// afterByline returns what follows a byline's name: nothing when the
// sentence is only the byline (with dates, times or a wire name), the rest
// when a separator or a date sets it apart and it reads as a sentence. It
// reports false when the name may run into the text ("By Jane Doe Nimbus
// reported …") or what follows is no sentence: then it is not taken for a
// byline at all.
func afterByline(after string) (string, bool) {
	rest := strings.TrimSpace(after)
	for {
		t := rest
		if m := clutterRE().metaRun.FindStringIndex(t); m != nil {
			t = t[m[1]:]
		}
		if w := firstWord(t); w != "" && strings.HasPrefix(t, w) && knownAgency(w) {
			t = t[len(w):]
		} else if j := strings.IndexByte(t, ')'); strings.HasPrefix(t, "(") && j > 0 && knownAgency(strings.TrimSpace(t[1:j])) {
			t = t[j+1:]
		}
		t = strings.TrimSpace(t)
		if t == rest {
			break
		}
		rest = t
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", true
	}
	if rest == strings.TrimSpace(after) || !sentenceStart(rest) {
		return "", false
	}
	return rest, true
}

// afterTimestamp handles a sentence that opens with page metadata:
// "Updated 3 hours ago", "Published 25 Nov 2026 · …", "25 November 2026 ·
// 4 min read". A label needs a date or a time after it ("Published research
// shows …" is prose), and a bare date needs a separator before the text
// ("Nov 25 was the day …" keeps its date).
func afterTimestamp(s string) (string, bool) {
	m := clutterRE().metaRun.FindStringIndex(s)
	if m == nil || m[1] == 0 {
		return "", false
	}
	run, rest := s[:m[1]], strings.TrimSpace(s[m[1]:])
	labelled := false
	switch strings.ToLower(firstWord(s)) {
	case "updated", "published", "posted", "modified", "edited", "last", "first":
		labelled = true
	}
	dated := clutterRE().dateWord.MatchString(run)
	if !dated && !(labelled && hasMetaWord(run)) {
		return "", false
	}
	if rest == "" || strings.Trim(rest, ".") == "" {
		return "", true // nothing but the timestamp ("Updated", "25 Nov 2026")
	}
	if !dated {
		return "", false
	}
	if !labelled && !strings.ContainsAny(run, "·•|—–") {
		return "", false
	}
	if !sentenceStart(rest) {
		return "", false
	}
	return rest, true
}

// restAfterCredit drops a credit line, or only the credit when a clear
// separator divides it from a sentence.
func restAfterCredit(s string) string {
	for _, sep := range []string{" | ", " · ", " • ", " — ", " – "} {
		if i := strings.Index(s, sep); i > 0 && countWords(s[:i]) <= 8 {
			if rest := strings.TrimSpace(s[i+len(sep):]); sentenceStart(rest) && countWords(rest) >= 6 {
				return rest
			}
		}
	}
	return ""
}

// restOrEmpty keeps what follows a dateline: nothing if the dateline was
// all there was, the sentence after it otherwise.
func restOrEmpty(s, rest string) string {
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "" || strings.Trim(rest, ".") == "":
		return ""
	case countWords(rest) < 3:
		return s
	}
	return capitalize(rest)
}

// sentenceStart: at least three words, opening with a capital, a digit or
// a quotation.
func sentenceStart(s string) bool {
	if countWords(s) < 3 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"“‘'$€£", r)
}

// onlyMeta: the sentence is dates, times and separators ("25 November
// 2026 · 4 min read", "Updated 3 hours ago").
func onlyMeta(s string) bool {
	if !mayBeMeta(strings.ToLower(firstWord(strings.TrimLeft(s, " ·•|,/—–-:."))), s) {
		return false
	}
	m := clutterRE().metaRun.FindStringIndex(s)
	return m != nil && strings.Trim(s[m[1]:], " .") == "" && hasMetaWord(s)
}

// mayBeMeta: a sentence s whose first word (lower case) is w may open
// with page metadata.
func mayBeMeta(w, s string) bool {
	if w == "" {
		return false
	}
	if w[0] >= '0' && w[0] <= '9' {
		return true
	}
	switch w {
	case "updated", "published", "posted", "modified", "edited", "last", "first",
		"yesterday", "today", "just", "on", "at":
		return true
	case "a", "an", "one", "few":
		return strings.Contains(s, " ago")
	}
	if len(w) < 3 {
		return false
	}
	switch w[:3] {
	case "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
		"mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return clutterRE().dayOrMonth.MatchString(w)
	}
	return false
}

// mayBeCredit: a sentence whose first word (lower case) is w may be a
// credit line.
func mayBeCredit(w string) bool {
	switch strings.TrimSuffix(w, "s") {
	case "photo", "photograph", "image", "picture", "illustration", "graphic",
		"video", "visual", "artwork", "animation", "caption", "credit", "source",
		"courtesy", "top", "lead", "header", "hero", "cover", "featured", "feature",
		"main", "ap", "afp", "reuter", "getty", "epa", "shutterstock", "bloomberg",
		"xinhua", "reporting", "additional", "writing", "editing", "compiled":
		return true
	}
	return false
}

// hasMetaWord keeps a lone separator or a bare "On" from counting as
// metadata.
func hasMetaWord(s string) bool {
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			switch strings.ToLower(strings.Trim(f, ",.:")) {
			case "on", "at":
				continue
			}
			return true
		}
	}
	return false
}

// bylineName rejects "By Tuesday", "By March", "By Design": a name does
// not start with a day, a month or a word of an adverbial phrase.
func bylineName(name string) bool {
	w := strings.ToLower(strings.Trim(firstWord(strings.TrimPrefix(name, "The ")), "."))
	if clutterRE().dayOrMonth.MatchString(w) {
		return false
	}
	switch w {
	case "then", "now", "far", "contrast", "comparison", "default", "design", "definition", "itself", "themselves", "way", "all", "most", "some", "many", "late", "early", "mid", "end", "next", "this", "that", "these", "those":
		return false
	}
	return true
}

func allUpper(s string) bool {
	for _, r := range s {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return s != ""
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

func knownAgency(a string) bool { return clutterRE().knownAgency.MatchString(a) }

// cutUILabel removes a leading interface label that extraction glued to a
// sentence ("Advertisement Nimbus reported …", "Story continues below
// advertisement …"); a label alone is clutter.
func cutUILabel(s string) (string, bool) {
	for _, l := range []string{
		"story continues below advertisement", "article continues below advertisement",
		"continue reading below", "story continues below", "article continues below",
		"skip advertisement", "advertisement", "sponsored content", "sponsored",
		"scroll to continue", "scroll down to continue", "listen to this article",
	} {
		if !hasWordPrefix(s, l) {
			continue
		}
		rest := strings.TrimLeft(s[len(l):], " :-–—·|")
		if rest == "" || strings.Trim(rest, ".") == "" || onlyMeta(rest) {
			return "", true
		}
		if sentenceStart(rest) {
			return rest, true
		}
		return s, false
	}
	return s, false
}

// isBoilerplate reports a sentence that is the page talking, not the
// article: paywall and sign-in prompts, share/follow buttons, cookie
// banners, newsletter sign-ups, "Read more:" links, copyright lines.
func isBoilerplate(s string) bool {
	words := countWords(s)
	if words > 30 {
		return false
	}
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "’", "'"))
	ts := tokens(l)
	// Every interface phrase has one of a few words; most sentences have
	// none of them, and skip the phrase lists.
	interfaceTerm := false
	for _, t := range ts {
		if pageTerm(t) {
			interfaceTerm = true
			break
		}
	}
	if interfaceTerm {
		for _, p := range pagePhrases() {
			if strings.Contains(l, p) {
				return true
			}
		}
	}
	if labelLine(l) {
		return true
	}
	if len(ts) == 0 {
		return strings.ContainsRune(l, '©')
	}
	if strings.HasPrefix(l, "©") || strings.HasPrefix(l, "copyright ©") || strings.HasPrefix(l, "(c) ") {
		return true
	}
	if words > 15 {
		return false
	}
	// Prompts that news prose might quote ("customers who accept cookies")
	// count only when they speak to the reader or for the site.
	addressed := false
	for _, t := range ts {
		switch t {
		case "you", "your", "you're", "you've", "we", "our", "us":
			addressed = true
		}
	}
	if addressed && interfaceTerm {
		for _, p := range []string{
			"free article", "article limit", "reached your limit", "unlimited access",
			"members only", "member-only", "in your inbox", "download the app",
			"download our app", "get the app", "open in app",
			"become a member", "become a subscriber", "start your free trial",
			"support our journalism", "we use cookies", "accept cookies",
			"use of cookies", "our privacy policy", "our terms", "our cookie policy",
			"cookie settings", "leave a comment", "join the conversation",
		} {
			if strings.Contains(l, p) {
				return true
			}
		}
	}
	// A short imperative aimed at the page: "Sign in to read more",
	// "Follow us on X", "Download the app", "Log in".
	i := 0
	for i < len(ts) && ts[i] == "please" {
		i++
	}
	if v := uiVerb(ts[i:]); v > 0 {
		if v == teaserVerb || v == strongVerb && onlyFiller(ts[i+1:]) {
			return true
		}
		for _, t := range ts[i+1:] {
			if uiObject(t) {
				return true
			}
		}
	}
	// Nothing but interface words: "Facebook Twitter LinkedIn Email",
	// "Most popular", "Privacy Policy | Terms of Service".
	content, ui := 0, 0
	for _, t := range ts {
		if isStopword(t) {
			continue // "here", "more", "about": too common to judge by
		}
		content++
		if uiWord(t) {
			ui++
		}
	}
	return content > 0 && ui == content
}

// onlyFiller: nothing but function words and interface words ("now",
// "this", "for free").
func onlyFiller(ts []string) bool {
	for _, t := range ts {
		if !isStopword(t) && !uiWord(t) && !uiObject(t) {
			return false
		}
	}
	return true
}

// pageTerm: one of the words that every phrase of pagePhrases and of the
// reader-addressed prompts in isBoilerplate contains.
func pageTerm(t string) bool {
	if len(t) >= 3 {
		switch t[:3] {
		case "sub", "mem", "coo", "reg", "sig", "log", "com", "new", "tha":
			for _, p := range [...]string{"subscri", "member", "cookie", "regist", "sign", "log", "comment", "newsletter", "thank"} {
				if strings.HasPrefix(t, p) {
					return true
				}
			}
		}
	}
	switch t {
	case "reserved", "account", "skip", "javascript", "link", "share", "follow",
		"inbox", "email", "continues", "reading", "commission", "print", "click",
		"tap", "article", "limit", "unlimited", "app", "trial", "free",
		"journalism", "privacy", "terms", "conversation", "download", "ad",
		"blocker", "adblocker", "originally", "updated":
		return true
	}
	return false
}

// pagePhrases are what only a page's interface says: wherever they occur
// in a sentence of up to 30 words, the sentence is boilerplate.
func pagePhrases() []string {
	return []string{
		"all rights reserved", "subscribe to continue", "subscribe to keep reading",
		"subscribe to read", "already a subscriber", "already subscribed",
		"already have an account", "is for subscribers", "for subscribers only",
		"subscriber-only", "subscriber only", "subscribers-only",
		"exclusive to subscribers", "only available to subscribers",
		"is available to subscribers", "sign in to read", "log in to read",
		"sign in to continue", "log in to continue", "sign in to access",
		"log in to access", "register to continue", "register to read",
		"create a free account", "skip to content", "skip to main content",
		"enable javascript", "javascript is disabled", "accept all cookies",
		"link copied", "share this article", "share this story", "share this post",
		"share this page", "follow us on", "sign up for our newsletter",
		"subscribe to our newsletter", "sign up to our newsletter",
		"newsletter sign-up", "newsletter signup", "delivered to your inbox",
		"straight to your inbox", "enter your email", "story continues below",
		"article continues below", "thanks for reading", "thank you for reading",
		"we may earn a commission", "may earn an affiliate commission",
		"comments are closed", "print this article", "email this article",
		"click here", "tap here", "ad blocker", "adblocker",
		"this article originally", "this story originally", "this post originally",
		"this article was originally", "this story was originally",
		"this article has been updated", "this story has been updated",
	}
}

// labelLine: a link label with its target ("Read more: …", "Related: …",
// "See also: …") or the label alone.
func labelLine(l string) bool {
	for _, p := range []string{
		"read more", "read also", "also read", "read next", "up next", "related",
		"related articles", "related stories", "related content", "related reading",
		"related coverage", "see also", "more from", "more on this", "recommended",
		"recommended reading", "recommended for you", "don't miss", "must read",
		"most popular", "most read", "trending", "trending now", "editor's picks",
		"further reading", "you may also like", "you might also like",
		"watch", "listen", "advertisement", "sponsored", "topics", "tags",
		"filed under", "more stories", "latest news", "top stories",
	} {
		if !strings.HasPrefix(l, p) {
			continue
		}
		rest := strings.TrimSpace(l[len(p):])
		if rest == "" || strings.Trim(rest, ".…»›>") == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "»") || strings.HasPrefix(rest, "›") || strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, "·") {
			return true
		}
	}
	return false
}

// Kinds of interface verbs: a teaser ("Read more about …") is always page
// text; a strong verb ("Subscribe now", "Log in") or one that prose also
// uses ("Share this") when nothing but filler follows it; any of them with
// an interface object ("Share this article", "Follow us", "Get the app").
const (
	weakVerb = iota + 1
	strongVerb
	teaserVerb
)

// uiVerb reports whether the tokens open with a verb that asks the reader
// to work the page, and its kind (0 if not).
func uiVerb(ts []string) int {
	if len(ts) == 0 {
		return 0
	}
	if len(ts) > 1 {
		switch ts[0] + " " + ts[1] {
		case "read more", "see more", "load more", "show more":
			if len(ts) > 2 && ts[2] == "than" {
				return 0 // "Read more than the abstract …"
			}
			return teaserVerb
		case "view comments", "see comments", "show comments", "continue reading", "keep reading":
			return teaserVerb
		case "sign in", "sign up", "log in", "log out", "opt in", "opt out":
			return strongVerb
		}
	}
	switch ts[0] {
	case "subscribe", "login", "signin", "signup", "register", "download", "bookmark", "tweet",
		"share", "follow", "print", "email", "comment", "save":
		return strongVerb
	case "click", "tap", "accept", "join", "unlock", "upgrade",
		"donate", "get", "gift", "support", "become", "create", "try", "start", "enter",
		"continue", "like", "manage", "reject":
		return weakVerb
	}
	return 0
}

// uiObject: what such a verb acts on in interface text.
func uiObject(t string) bool {
	switch t {
	case "article", "articles", "story", "stories", "newsletter", "newsletters",
		"inbox", "email", "e-mail", "subscription", "subscriber", "subscribers",
		"subscribe", "account", "app", "apps", "cookies", "cookie", "us", "our",
		"here", "free", "access", "membership", "member", "members", "alerts",
		"notifications", "read", "reading", "facebook", "twitter", "linkedin",
		"instagram", "youtube", "tiktok", "whatsapp", "telegram", "reddit",
		"bluesky", "mastodon", "rss", "comments", "trial", "offer", "journalism",
		"premium", "unlimited", "page", "link":
		return true
	}
	return false
}

// uiWord is the vocabulary of page furniture.
func uiWord(t string) bool {
	if uiObject(t) && t != "us" && t != "our" && t != "free" && t != "read" {
		return true
	}
	switch t {
	case "subscribe", "subscribed", "subscriptions", "sign", "signin", "signup",
		"login", "log", "logout", "register", "registration", "share", "shares",
		"follow", "click", "tap", "download", "accept", "advertisement", "ad",
		"ads", "sponsored", "privacy", "policy", "terms", "rights", "reserved",
		"copyright", "popular", "trending", "related", "recommended", "menu",
		"search", "home", "password", "username", "skip", "content", "javascript",
		"browser", "print", "bookmark", "continue", "x", "whatsapp", "pinterest",
		"service", "contact", "top", "loading", "gallery":
		return true
	}
	return false
}
