package sstable

import (
	"bytes"
	"math"
	"sync"

	"github.com/zeebo/xxh3"
)

// Bloom filter limits.
const (
	// maxBloomK caps the number of hash functions (reached only for
	// false-positive rates below about 1e-19).
	maxBloomK = 64
	// maxBloomBits caps the filter at 128 MiB, whatever the estimate.
	maxBloomBits uint64 = 8 << 27
)

// bloomFilter is a bit array of m bits probed k times per key (see doc.go).
// A filter with m = 0 contains nothing.
//
// Format version 3 filters are blocked: one xxh3 hash of the key picks a
// 512-bit block (one cache line) and all k probes fall inside it, derived
// from that hash by double hashing, so a probe costs one hash and one cache
// miss. Version 2 filters (seeded) hash the key k times, with seeds 0 to
// k-1, each picking a bit anywhere in the array; they are still read.
type bloomFilter struct {
	bits    []byte // ceil(m/8) bytes
	k, m    uint64
	blocked bool // version 3 layout; m is a multiple of bloomBlockBits
}

// bloomBlockBits is the size of a block of a blocked filter: a 64-byte
// cache line.
const bloomBlockBits = 512

// bloomParams returns m and k for n keys at false-positive rate p:
// m = ceil(-n ln p / ln2^2), k = ceil(m/n ln 2), k in [1, maxBloomK]. It
// returns 0, 0 for n = 0.
func bloomParams(n uint64, p float64) (m, k uint64) {
	if n == 0 {
		return 0, 0
	}
	fm := math.Ceil(-float64(n) * math.Log(p) / (math.Ln2 * math.Ln2))
	if fm < 1 {
		fm = 1
	}
	if fm >= float64(maxBloomBits) {
		m = maxBloomBits
	} else {
		m = uint64(fm)
	}
	fk := math.Ceil(float64(m) / float64(n) * math.Ln2)
	switch {
	case fk < 1:
		k = 1
	case fk > maxBloomK:
		k = maxBloomK
	default:
		k = uint64(fk)
	}
	return m, k
}

// newBloomFilter returns an empty blocked filter of at least m bits (m
// rounded up to whole blocks, within maxBloomBits) and k probes.
func newBloomFilter(m, k uint64) bloomFilter {
	m = min((m+bloomBlockBits-1)/bloomBlockBits*bloomBlockBits, maxBloomBits)
	return bloomFilter{bits: make([]byte, bloomBytes(m)), k: k, m: m, blocked: true}
}

// bloomHash is the hash of a key in a blocked filter.
func bloomHash(key []byte) uint64 { return xxh3.Hash(key) }

// bloomBytes is the size of the bit array of m bits.
func bloomBytes(m uint64) uint64 { return (m + 7) / 8 }

// add inserts key into a blocked filter.
func (f *bloomFilter) add(key []byte) { f.addHash(bloomHash(key)) }

// block returns the block of hash h in a blocked filter, and the first
// probe and the step between probes within it (doc.go).
func (f *bloomFilter) block(h uint64) (bits []byte, h1, delta uint32) {
	b := (h >> 32) * (f.m / bloomBlockBits) >> 32
	h1 = uint32(h)
	return f.bits[b*bloomBlockBits/8 : (b+1)*bloomBlockBits/8], h1, h1>>17 | h1<<15
}

// addHash inserts the key of hash h (bloomHash) into a blocked filter.
func (f *bloomFilter) addHash(h uint64) {
	bits, h1, delta := f.block(h)
	for range f.k {
		b := h1 % bloomBlockBits
		bits[b/8] |= 1 << (b % 8)
		h1 += delta
	}
}

// mayContain reports whether key may have been added. It never returns
// false for an added key.
func (f *bloomFilter) mayContain(key []byte) bool {
	switch {
	case f.m == 0:
		return false
	case !f.blocked:
		return f.mayContainSeeded(key)
	}
	bits, h1, delta := f.block(bloomHash(key))
	for range f.k {
		b := h1 % bloomBlockBits
		if bits[b/8]&(1<<(b%8)) == 0 {
			return false
		}
		h1 += delta
	}
	return true
}

// mayContainSeeded is mayContain for a version 2 (seeded) filter.
func (f *bloomFilter) mayContainSeeded(key []byte) bool {
	for i := uint64(0); i < f.k; i++ {
		h := xxh3.HashSeed(key, i) % f.m
		if f.bits[h/8]&(1<<(h%8)) == 0 {
			return false
		}
	}
	return true
}

// bloomWriter collects the prefixes of a table's keys into a filter.
//
// With a key estimate the filter is sized up front and prefixes are added
// as they arrive. Without one, the hashes of the distinct prefixes are
// buffered (8 bytes each, in a pooled slice) and the filter is sized for
// their real number at finish.
type bloomWriter struct {
	enabled  bool
	fpr      float64
	estimate uint64

	filter bloomFilter // sized from the estimate; allocated on first add
	n      uint64      // distinct consecutive prefixes added
	last   []byte      // the previous prefix

	hashes *[]uint64 // buffered hashes (buffered mode), from hashPool
}

// hashPool recycles the hash buffers of buffered bloomWriters: flushes
// and compactions write table after table of similar size.
var hashPool = sync.Pool{New: func() any { return new([]uint64) }}

func (w *bloomWriter) init(enabled bool, fpr float64, estimate int) {
	w.release()
	*w = bloomWriter{enabled: enabled, fpr: fpr, estimate: uint64(estimate), last: w.last[:0]}
}

// release gives back the hash buffer.
func (w *bloomWriter) release() {
	if w.hashes != nil {
		*w.hashes = (*w.hashes)[:0]
		hashPool.Put(w.hashes)
		w.hashes = nil
	}
}

// add records the prefix of the next key. Equal consecutive prefixes are
// recorded once.
func (w *bloomWriter) add(prefix []byte) {
	if !w.enabled || (w.n > 0 && bytes.Equal(w.last, prefix)) {
		return
	}
	w.last = append(w.last[:0], prefix...)
	w.n++
	h := bloomHash(prefix)
	if w.estimate == 0 {
		if w.hashes == nil {
			w.hashes = hashPool.Get().(*[]uint64)
		}
		*w.hashes = append(*w.hashes, h)
		return
	}
	if w.n == 1 {
		m, k := bloomParams(w.estimate, w.fpr)
		w.filter = newBloomFilter(m, k)
	}
	w.filter.addHash(h)
}

// finish returns the filter: m = k = 0 when disabled or empty.
func (w *bloomWriter) finish() bloomFilter {
	defer w.release()
	if !w.enabled || w.n == 0 {
		return bloomFilter{}
	}
	if w.estimate != 0 {
		return w.filter
	}
	m, k := bloomParams(w.n, w.fpr)
	f := newBloomFilter(m, k)
	for _, h := range *w.hashes {
		f.addHash(h)
	}
	return f
}
