package store

import (
	"fmt"
	"testing"

	"github.com/tidings/tidings"
)

func TestItemCodecRoundTrip(t *testing.T) {
	c := newCodec()
	p := newProse(9)
	formats := map[byte]bool{}
	for _, size := range []int{0, 300, 5000, 40000, 100000} {
		it := p.article("x", size)
		it.ID, it.FeedID, it.FirstSeen, it.LastSeen = tidings.ItemID(7, it.Identity), 7, t0, t0
		it.Content += ` <a href="https://e.example/?a=1&b=2">x</a> "quoted" & <script>`
		v, err := c.encodeItem(&it)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.decodeItem(v)
		if err != nil {
			t.Fatal(err)
		}
		if got.Content != it.Content || got.Text != it.Text || !got.FirstSeen.Equal(t0) || got.ID != it.ID {
			t.Errorf("size %d: item did not round-trip", size)
		}
		want := byte(fmtItemV2)
		if len(it.Text) > longText {
			want = fmtItemV2Zstd
		}
		if v[0] != want {
			t.Errorf("size %d: format %d, want %d", size, v[0], want)
		}
		formats[v[0]] = true
		h, _ := decodeItemHead(v)
		if h.fingerprint != itemFingerprint(&it) || h.firstSeen != nsKey(t0) {
			t.Errorf("size %d: head %+v", size, h)
		}
	}
	if !formats[fmtItemV2] || !formats[fmtItemV2Zstd] {
		t.Errorf("formats written: %v, want both DEFLATE and zstd", formats)
	}
}

func TestItemKey(t *testing.T) {
	for _, id := range []string{tidings.ItemID(1, "a"), "custom-id", "ten-chars!", "0123456789abcdef012z", "0123456789ABCDEF0123", ""} {
		k := itemKey(id)
		if got := itemIDFromKey(k); got != id {
			t.Errorf("itemIDFromKey(itemKey(%q)) = %q", id, got)
		}
	}
	if len(itemKey(tidings.ItemID(1, "a"))) != itemKeyLen {
		t.Error("ItemID key is not compact")
	}
}

// FuzzDecodeValue feeds arbitrary bytes, as a damaged file would, to the
// value decoders: they may fail but never panic, and what decodes must
// encode and decode again.
func FuzzDecodeValue(f *testing.F) {
	c := newCodec()
	p := newProse(11)
	seedItems := func(v1 bool) {
		for _, size := range []int{0, 200, 3000, 40000} {
			it := p.article("seed", size)
			v, err := c.encodeItem(&it)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(v)
			f.Add(v[:len(v)/2])
			if v1 {
				f.Add(itemV1(f, &it))
			}
		}
	}
	seedItems(true)
	// Values that name a shared dictionary: the codec knows dictionary 1.
	var sample []byte
	for i := 0; len(sample) < dictMinBytes; i++ {
		it := p.article(fmt.Sprint("dict", i), 3000)
		sample = append(sample, it.Content...)
	}
	c.addDict(newDictionary(1, t0, sample), true)
	seedItems(false)
	e, err := c.encodeCompressed(edition("daily", t0, "a", "b"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(e)
	f.Add(deflateV1(f, []byte{fmtDeflateV1}, edition("daily", t0, "a")))
	f.Add([]byte{fmtItemV1})
	f.Add([]byte{fmtItemV2})
	f.Add([]byte{fmtItemV2Zstd})
	f.Add([]byte{fmtItemV3})
	f.Add([]byte{fmtDeflateV1, 0x03, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if it, err := c.decodeItem(data); err == nil {
			v, err := c.encodeItem(&it)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if _, err := c.decodeItem(v); err != nil {
				t.Fatalf("decode of re-encoded item: %v", err)
			}
		}
		var ed tidings.Edition
		if err := c.decodeCompressed(data, &ed); err == nil {
			v, err := c.encodeCompressed(&ed)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			var again tidings.Edition
			if err := c.decodeCompressed(v, &again); err != nil {
				t.Fatalf("decode of re-encoded edition: %v", err)
			}
		}
		if len(data) > 0 && (data[0] == fmtItemV1 || data[0] == fmtItemV2 || data[0] == fmtItemV2Zstd || data[0] == fmtItemV3) {
			decodeItemHead(data)
		}
	})
}
