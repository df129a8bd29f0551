package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"
)

// Shared dictionaries. An item compressed on its own pays again for what
// every item of its feed repeats: the markup and footer of the site's
// template, its URLs, author and category names, the JSON field names,
// and the common words of its language. A zstd raw-content dictionary made
// of pieces of recent items lets each value point into that text instead.
// On unique prose it saves 10% at 1 KB and 6% at 10 KB of text
// (BenchmarkStorageSize); items that share longer passages, a footer or a
// boilerplate paragraph, far more (TestDictionarySavesBytes).
//
// The first dictionary is made from the first items stored, as soon as
// dictFirstBytes of them are gathered, and replaced once dictSize are (on
// the farm: after 2 feeds, and after 35); a newer one replaces it in the
// daily maintenance once it is dictMaxAge old. A value
// names its dictionary in its zstd frame header, so every dictionary that
// a stored item names is kept.
const (
	// dictSize is zstd's customary dictionary size.
	dictSize = 112 << 10
	// dictPiece is what one item gives: the end of its payload, which holds
	// the end of its HTML (where templates put footers) and its metadata.
	dictPiece = 4 << 10
	// dictPerFeed bounds the pieces of one feed, so a dictionary covers at
	// least dictSize/dictPiece/dictPerFeed feeds when there are that many.
	dictPerFeed = 3
	// dictMinBytes: the maintenance makes no dictionary out of less.
	dictMinBytes = 16 << 10
	// dictFirstBytes: a new store's first dictionary is made from this
	// much, so that it does not store the items of its first dozens of
	// feeds without one while the full sample is gathered.
	dictFirstBytes = 32 << 10
	// dictMaxAge is when the maintenance replaces a dictionary with one
	// made of the newest items.
	dictMaxAge = 30 * 24 * time.Hour
	// dictKeepSuperseded: a replaced dictionary is deleted once no item
	// names it and its successor is this old, so values encoded with it
	// just before the switch have long been committed.
	dictKeepSuperseded = 24 * time.Hour
	// fmtDictV1: tag, created ns (8), raw content.
	fmtDictV1 = 0x01
)

// dictionary is a shared zstd dictionary and the encoders primed with it.
type dictionary struct {
	id      uint32
	created time.Time
	content []byte
	// encoders (*zstd.Encoder, about 1 MiB each) are pooled: an ingest
	// reuses them item after item, and an idle daemon, or a dictionary
	// that is no longer current, gives them back to the GC.
	encoders sync.Pool
}

func newDictionary(id uint32, created time.Time, content []byte) *dictionary {
	return &dictionary{id: id, created: created, content: content}
}

func encodeDict(d *dictionary) []byte {
	v := make([]byte, 9, 9+len(d.content))
	v[0] = fmtDictV1
	binary.BigEndian.PutUint64(v[1:9], nsKey(d.created))
	return append(v, d.content...)
}

func decodeDict(k, v []byte) (*dictionary, error) {
	if len(k) != 4 || len(v) < 9 || v[0] != fmtDictV1 {
		return nil, fmt.Errorf("bad dictionary record %x (%d bytes)", k, len(v))
	}
	id := binary.BigEndian.Uint32(k)
	if id == 0 {
		return nil, errors.New("dictionary with id 0")
	}
	return newDictionary(id, fromNS(binary.BigEndian.Uint64(v[1:9])), bytes.Clone(v[9:])), nil
}

// sampler gathers the pieces of a dictionary from the items being stored.
// It keeps only text the dictionary does not hold yet: a piece is taken in
// blocks, and a block whose middle is already in the dictionary is left
// out. A footer that every item repeats is stored once, and the space goes
// to text that is not there yet.
type sampler struct {
	mu      sync.Mutex
	buf     []byte
	offered int // bytes of pieces seen, kept or not
	perFeed map[uint64]int
}

const (
	// dictBlock is the unit the sampler keeps or leaves out.
	dictBlock = 256
	// dictProbe is how much of a block's middle must be found to leave
	// it out: long enough that common phrases do not match by chance.
	dictProbe = 24
	// dictOffer: after pieces of this many bytes the sampler is done,
	// even if it found less new text than dictSize.
	dictOffer = 8 * dictSize
)

func newSampler() *sampler { return &sampler{perFeed: map[uint64]int{}} }

// add takes a piece of payload, an item of feedID, unless the sampler is
// done or has enough of that feed.
func (s *sampler) add(feedID uint64, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doneLocked() || s.perFeed[feedID] >= dictPerFeed {
		return
	}
	s.perFeed[feedID]++
	piece := payload[max(0, len(payload)-dictPiece):]
	s.offered += len(piece)
	for len(piece) > 0 && len(s.buf) < dictSize {
		blk := piece[:min(dictBlock, len(piece))]
		piece = piece[len(blk):]
		probe := blk
		if len(blk) > dictProbe {
			probe = blk[(len(blk)-dictProbe)/2:][:dictProbe]
		}
		if !bytes.Contains(s.buf, probe) {
			s.buf = append(s.buf, blk[:min(len(blk), dictSize-len(s.buf))]...)
		}
	}
}

func (s *sampler) doneLocked() bool { return len(s.buf) >= dictSize || s.offered >= dictOffer }

func (s *sampler) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doneLocked()
}

// ready reports whether the sampler holds a dictionary's worth: full, or
// done with at least dictMinBytes.
func (s *sampler) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doneLocked() && len(s.buf) >= dictMinBytes
}

func (s *sampler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf)
}

func (s *sampler) content() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf)
}

// current is the dictionary new values are compressed with; nil before
// the first one exists.
func (c *codec) current() *dictionary {
	c.dictMu.RLock()
	defer c.dictMu.RUnlock()
	return c.cur
}

// addDict makes d known for decoding and, if current, for encoding.
func (c *codec) addDict(d *dictionary, current bool) {
	c.dictMu.Lock()
	defer c.dictMu.Unlock()
	c.dicts[d.id] = d
	if current {
		c.cur = d
	}
}

// stopSampling ends the sampling for the first full dictionary.
func (c *codec) stopSampling() {
	c.dictMu.Lock()
	defer c.dictMu.Unlock()
	c.sample = nil
}

// dropDict forgets a dictionary that no value names any more.
func (c *codec) dropDict(id uint32) {
	c.dictMu.Lock()
	defer c.dictMu.Unlock()
	delete(c.dicts, id)
	if dec := c.decoders[id]; dec != nil {
		dec.Close()
		delete(c.decoders, id)
	}
}

// compressDict appends one zstd frame of payload, compressed with d, to
// dst. The caller holds a slot. zstd's fastest level is the one for
// dictionaries: it primes its match table from the dictionary's cached
// one, where the default level copies 1.25 MiB of tables for every value.
func (c *codec) compressDict(d *dictionary, dst, payload []byte) ([]byte, error) {
	enc, _ := d.encoders.Get().(*zstd.Encoder)
	if enc == nil {
		var err error
		enc, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true),
			zstd.WithEncoderDictRaw(d.id, d.content))
		if err != nil {
			return nil, err
		}
	}
	dst = enc.EncodeAll(payload, dst)
	d.encoders.Put(enc)
	return dst, nil
}

// decompressDict decodes a zstd frame that names a dictionary.
func (c *codec) decompressDict(b *[]byte, data []byte) error {
	var h zstd.Header
	if err := h.Decode(data); err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	dec, err := c.decoderFor(h.DictionaryID)
	if err != nil {
		return err
	}
	out, err := dec.DecodeAll(data, (*b)[:0])
	if err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	*b = out
	return nil
}

func (c *codec) decoderFor(id uint32) (*zstd.Decoder, error) {
	c.dictMu.RLock()
	dec := c.decoders[id]
	c.dictMu.RUnlock()
	if dec != nil {
		return dec, nil
	}
	c.dictMu.Lock()
	defer c.dictMu.Unlock()
	if c.closed {
		return nil, errors.New("database closed")
	}
	if dec := c.decoders[id]; dec != nil {
		return dec, nil
	}
	d := c.dicts[id]
	if d == nil {
		return nil, fmt.Errorf("value compressed with dictionary %d, which the database does not hold", id)
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(min(runtime.GOMAXPROCS(0), 4)),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(maxInflated),
		zstd.WithDecoderMaxWindow(maxInflated),
		zstd.WithDecoderDictRaw(d.id, d.content))
	if err != nil {
		return nil, err
	}
	c.decoders[id] = dec
	return dec, nil
}

// loadDicts reads the stored dictionaries into the codec at Open; the one
// with the highest id is current. Unless it is a full one, the codec
// samples the items it encodes for a full one.
func (db *DB) loadDicts() error {
	return db.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bDicts))
		if b == nil { // read-only, not yet migrated
			return nil
		}
		var last *dictionary
		err := b.ForEach(func(k, v []byte) error {
			d, err := decodeDict(k, v)
			if err != nil {
				return corruptError(db.path, err)
			}
			db.codec.addDict(d, false)
			last = d
			return nil
		})
		if err != nil {
			return err
		}
		if last != nil {
			db.codec.addDict(last, true)
			if len(last.content) >= dictSize {
				db.codec.stopSampling()
			}
		}
		return nil
	})
}

// maybeFirstDict stores a new store's first dictionary once the sampler
// holds dictFirstBytes, and the full one once it is ready, which ends the
// sampling. A failure leaves the sampler as it is: the next poll tries
// again, and a disk that cannot take the dictionary fails that poll's own
// write too.
func (db *DB) maybeFirstDict() {
	s := db.codec.sampling()
	if s == nil {
		return
	}
	full := s.ready()
	if !full && (db.codec.current() != nil || s.len() < dictFirstBytes) {
		return
	}
	db.dictMu.Lock()
	defer db.dictMu.Unlock()
	if db.codec.sampling() != s || !full && db.codec.current() != nil {
		return // another poll was first
	}
	if _, err := db.storeDict(s.content(), db.now()); err == nil && full {
		db.codec.stopSampling()
	}
}

// storeDict writes a new dictionary and makes it current.
func (db *DB) storeDict(content []byte, now time.Time) (*dictionary, error) {
	var d *dictionary
	err := db.update(func(tx *bbolt.Tx) error {
		b := bkt(tx, bDicts)
		seq, err := b.NextSequence()
		// Never overwrite a dictionary items may name, even in a file
		// whose bucket sequence was lost (copied by another tool).
		for err == nil && b.Get(u32(uint32(seq))) != nil {
			seq, err = b.NextSequence()
		}
		if err != nil {
			return err
		}
		if seq > 1<<32-1 {
			return errors.New("dictionary ids exhausted")
		}
		d = newDictionary(uint32(seq), now.UTC(), content)
		return b.Put(u32(d.id), encodeDict(d))
	})
	if err != nil {
		return nil, fmt.Errorf("store dictionary: %w", err)
	}
	db.codec.addDict(d, true)
	return d, nil
}

// DictionaryReport says what MaintainDictionary did.
type DictionaryReport struct {
	Created uint32 // id of a new dictionary, 0 if none
	Deleted int    // dictionaries no item used any more
}

// MaintainDictionary replaces the shared compression dictionary with one
// made of the newest items when it is dictMaxAge old (or when there is
// none yet and the items stored are enough for one), and deletes the
// replaced dictionaries no stored item uses any more. Items keep the
// dictionary they were written with. The daemon runs it with retention.
func (db *DB) MaintainDictionary(now time.Time) (DictionaryReport, error) {
	db.dictMu.Lock()
	defer db.dictMu.Unlock()
	var rep DictionaryReport
	cur := db.codec.current()
	if cur == nil || now.Sub(cur.created) >= dictMaxAge {
		content, err := db.sampleStored()
		if err != nil {
			return rep, fmt.Errorf("sample items for a dictionary: %w", err)
		}
		if len(content) >= dictMinBytes {
			d, err := db.storeDict(content, now)
			if err != nil {
				return rep, err
			}
			rep.Created = d.id
			db.codec.stopSampling() // made of the store's items: as good a sample
		}
	}
	n, err := db.deleteUnusedDicts(now)
	rep.Deleted = n
	return rep, err
}

// sampleStored gathers dictionary pieces from the newest stored items.
func (db *DB) sampleStored() ([]byte, error) {
	s := newSampler()
	err := db.view(func(tx *bbolt.Tx) error {
		b := db.codec.getBuf()
		defer db.codec.putBuf(b)
		c := bkt(tx, bItemsByFirst).Cursor()
		for k, _ := c.Last(); k != nil && !s.done(); k, _ = c.Prev() {
			if len(k) != 16 {
				continue
			}
			it, err := db.getItem(tx, k[8:16])
			if err != nil {
				return err
			}
			p, err := appendPayload((*b)[:0], &it)
			if err != nil {
				return err
			}
			*b = p
			s.add(it.FeedID, p)
		}
		return nil
	})
	return s.buf, err
}

// deleteUnusedDicts deletes the dictionaries, other than the current one,
// that no stored item names and whose successor is dictKeepSuperseded old.
// Only items first seen before the current dictionary was made can name
// an older one, so the scan reads those, in a read transaction: polls go
// on writing meanwhile, with the current dictionary.
func (db *DB) deleteUnusedDicts(now time.Time) (int, error) {
	cur := db.codec.current()
	if cur == nil || now.Sub(cur.created) < dictKeepSuperseded {
		return 0, nil
	}
	var doomed []uint32
	err := db.view(func(tx *bbolt.Tx) error {
		dicts := bkt(tx, bDicts)
		if k, _ := dicts.Cursor().First(); k == nil || bytes.Equal(k, u32(cur.id)) {
			return nil // only the current one: nothing to scan for
		}
		used := map[uint32]bool{cur.id: true}
		items := bkt(tx, bItems)
		end := nsKey(cur.created)
		c := bkt(tx, bItemsByFirst).Cursor()
		for k, _ := c.First(); len(k) == 16 && binary.BigEndian.Uint64(k) <= end; k, _ = c.Next() {
			v := items.Get(chunkKey(k[8:], 0))
			if len(v) > itemHeadLen && v[0] == fmtItemV3 {
				var h zstd.Header
				if h.Decode(v[itemHeadLen:]) == nil {
					used[h.DictionaryID] = true
				}
			}
		}
		return dicts.ForEach(func(k, _ []byte) error {
			if len(k) == 4 && !used[binary.BigEndian.Uint32(k)] {
				doomed = append(doomed, binary.BigEndian.Uint32(k))
			}
			return nil
		})
	})
	if err == nil && len(doomed) > 0 {
		err = db.update(func(tx *bbolt.Tx) error {
			for _, id := range doomed {
				if err := bkt(tx, bDicts).Delete(u32(id)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return 0, fmt.Errorf("delete unused dictionaries: %w", err)
	}
	for _, id := range doomed {
		db.codec.dropDict(id)
	}
	return len(doomed), nil
}
