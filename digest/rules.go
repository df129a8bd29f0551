package digest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

// Rule fields: what part of an item a rule looks at.
const (
	FieldTitle    = "title"
	FieldURL      = "url"
	FieldContent  = "content"
	FieldAuthor   = "author"
	FieldCategory = "category"
	FieldFeed     = "feed" // the feed's title and URL
	FieldAny      = "any"  // all of the above
)

// Rule actions.
const (
	ActionDrop    = "drop"    // remove matching items
	ActionKeep    = "keep"    // keep-only: when a scope has keep rules, items matching none of them are removed
	ActionBoost   = "boost"   // add Value to the score
	ActionLower   = "lower"   // subtract Value from the score
	ActionPin     = "pin"     // put the story first in its section (and its section first unless Definition.Sections orders them); exempt from per-feed and per-section quotas
	ActionSection = "section" // move the story to Section
)

// RuleSpec is a rule as written in the config ([[rule]], [[digest.rule]],
// [[feed.rule]]).
type RuleSpec struct {
	Field   string  // one of the Field constants; "" means "any"
	Match   string  // plain phrase: case-insensitive, whole words, any run of spaces matches any whitespace
	Regex   string  // or a regular expression (RE2 syntax; add (?i) for case-insensitivity)
	Action  string  // one of the Action constants
	Value   float64 // score points for boost and lower (additive, see rank.go); must be > 0
	Section string  // target of the section action
	FeedURL string  // set for per-feed rules: the rule applies only to that feed's items
}

// Rule is a compiled RuleSpec. Make it with CompileRule.
type Rule struct {
	RuleSpec
	re     *regexp.Regexp
	phrase []string // lower-cased words of Match; searched without regexp, which is several times faster on article text
	ascii  bool     // phrase is ASCII: matched case-insensitively without lower-casing the text
}

// CompileRule checks a rule and compiles its pattern. The errors name the
// offending key; the config code adds file and line.
func CompileRule(spec RuleSpec) (Rule, error) {
	spec.Field = strings.ToLower(strings.TrimSpace(spec.Field))
	spec.Action = strings.ToLower(strings.TrimSpace(spec.Action))
	spec.Section = strings.TrimSpace(spec.Section)
	spec.FeedURL = strings.TrimSpace(spec.FeedURL)
	if spec.Field == "" {
		spec.Field = FieldAny
	}
	switch spec.Field {
	case FieldTitle, FieldURL, FieldContent, FieldAuthor, FieldCategory, FieldFeed, FieldAny:
	default:
		return Rule{}, fmt.Errorf("rule field %q is unknown (want title, url, content, author, category, feed or any)", spec.Field)
	}
	switch spec.Action {
	case ActionDrop, ActionKeep, ActionPin:
	case ActionBoost, ActionLower:
		if spec.Value <= 0 {
			return Rule{}, fmt.Errorf("rule action %q needs a positive value (score points)", spec.Action)
		}
	case ActionSection:
		if spec.Section == "" {
			return Rule{}, errors.New("rule action \"section\" needs a section")
		}
	case "":
		return Rule{}, errors.New("rule has no action (want drop, keep, boost, lower, pin or section)")
	default:
		return Rule{}, fmt.Errorf("rule action %q is unknown (want drop, keep, boost, lower, pin or section)", spec.Action)
	}
	if spec.Section != "" && spec.Action != ActionSection {
		return Rule{}, fmt.Errorf("rule has a section but action %q; use action \"section\"", spec.Action)
	}
	switch {
	case spec.Match != "" && spec.Regex != "":
		return Rule{}, errors.New("rule has both match and regex; use one")
	case spec.Regex != "":
		re, err := regexp.Compile(spec.Regex)
		if err != nil {
			return Rule{}, fmt.Errorf("rule regex %q: %w", spec.Regex, err)
		}
		return Rule{RuleSpec: spec, re: re}, nil
	case strings.TrimSpace(spec.Match) != "":
		return Rule{RuleSpec: spec, phrase: strings.Fields(strings.ToLower(spec.Match)), ascii: isASCII(spec.Match)}, nil
	default:
		return Rule{}, errors.New("rule needs match or regex")
	}
}

// matchPhrase reports whether text contains the lower-cased words as whole
// words, separated by any whitespace: "go" matches "Go 1.26" but not
// "Google". A boundary is only required where the phrase itself starts or
// ends with a letter or digit, so "c++" and ".net" still work. With ascii
// set (the phrase is ASCII) text is compared case-insensitively as it is;
// otherwise text must already be lower-cased.
func matchPhrase(text string, words []string, ascii bool) bool {
	index, hasPrefix := strings.Index, strings.HasPrefix
	if ascii {
		index, hasPrefix = indexFoldASCII, hasPrefixFoldASCII
	}
	first, last := words[0], words[len(words)-1]
	r0, _ := utf8.DecodeRuneInString(first)
	rn, _ := utf8.DecodeLastRuneInString(last)
	needLeft, needRight := isWordRune(r0), isWordRune(rn)
	for from := 0; from < len(text); {
		i := index(text[from:], first)
		if i < 0 {
			return false
		}
		start := from + i
		from = start + 1
		if needLeft && start > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:start]); isWordRune(r) {
				continue
			}
		}
		end, ok := start+len(first), true
		for _, w := range words[1:] {
			j := end
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !unicode.IsSpace(r) {
					break
				}
				j += size
			}
			if j == end || !hasPrefix(text[j:], w) {
				ok = false
				break
			}
			end = j + len(w)
		}
		if !ok {
			continue
		}
		if needRight && end < len(text) {
			if r, _ := utf8.DecodeRuneInString(text[end:]); isWordRune(r) {
				continue
			}
		}
		return true
	}
	return false
}

// indexFoldASCII is strings.Index ignoring ASCII case, for a lower-case
// ASCII sub; it neither allocates nor mistakes UTF-8 bytes for ASCII.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) == sub[0] && hasPrefixFoldASCII(s[i:], sub) {
			return i
		}
	}
	return -1
}

func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord(byte(r)) || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// asciiWord reports whether c is an ASCII letter or digit (small enough to
// be inlined in the hot loops).
func asciiWord(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// String describes the rule for a story's "why": "boost 'postgres'".
func (r Rule) String() string {
	pat := "'" + strings.Join(strings.Fields(r.Match), " ") + "'"
	if r.Regex != "" {
		pat = "/" + r.Regex + "/"
	}
	s := r.Action + " " + pat
	if r.Field != FieldAny {
		s += " in " + r.Field
	}
	if r.Action == ActionSection {
		s += " to " + r.Section
	}
	return s
}

// AppliesTo reports whether the rule is global or belongs to feed f.
func (r Rule) AppliesTo(f tidings.Feed) bool {
	if r.FeedURL == "" {
		return true
	}
	// A feed's ID derives from the URL it was subscribed with, which stays
	// in the config even after a permanent redirect changed f.URL.
	return sameURL(r.FeedURL, f.URL) || tidings.NewFeedID(r.FeedURL) == f.ID
}

func sameURL(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Host, ub.Host) && strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/") && ua.RawQuery == ub.RawQuery
}

// Matches reports whether the rule's pattern matches item it of feed f.
// It does not check the rule's scope (see AppliesTo).
func (r Rule) Matches(it tidings.Item, f tidings.Feed) bool {
	return r.matchFields(&fieldText{item: &it, feed: &f})
}

var anyFields = [...]string{FieldTitle, FieldURL, FieldContent, FieldAuthor, FieldCategory, FieldFeed}

func (r Rule) matchFields(ft *fieldText) bool {
	if r.Field == FieldAny {
		for _, f := range anyFields {
			if r.matchField(ft, f) {
				return true
			}
		}
		return false
	}
	return r.matchField(ft, r.Field)
}

func (r Rule) matchField(ft *fieldText, field string) bool {
	switch {
	case r.re != nil:
		return r.re.MatchString(ft.get(field))
	case len(r.phrase) > 0 && r.ascii:
		return matchPhrase(ft.get(field), r.phrase, true)
	case len(r.phrase) > 0:
		return matchPhrase(ft.lower(field), r.phrase, false)
	}
	return false
}

// fieldText extracts an item's fields for matching, each at most once.
type fieldText struct {
	item    *tidings.Item
	feed    *tidings.Feed
	content *string
	lowered [len(anyFields)]*string
}

// lower returns the field lower-cased, computed once per item.
func (ft *fieldText) lower(field string) string {
	for i, f := range anyFields {
		if f == field {
			if ft.lowered[i] == nil {
				l := strings.ToLower(ft.get(field))
				ft.lowered[i] = &l
			}
			return *ft.lowered[i]
		}
	}
	return strings.ToLower(ft.get(field))
}

func (ft *fieldText) get(field string) string {
	it := ft.item
	switch field {
	case FieldTitle:
		return it.Title
	case FieldURL:
		return it.URL
	case FieldContent:
		if ft.content == nil {
			c := plainText(*it)
			ft.content = &c
		}
		return *ft.content
	case FieldAuthor:
		return strings.Join(it.Authors, "\n")
	case FieldCategory:
		return strings.Join(it.Categories, "\n")
	case FieldFeed:
		return ft.feed.Title + "\n" + ft.feed.URL
	}
	return ""
}

// verdict is what the rules decided about one item.
type verdict struct {
	drop      string // non-empty: why the item is removed
	published bool   // in Input.Exclude: already in an edition
	pin       bool
	section   string
	rules     []int // indexes of matching boost, lower and pin rules
}

// judge applies the rules to one item: drop and keep-only first, then the
// scoring ones. Per-feed rules are applied after global ones, so a feed's
// section rule wins over a global one.
//
// applies[i] says whether rule i is in scope for the item's feed.
func judge(rules []Rule, applies []bool, it *tidings.Item, f *tidings.Feed) verdict {
	var v verdict
	ft := &fieldText{item: it, feed: f}
	var keepGlobal, keepFeed, keptGlobal, keptFeed bool
	for pass := 0; pass < 2; pass++ {
		perFeed := pass == 1
		for i := range rules {
			r := &rules[i]
			if (r.FeedURL != "") != perFeed || !applies[i] {
				continue
			}
			if r.Action == ActionKeep {
				if perFeed {
					keepFeed = true
				} else {
					keepGlobal = true
				}
			}
			if !r.matchFields(ft) {
				continue
			}
			switch r.Action {
			case ActionDrop:
				if v.drop == "" {
					v.drop = "rule: " + r.String()
				}
			case ActionKeep:
				if perFeed {
					keptFeed = true
				} else {
					keptGlobal = true
				}
			case ActionPin:
				v.pin = true
				v.rules = append(v.rules, i)
			case ActionBoost, ActionLower:
				v.rules = append(v.rules, i)
			case ActionSection:
				v.section = r.Section
			}
		}
	}
	if v.drop == "" && keepGlobal && !keptGlobal {
		v.drop = "keep-only rules: no match"
	}
	if v.drop == "" && keepFeed && !keptFeed {
		v.drop = "feed keep-only rules: no match"
	}
	return v
}
