package feed

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// TestToUTF8Encodings: feeds in the legacy encodings still in use decode to
// the text they mean, whether the XML prolog or HTTP names the encoding.
func TestToUTF8Encodings(t *testing.T) {
	tests := []struct {
		label string
		enc   encoding.Encoding
		text  string
	}{
		{"Shift_JIS", japanese.ShiftJIS, "日本語のニュース"},
		{"EUC-JP", japanese.EUCJP, "日本語のニュース"},
		{"ISO-2022-JP", japanese.ISO2022JP, "日本語のニュース"},
		{"GBK", simplifiedchinese.GBK, "中文新闻标题"},
		{"GB2312", simplifiedchinese.GBK, "中文新闻标题"}, // WHATWG reads gb2312 as GBK
		{"gb18030", simplifiedchinese.GB18030, "中文新闻标题"},
		{"Big5", traditionalchinese.Big5, "中文新聞標題"},
		{"EUC-KR", korean.EUCKR, "한국어 뉴스"},
		{"KOI8-R", charmap.KOI8R, "Новости дня"},
		{"windows-1251", charmap.Windows1251, "Новости дня"},
		{"ISO-8859-2", charmap.ISO8859_2, "Zażółć gęślą jaźń"},
		{"windows-1252", charmap.Windows1252, "Café – “quoted”"},
		{"ISO-8859-7", charmap.ISO8859_7, "Ειδήσεις"},
	}
	for _, tc := range tests {
		for _, via := range []string{"prolog", "http", "http utf-8, prolog"} {
			t.Run(tc.label+"/"+via, func(t *testing.T) {
				doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>` + tc.text + `</title></channel></rss>`
				ct := "application/rss+xml; charset=" + tc.label
				if via != "http" {
					doc = `<?xml version="1.0" encoding="` + tc.label + `"?>` + doc[len(`<?xml version="1.0"?>`):]
					ct = "application/rss+xml"
					if via != "prolog" {
						ct += "; charset=utf-8"
					}
				}
				raw, err := tc.enc.NewEncoder().String(doc)
				if err != nil {
					t.Fatal(err)
				}
				out, _, err := toUTF8([]byte(raw), ct)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(out), "<title>"+tc.text+"</title>") {
					t.Errorf("decoded: %q", out)
				}
			})
		}
	}
}
