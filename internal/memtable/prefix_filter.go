package memtable

import (
	"sync/atomic"

	"github.com/zeebo/xxh3"
)

// prefixFilter is a bloom filter of the comparer prefixes of the keys in a
// memtable, so that a point read can skip the skiplist seek (a dozen or
// more cache misses) when the memtable holds no version of its key, as it
// usually does not.
//
// It is register-blocked: one xxh3 hash of the prefix picks one 64-bit
// word, in which filterProbes bits are set. One atomic OR per insertion,
// one load per query. It has one word per filterArenaBytesPerWord arena
// bytes, 10 bits per 64 bytes of arena (10 bits per entry for entries of
// 64 bytes with their node, more for larger ones), so it costs the
// memtable about 2% more memory. Words live in the arena's buffer.
//
// The single writer sets bits before the entry is published; a reader
// that can see the entry (its seqnum at or below the visible seqnum, which
// is stored after the insertion) sees the bits too.
type prefixFilter struct {
	words []uint64
}

const (
	filterProbes = 6
	// filterArenaBytesPerWord: one 64-bit word per 410 arena bytes is 10
	// bits per 64 bytes.
	filterArenaBytesPerWord = 64 * 64 / 10
)

// filterWords is the filter size for an arena of size bytes.
func filterWords(size uint64) uint64 { return max(size/filterArenaBytesPerWord, 1) }

// probe returns the word index and the bits of prefix.
func (f *prefixFilter) probe(prefix []byte) (word uint64, mask uint64) {
	h := xxh3.Hash(prefix)
	word = (h >> 32) * uint64(len(f.words)) >> 32
	h2 := h * 0x9E3779B97F4A7C15
	for i := range filterProbes {
		mask |= 1 << (h2 >> (58 - 6*i) & 63)
	}
	return word, mask
}

// filterSlot is where one prefix's bits go: the word, the bits, and the
// word's value when the slot was taken.
type filterSlot struct{ word, mask, seen uint64 }

// slot hashes prefix and loads its word. The word of a large memtable is
// rarely in the CPU cache, so Add takes the slot before its skiplist
// search and sets the bits after it: the load's cache miss then overlaps
// the search's instead of stalling the atomic OR (a locked instruction).
// Bits are only ever set, so a seen bit stays set and set may skip it;
// concurrent writers (AddConcurrent) each OR the bits they did not see.
func (f *prefixFilter) slot(prefix []byte) filterSlot {
	w, mask := f.probe(prefix)
	return filterSlot{word: w, mask: mask, seen: atomic.LoadUint64(&f.words[w])}
}

// set sets the bits of s, before the entry is published.
func (f *prefixFilter) set(s filterSlot) {
	if s.seen&s.mask != s.mask {
		atomic.OrUint64(&f.words[s.word], s.mask)
	}
}

func (f *prefixFilter) mayContain(prefix []byte) bool {
	if len(f.words) == 0 {
		return true // freed
	}
	w, mask := f.probe(prefix)
	return atomic.LoadUint64(&f.words[w])&mask == mask
}
