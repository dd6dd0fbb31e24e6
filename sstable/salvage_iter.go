package sstable

import (
	"errors"

	"github.com/tempestdb/tempest/internal/base"
)

// SalvageIter yields the entries of the readable data blocks of a
// Salvage, in strictly increasing internal-key order, block by block. A
// block that cannot be read or fails its checks is skipped whole and
// recorded in the Salvage's Damage. Only one SalvageIter may be used per
// Salvage at a time.
type SalvageIter struct {
	s       *Salvage
	next    int // the next block to load
	data    blockIter
	loaded  bool // data is positioned in a block
	entries uint64
	// prev is the last key yielded (an owned copy), which every later key
	// must follow, across blocks too.
	prev    base.InternalKey
	hasPrev bool
	lost    bool // a block of point entries was skipped
	err     error
	done    bool
}

// NewIter returns an iterator over the readable entries.
func (s *Salvage) NewIter() *SalvageIter { return &SalvageIter{s: s} }

// Next moves to the next readable entry. It returns false at the end or
// on a read error (Error).
func (it *SalvageIter) Next() bool {
	if it.err != nil || it.done {
		return false
	}
	if it.loaded && it.data.Next() {
		return it.yield()
	}
	it.loaded = false
	for it.next < len(it.s.blocks) {
		j := it.next
		it.next++
		if !it.load(j) {
			if it.err != nil {
				return false
			}
			continue
		}
		if it.data.First() {
			return it.yield()
		}
	}
	it.finish()
	return false
}

// yield records the current key as the last one yielded.
func (it *SalvageIter) yield() bool {
	k := it.data.key()
	it.prev.UserKey = append(it.prev.UserKey[:0], k.UserKey...)
	it.prev.Trailer, it.hasPrev = k.Trailer, true
	it.entries++
	return true
}

// load reads and checks block j, leaving it in it.data. A damaged block
// is recorded and load returns false; a failed read sets it.err.
func (it *SalvageIter) load(j int) bool {
	s, b := it.s, it.s.blocks[j]
	if it.hasPrev && (!b.hasAfter || s.cmp.CompareInternal(it.prev, b.after) > 0) {
		// The keys must also follow those yielded from earlier blocks.
		b.after, b.hasAfter = it.prev, true
	}
	block, err := s.readDataBlock(b)
	if err == nil {
		_, err = s.checkDataBlock(&it.data, block, b)
	}
	switch {
	case err == nil:
		it.loaded = true
		return true
	case !errors.Is(err, base.ErrCorruption):
		it.err = err
		return false
	}
	d := SalvageDamage{Offset: int64(b.h.offset), End: int64(b.h.end()), What: "data block", Lost: LostPoints, Err: err}
	if b.hasAfter {
		d.Smallest, d.HasSmallest = b.after.UserKey, true
	}
	if b.hasThrough {
		d.Largest, d.HasLargest = b.through.UserKey, true
	}
	s.damage(d)
	it.lost = true
	return false
}

// finish checks, at the end, that the entries yielded are as many as the
// properties count, unless a lost block already explains a difference.
func (it *SalvageIter) finish() {
	it.done = true
	p := it.s.Props
	if it.lost || p == nil || it.entries == p.EntryCount {
		return
	}
	err := base.Corruptionf(it.s.name, 0, "read %d entries, the properties count %d", it.entries, p.EntryCount)
	it.s.damage(SalvageDamage{Offset: 0, End: it.s.size, What: "data", Lost: LostPoints, Err: err})
}

// Key returns the current key; valid until the next call to Next.
func (it *SalvageIter) Key() base.InternalKey {
	k := it.data.key()
	if g := it.s.globalSeq; g != 0 {
		k.Trailer = base.MakeTrailer(g, k.Kind())
	}
	return k
}

// Value returns the current value; valid until the next call to Next.
func (it *SalvageIter) Value() []byte { return it.data.val }

// Error returns the read error that stopped the iterator, if any.
// Corruption is not an error: it is recorded in the Salvage's Damage.
func (it *SalvageIter) Error() error { return it.err }

// Entries returns the number of entries yielded so far.
func (it *SalvageIter) Entries() uint64 { return it.entries }

// readDataBlock returns the decoded bytes of data block b.
func (s *Salvage) readDataBlock(b salvageBlock) ([]byte, error) {
	if s.area == nil {
		return s.reader().readBlock(b.h)
	}
	// Found by the walk: its checksum matched when it was found.
	return s.decodeWalkBlock(walkBlock{start: int(b.h.offset), size: int(b.h.size), c: b.c})
}

// checkDataBlock initializes it over block, the data block b, and checks
// every entry: it decodes, its kind is a point kind, keys strictly
// increase, the first follows b.after and the last is at most b.through
// (where set). It returns the last key, an owned copy.
func (s *Salvage) checkDataBlock(it *blockIter, block []byte, b salvageBlock) (base.InternalKey, error) {
	off := int64(b.h.offset)
	if err := it.init(s.cmp, block, s.name, off); err != nil {
		return base.InternalKey{}, err
	}
	var last base.InternalKey
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		k := it.key()
		switch {
		case n == 0 && b.hasAfter && s.cmp.CompareInternal(k, b.after) <= 0:
			return base.InternalKey{}, base.Corruptionf(s.name, off, "data block: key %s does not follow the previous block", k.Pretty(s.cmp))
		case n > 0 && s.cmp.CompareInternal(k, last) <= 0:
			return base.InternalKey{}, base.Corruptionf(s.name, off+int64(it.offset), "data block: key %s out of order", k.Pretty(s.cmp))
		case b.hasThrough && s.cmp.CompareInternal(k, b.through) > 0:
			return base.InternalKey{}, base.Corruptionf(s.name, off+int64(it.offset), "data block: key %s is past the block's index key", k.Pretty(s.cmp))
		}
		last.UserKey = append(last.UserKey[:0], k.UserKey...)
		last.Trailer = k.Trailer
		n++
	}
	if it.err != nil {
		return base.InternalKey{}, it.err
	}
	if n == 0 {
		return base.InternalKey{}, base.Corruptionf(s.name, off, "data block holds no entries")
	}
	return last, nil
}
