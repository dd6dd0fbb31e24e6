package sstable

import (
	"bytes"
	"math"

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

// bloomFilter is a bit array of m bits probed by k seeded xxh3 hashes (see
// doc.go). A filter with m = 0 contains nothing.
type bloomFilter struct {
	bits []byte // ceil(m/8) bytes
	k, m uint64
}

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

// newBloomFilter returns an empty filter of m bits and k hashes.
func newBloomFilter(m, k uint64) bloomFilter {
	return bloomFilter{bits: make([]byte, bloomBytes(m)), k: k, m: m}
}

// bloomBytes is the size of the bit array of m bits.
func bloomBytes(m uint64) uint64 { return (m + 7) / 8 }

// add inserts key.
func (f *bloomFilter) add(key []byte) {
	for i := uint64(0); i < f.k; i++ {
		h := xxh3.HashSeed(key, i) % f.m
		f.bits[h/8] |= 1 << (h % 8)
	}
}

// mayContain reports whether key may have been added. It never returns
// false for an added key.
func (f *bloomFilter) mayContain(key []byte) bool {
	if f.m == 0 {
		return false
	}
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
// With a key estimate the filter is sized up front and prefixes are hashed
// as they arrive. Without one, the distinct prefixes are buffered and the
// filter is sized for their real number at finish.
type bloomWriter struct {
	enabled  bool
	fpr      float64
	estimate uint64

	filter bloomFilter // sized from the estimate; allocated on first add
	n      uint64      // distinct consecutive prefixes added
	last   []byte      // the previous prefix (sized mode)

	arena []byte // buffered prefixes, back to back (buffered mode)
	ends  []int  // end of each buffered prefix in arena
}

func (w *bloomWriter) init(enabled bool, fpr float64, estimate int) {
	*w = bloomWriter{enabled: enabled, fpr: fpr, estimate: uint64(estimate)}
}

// add records the prefix of the next key. Equal consecutive prefixes are
// recorded once.
func (w *bloomWriter) add(prefix []byte) {
	if !w.enabled {
		return
	}
	if w.estimate == 0 {
		if len(w.ends) > 0 && bytes.Equal(w.arena[w.lastStart():], prefix) {
			return
		}
		w.arena = append(w.arena, prefix...)
		w.ends = append(w.ends, len(w.arena))
		w.n++
		return
	}
	if w.n > 0 && bytes.Equal(w.last, prefix) {
		return
	}
	if w.n == 0 {
		m, k := bloomParams(w.estimate, w.fpr)
		w.filter = newBloomFilter(m, k)
	}
	w.filter.add(prefix)
	w.last = append(w.last[:0], prefix...)
	w.n++
}

// lastStart returns the start of the last buffered prefix.
func (w *bloomWriter) lastStart() int {
	if len(w.ends) < 2 {
		return 0
	}
	return w.ends[len(w.ends)-2]
}

// finish returns the filter: m = k = 0 when disabled or empty.
func (w *bloomWriter) finish() bloomFilter {
	if !w.enabled || w.n == 0 {
		return bloomFilter{}
	}
	if w.estimate != 0 {
		return w.filter
	}
	m, k := bloomParams(w.n, w.fpr)
	f := newBloomFilter(m, k)
	start := 0
	for _, end := range w.ends {
		f.add(w.arena[start:end])
		start = end
	}
	w.arena, w.ends = nil, nil
	return f
}
