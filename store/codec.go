package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"

	"github.com/tidings/tidings"
)

// Value formats. The first byte of an item or edition value names its
// format, so a later format can be added without rewriting old values.
// Items are written in the V2 formats; V1 items stay readable.
const (
	// fmtItemV1: tag, fingerprint (8), first seen ns (8), DEFLATE(JSON)
	// with dictV1. Read only.
	fmtItemV1 = 0x01
	// fmtDeflateV1: tag, DEFLATE(JSON) with dictV1. Editions.
	fmtDeflateV1 = 0x02
	// fmtItemV2: tag, fingerprint (8), first seen ns (8), DEFLATE with
	// dictV1 of the payload: uvarint len(Text), Text, uvarint
	// len(Content), Content, JSON of the item without Text and Content.
	// Content follows Text directly, so its copy of Text's words is close
	// behind; neither is JSON-escaped (no scan, no \" in attributes).
	fmtItemV2 = 0x03
	// fmtItemV2Zstd: like fmtItemV2, the payload in a zstd frame. For long
	// texts, whose repeats in Content lie beyond DEFLATE's 32 KB window.
	fmtItemV2Zstd = 0x04
	// fmtItemV3: like fmtItemV2, the payload in a zstd frame compressed
	// with the shared dictionary its frame header names (dict.go).
	fmtItemV3 = 0x05

	itemHeadLen = 1 + 8 + 8
	// maxInflated bounds what a (damaged) value may expand to.
	maxInflated = 64 << 20
	// deflateLevel of klauspost's DEFLATE encoder: on item bodies as small
	// as the standard library's default level (within 3%) at three times
	// its speed. zstd's SpeedDefault is as fast but 5–25% larger on prose
	// and small items.
	deflateLevel = 5
	// longText is the Text length from which an item is compressed with
	// zstd: beyond DEFLATE's 32 KB window, Content's copy of the text's
	// start is out of reach (measured on 45–120 KB bodies: zstd 34%
	// smaller). Below it DEFLATE is as small or smaller (at 26 KB of text:
	// 2%) and needs no extra encoder.
	longText = 32 << 10
	// zstdWindow bounds zstd's back-references and its encoders' memory.
	zstdWindow = 256 << 10
	// maxEncoders bounds the encoders alive at once (about 1 MiB each,
	// which the GC's heap target doubles). Compression is a fraction of a
	// poll's CPU: two at a time are enough even on a 4-core Pi.
	maxEncoders = 2
	// maxPooledBuf: scratch buffers grown past this are left to the GC, so
	// one huge item does not pin its buffer.
	maxPooledBuf = 1 << 20
)

// dictV1 primes DEFLATE with what every item and edition repeats (JSON
// field names, HTML markup, common English), which matters most for short
// items. It is part of the file format: never change it; add dictV2 with
// a new format tag instead. The most frequent strings come last, where
// back-references are cheapest. (fmtItemV2Zstd values use no dictionary:
// at zstd's default level a dictionary costs a copy of 1.25 MiB of match
// tables for every value. fmtItemV3 values use a shared dictionary at the
// fastest level, which does not; see dict.go.)
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

// codec encodes and decodes values. Encoding runs in the callers'
// goroutines, outside write transactions, so it is safe for concurrent
// use. At most min(GOMAXPROCS, maxEncoders) encodes run at once. DEFLATE
// encoders are pooled (the GC frees them when the daemon idles); zstd's
// encoder and decoder are made on the first long item.
type codec struct {
	slots     chan struct{}
	deflaters sync.Pool          // *flate.Writer at deflateLevel with dictV1
	zencoder  chan *zstd.Encoder // keeps one; see compressZstd
	inflaters sync.Pool          // io.ReadCloser that is a flate.Resetter
	decOnce   sync.Once
	zdec      *zstd.Decoder
	zdecErr   error
	bufs      sync.Pool // *[]byte scratch for payloads

	// Shared dictionaries (dict.go), guarded by dictMu.
	dictMu   sync.RWMutex
	cur      *dictionary            // nil until the first one exists
	dicts    map[uint32]*dictionary // every stored one, for decoding
	decoders map[uint32]*zstd.Decoder
	sample   *sampler // while the first full dictionary is gathered
	closed   bool
}

func newCodec() *codec {
	return &codec{
		slots:    make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), maxEncoders))),
		zencoder: make(chan *zstd.Encoder, 1),
		dicts:    map[uint32]*dictionary{},
		decoders: map[uint32]*zstd.Decoder{},
		sample:   newSampler(),
	}
}

// sampling is the sampler gathering the first full dictionary, or nil.
func (c *codec) sampling() *sampler {
	c.dictMu.RLock()
	defer c.dictMu.RUnlock()
	return c.sample
}

// acquire takes an encoder slot; release gives it back. The slot is taken
// before the payload is built, so waiting callers hold no scratch buffer.
func (c *codec) acquire() { c.slots <- struct{}{} }
func (c *codec) release() { <-c.slots }

// close releases the zstd decoders; the codec must not be used afterwards.
func (c *codec) close() {
	c.decOnce.Do(func() { c.zdecErr = errors.New("database closed") })
	if c.zdec != nil {
		c.zdec.Close()
	}
	c.dictMu.Lock()
	defer c.dictMu.Unlock()
	c.closed = true
	for id, dec := range c.decoders {
		dec.Close()
		delete(c.decoders, id)
	}
}

func (c *codec) getBuf() *[]byte {
	if b, ok := c.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 32<<10)
	return &b
}

func (c *codec) putBuf(b *[]byte) {
	if cap(*b) <= maxPooledBuf {
		*b = (*b)[:0]
		c.bufs.Put(b)
	}
}

// appendJSON appends v as JSON without escaping <, > and & (HTML bodies
// would grow six bytes per tag character).
func appendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// marshal encodes v as JSON like appendJSON, into a fresh slice.
func marshal(v any) ([]byte, error) { return appendJSON(nil, v) }

// deflate appends the DEFLATE stream of payload to dst. The caller holds
// a slot.
func (c *codec) deflate(dst, payload []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, _ := c.deflaters.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriterDict(buf, deflateLevel, []byte(dictV1)); err != nil {
			return nil, err
		}
	} else {
		w.Reset(buf)
	}
	defer c.deflaters.Put(w)
	if _, err := w.Write(payload); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compressZstd appends one zstd frame of payload to dst. The caller holds
// a slot. One encoder (1.5 MiB) is kept for good once made: long items
// are rare, so a sync.Pool would often have dropped it at a GC and
// allocate it again for the next one.
func (c *codec) compressZstd(dst, payload []byte) ([]byte, error) {
	var enc *zstd.Encoder
	select {
	case enc = <-c.zencoder:
	default:
		var err error
		enc, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true),
			zstd.WithZeroFrames(true))
		if err != nil {
			return nil, err
		}
	}
	dst = enc.EncodeAll(payload, dst)
	select {
	case c.zencoder <- enc:
	default: // another one is kept
	}
	return dst, nil
}

// inflate decodes a DEFLATE stream into the scratch buffer b. The result
// shares no memory with data (it may be bbolt's mmap).
func (c *codec) inflate(b *[]byte, data []byte) error {
	src := bytes.NewReader(data)
	r, _ := c.inflaters.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, []byte(dictV1))
	} else if err := r.(flate.Resetter).Reset(src, []byte(dictV1)); err != nil {
		return err
	}
	defer c.inflaters.Put(r)
	buf := bytes.NewBuffer((*b)[:0])
	_, err := buf.ReadFrom(io.LimitReader(r, maxInflated+1))
	*b = buf.Bytes()
	if err != nil {
		return fmt.Errorf("inflate: %w", err)
	}
	if len(*b) > maxInflated {
		return errors.New("inflate: value too large")
	}
	return nil
}

// decompressZstd decodes one zstd frame into the scratch buffer b.
func (c *codec) decompressZstd(b *[]byte, data []byte) error {
	c.decOnce.Do(func() {
		c.zdec, c.zdecErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(min(runtime.GOMAXPROCS(0), 4)),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(maxInflated),
			zstd.WithDecoderMaxWindow(maxInflated))
	})
	if c.zdecErr != nil {
		return c.zdecErr
	}
	out, err := c.zdec.DecodeAll(data, (*b)[:0])
	if err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	*b = out
	return nil
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
// decides "unchanged" without decompressing, and the compressed body.
func (c *codec) encodeItem(it *tidings.Item) ([]byte, error) {
	c.acquire()
	defer c.release()
	b := c.getBuf()
	defer c.putBuf(b)
	payload, err := appendPayload((*b)[:0], it)
	if err != nil {
		return nil, err
	}
	*b = payload
	d := c.current()
	if s := c.sampling(); s != nil {
		s.add(it.FeedID, payload)
	}
	out := c.getBuf()
	defer c.putBuf(out)
	v := append((*out)[:0], make([]byte, itemHeadLen)...)
	v[0] = fmtItemV2
	fp := itemFingerprint(it)
	copy(v[1:9], fp[:])
	binary.BigEndian.PutUint64(v[9:17], nsKey(it.FirstSeen))
	switch {
	case d != nil:
		v[0] = fmtItemV3
		v, err = c.compressDict(d, v, payload)
	case len(it.Text) > longText:
		v[0] = fmtItemV2Zstd
		v, err = c.compressZstd(v, payload)
	default:
		v, err = c.deflate(v, payload)
	}
	if err != nil {
		return nil, err
	}
	*out = v
	// An exact copy: the value is kept until the poll commits.
	return bytes.Clone(v), nil
}

// appendPayload appends what an item value compresses: uvarint
// len(Text), Text, uvarint len(Content), Content, and the JSON of the
// other fields.
func appendPayload(dst []byte, it *tidings.Item) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(it.Text)))
	dst = append(dst, it.Text...)
	dst = binary.AppendUvarint(dst, uint64(len(it.Content)))
	dst = append(dst, it.Content...)
	rest := *it
	rest.Text, rest.Content = "", ""
	return appendJSON(dst, &rest)
}

// itemHead is the uncompressed part of an item value.
type itemHead struct {
	fingerprint [8]byte
	firstSeen   uint64
}

func decodeItemHead(v []byte) (itemHead, error) {
	if len(v) < itemHeadLen || (v[0] != fmtItemV1 && v[0] != fmtItemV2 && v[0] != fmtItemV2Zstd && v[0] != fmtItemV3) {
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
	b := c.getBuf()
	defer c.putBuf(b)
	var err error
	switch v[0] {
	case fmtItemV3:
		err = c.decompressDict(b, v[itemHeadLen:])
	case fmtItemV2Zstd:
		err = c.decompressZstd(b, v[itemHeadLen:])
	default:
		err = c.inflate(b, v[itemHeadLen:])
	}
	if err != nil {
		return it, err
	}
	if v[0] == fmtItemV1 {
		return it, json.Unmarshal(*b, &it)
	}
	text, rest, ok := cutField(*b)
	content, rest, ok2 := cutField(rest)
	if !ok || !ok2 {
		return it, errors.New("bad field length")
	}
	if err := json.Unmarshal(rest, &it); err != nil {
		return it, err
	}
	it.Text, it.Content = string(text), string(content)
	return it, nil
}

// cutField splits a uvarint-length-prefixed field off p.
func cutField(p []byte) (field, rest []byte, ok bool) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return nil, nil, false
	}
	return p[k : k+int(n)], p[k+int(n):], true
}

func (c *codec) encodeCompressed(v any) ([]byte, error) {
	c.acquire()
	defer c.release()
	b := c.getBuf()
	defer c.putBuf(b)
	payload, err := appendJSON((*b)[:0], v)
	if err != nil {
		return nil, err
	}
	*b = payload
	out := c.getBuf()
	defer c.putBuf(out)
	val, err := c.deflate(append((*out)[:0], fmtDeflateV1), payload)
	if err != nil {
		return nil, err
	}
	*out = val
	return bytes.Clone(val), nil
}

func (c *codec) decodeCompressed(data []byte, v any) error {
	if len(data) < 1 || data[0] != fmtDeflateV1 {
		return fmt.Errorf("unknown value format (%d bytes)", len(data))
	}
	b := c.getBuf()
	defer c.putBuf(b)
	if err := c.inflate(b, data[1:]); err != nil {
		return err
	}
	return json.Unmarshal(*b, v)
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
