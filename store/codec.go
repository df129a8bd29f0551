package store

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tidings/tidings"
)

// Value formats. The first byte of an item or edition value names its
// format, so a later format can be added without rewriting old values.
const (
	// fmtItemV1: tag, fingerprint (8), first seen ns (8), DEFLATE(JSON) with dictV1.
	fmtItemV1 = 0x01
	// fmtDeflateV1: tag, DEFLATE(JSON) with dictV1.
	fmtDeflateV1 = 0x02

	itemHeadLen = 1 + 8 + 8
	// maxInflated bounds what a (damaged) value may expand to.
	maxInflated = 64 << 20
)

// dictV1 primes the compressor with what every item and edition repeats
// (JSON field names, HTML markup, common English), which matters most for
// short items. It is part of the file format: never change it; add dictV2
// with a new format tag instead. The most frequent strings come last,
// where back-references are cheapest.
const dictV1 = ` which would there their about after other could these people because through between however without during against although another whether something example important different` +
	` the same as well as in order to for example it is not one of the this is that the there is we have you can` +
	`<blockquote><p></p></blockquote><pre><code></code></pre><figure><img src="https://" alt=""><figcaption></figcaption></figure>` +
	`<h2></h2><h3></h3><ul><li></li></ul><ol><li></li></ol><strong></strong><em></em><code></code><br>` +
	`,"engine":"extractive","reading_minutes":,"key_points":["","glossary":[{"term":"","definition":""}],"sources":[{"title":"","url":"https://"}],"score":,"why":"","pinned":true` +
	`{"digest":"","number":,"title":"","description":"","slot":"","built":"","from":"","to":"","sections":[{"name":"","entries":[{"item_id":"","kind":"","feed_title":"","tldr":"","content_html":"<p>` +
	`{"id":"","feed_id":,"identity":"https://","guid":"https://","url":"https://","title":"","authors":[""],"categories":["",""],"enclosures":[{"url":"https://","type":"","length":}],"lang":"en",` +
	`"published":"2026-01-01T00:00:00Z","updated":"0001-01-01T00:00:00Z","first_seen":"2026-01-01T00:00:00.000000000Z","last_seen":"2026-01-01T00:00:00.000000000Z",` +
	`"summary":"<p>","content":"<p>","text":"","content_hash":"","full_text":"extracted"}` +
	` and the of the to the in the on the for the with the that is and a is a to be it is of a in a ` +
	`</a> <a href="https://www.</p>` + "\n" + `<p>`

// codec compresses values, reusing the (large) DEFLATE state.
type codec struct {
	writers sync.Pool // *flate.Writer
	readers sync.Pool // io.ReadCloser that is a flate.Resetter
}

func newCodec() *codec { return &codec{} }

// marshal encodes v as JSON without escaping <, > and & (HTML bodies would
// grow six bytes per tag character).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// deflate appends the compressed JSON of v to dst.
func (c *codec) deflate(dst []byte, v any) ([]byte, error) {
	js, err := marshal(v)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(dst)
	w, _ := c.writers.Get().(*flate.Writer)
	if w == nil {
		if w, err = flate.NewWriterDict(buf, flate.DefaultCompression, []byte(dictV1)); err != nil {
			return nil, err
		}
	} else {
		w.Reset(buf)
	}
	defer c.writers.Put(w)
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inflate decodes compressed JSON into v. The result shares no memory with
// data (it may be bbolt's mmap).
func (c *codec) inflate(data []byte, v any) error {
	src := bytes.NewReader(data)
	r, _ := c.readers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, []byte(dictV1))
	} else if err := r.(flate.Resetter).Reset(src, []byte(dictV1)); err != nil {
		return err
	}
	defer c.readers.Put(r)
	js, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return fmt.Errorf("inflate: %w", err)
	}
	if len(js) > maxInflated {
		return errors.New("inflate: value too large")
	}
	return json.Unmarshal(js, v)
}

// itemFingerprint changes whenever an item's stored version should be
// replaced: new content (by the feed's hash, or the content itself when
// there is none), title or URL.
func itemFingerprint(it *tidings.Item) [8]byte {
	h := sha256.New()
	if it.ContentHash != "" {
		h.Write([]byte("h\x00" + it.ContentHash + "\x00"))
	} else {
		h.Write([]byte("c\x00" + it.Summary + "\x00" + it.Content + "\x00"))
	}
	h.Write([]byte(it.Title + "\x00" + it.URL))
	var fp [8]byte
	copy(fp[:], h.Sum(nil))
	return fp
}

// encodeItem builds an item value: a small uncompressed head, so a poll
// decides "unchanged" without inflating, and the compressed JSON.
func (c *codec) encodeItem(it *tidings.Item) ([]byte, error) {
	head := make([]byte, itemHeadLen, itemHeadLen+len(it.Content)/3+256)
	head[0] = fmtItemV1
	fp := itemFingerprint(it)
	copy(head[1:9], fp[:])
	binary.BigEndian.PutUint64(head[9:17], nsKey(it.FirstSeen))
	return c.deflate(head, it)
}

// itemHead is the uncompressed part of an item value.
type itemHead struct {
	fingerprint [8]byte
	firstSeen   uint64
}

func decodeItemHead(v []byte) (itemHead, error) {
	if len(v) < itemHeadLen || v[0] != fmtItemV1 {
		return itemHead{}, fmt.Errorf("unknown item value format (%d bytes)", len(v))
	}
	var h itemHead
	copy(h.fingerprint[:], v[1:9])
	h.firstSeen = binary.BigEndian.Uint64(v[9:17])
	return h, nil
}

func (c *codec) decodeItem(v []byte) (tidings.Item, error) {
	var it tidings.Item
	if _, err := decodeItemHead(v); err != nil {
		return it, err
	}
	err := c.inflate(v[itemHeadLen:], &it)
	return it, err
}

func (c *codec) encodeCompressed(v any) ([]byte, error) {
	return c.deflate([]byte{fmtDeflateV1}, v)
}

func (c *codec) decodeCompressed(data []byte, v any) error {
	if len(data) < 1 || data[0] != fmtDeflateV1 {
		return fmt.Errorf("unknown value format (%d bytes)", len(data))
	}
	return c.inflate(data[1:], v)
}

// nsKey is t as big-endian-sortable unix nanoseconds; the zero time and
// times before 1970 sort first as 0.
func nsKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

func fromNS(n uint64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return b
}

// join concatenates key parts into a fresh slice.
func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// itemKeyLen is the length of the key of an ID made by tidings.ItemID.
const itemKeyLen = 10

// itemKey is the compact key of an item id: the 10 bytes behind the
// lower-case hex of tidings.ItemID. Any other id is stored as 0xff + its
// bytes, padded with a 0x00 if that would make it 10 bytes long, so the two
// forms never collide.
func itemKey(id string) []byte {
	if len(id) == 2*itemKeyLen {
		if b, err := hex.DecodeString(id); err == nil && hex.EncodeToString(b) == id {
			return b
		}
	}
	k := append([]byte{0xff}, id...)
	if len(k) == itemKeyLen {
		k = append(k, 0)
	}
	return k
}

// itemIDFromKey reverses itemKey.
func itemIDFromKey(k []byte) string {
	switch {
	case len(k) == itemKeyLen:
		return hex.EncodeToString(k)
	case len(k) == itemKeyLen+1 && k[0] == 0xff && k[itemKeyLen] == 0:
		return string(k[1:itemKeyLen])
	case len(k) > 0 && k[0] == 0xff:
		return string(k[1:])
	}
	return hex.EncodeToString(k)
}
