package sstable

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// Iter iterates over a table in internal-key order. It implements
// base.InternalIterator. Data blocks are read when first needed; the
// current block stays loaded while the iterator moves within it.
//
// Errors (failed reads, checksum mismatches, corrupt blocks) are sticky:
// the positioning call that meets one returns false, Error reports it, and
// every later positioning call returns false.
//
// Key and Value alias the current block and the iterator's key buffer;
// they are valid until the next positioning call. Callers must not modify
// them: a block from the block cache is shared by every iterator.
type Iter struct {
	r *Reader
	// pos is the index entry of the current data block, -1 before the
	// first entry, len(r.index) after the last.
	pos      int
	loaded   int          // index entry of the block held by data, or -1
	handle   cache.Handle // the cache's hold on the block held by data
	data     blockIter
	err      error
	closed   bool
	closeErr error
	noFill   bool      // blocks read from the file bypass the cache (InitCompactionIter)
	ra       readahead // sequential reads of blocks the cache misses
}

var _ base.InternalIterator = (*Iter)(nil)

// errIterClosed is reported by an iterator used after Close.
var errIterClosed = fmt.Errorf("%w: sstable iterator", base.ErrClosed)

// load makes data block j current.
func (i *Iter) load(j int) bool {
	i.pos = j
	if i.loaded == j {
		return true
	}
	i.loaded = -1
	i.handle.Release()
	h := i.r.index[j].handle
	b, ch, err := i.r.dataBlock(h, !i.noFill, &i.ra)
	i.handle = ch
	if err == nil {
		err = i.data.init(i.r.cmp, b, i.r.name, int64(h.offset))
	}
	if err != nil {
		i.err = err
		return false
	}
	i.loaded = j
	return true
}

// dataFailed reports whether the current block stopped with an error,
// recording it.
func (i *Iter) dataFailed() bool {
	if i.data.err != nil {
		i.err = i.data.err
		return true
	}
	return false
}

// forwardFrom moves to the first entry of data block j or a later one.
func (i *Iter) forwardFrom(j int) bool {
	for ; j < len(i.r.index); j++ {
		if !i.load(j) {
			return false
		}
		if i.data.First() {
			return true
		}
		if i.dataFailed() {
			return false
		}
	}
	i.pos = len(i.r.index)
	return false
}

// backwardFrom moves to the last entry of data block j or an earlier one.
func (i *Iter) backwardFrom(j int) bool {
	for ; j >= 0; j-- {
		if !i.load(j) {
			return false
		}
		if i.data.Last() {
			return true
		}
		if i.dataFailed() {
			return false
		}
	}
	i.pos = -1
	return false
}

// First moves to the first entry.
func (i *Iter) First() bool {
	if i.err != nil {
		return false
	}
	return i.forwardFrom(0)
}

// Last moves to the last entry.
func (i *Iter) Last() bool {
	if i.err != nil {
		return false
	}
	return i.backwardFrom(len(i.r.index) - 1)
}

// SeekGE moves to the first entry >= key.
func (i *Iter) SeekGE(key base.InternalKey) bool {
	if i.r.globalSeq != 0 {
		return i.seekGEGlobal(key)
	}
	return i.seekGE(key)
}

// seekGE is SeekGE on the keys as written.
func (i *Iter) seekGE(key base.InternalKey) bool {
	if i.err != nil {
		return false
	}
	j := searchIndex(i.r.index, i.r.cmp, key)
	if j == len(i.r.index) {
		i.pos = j
		return false
	}
	if !i.load(j) {
		return false
	}
	if i.data.SeekGE(key) {
		return true
	}
	if i.dataFailed() {
		return false
	}
	return i.forwardFrom(j + 1)
}

// SeekLT moves to the last entry < key.
func (i *Iter) SeekLT(key base.InternalKey) bool {
	if i.r.globalSeq != 0 {
		return i.seekLTGlobal(key)
	}
	if i.err != nil {
		return false
	}
	// Block j is the first whose last key is >= key: the last entry < key
	// is in it or, if it has none, at the end of block j-1.
	j := min(searchIndex(i.r.index, i.r.cmp, key), len(i.r.index)-1)
	if j < 0 {
		i.pos = -1
		return false
	}
	if !i.load(j) {
		return false
	}
	if i.data.SeekLT(key) {
		return true
	}
	if i.dataFailed() {
		return false
	}
	return i.backwardFrom(j - 1)
}

// Next moves to the following entry. After the last entry it returns
// false; on a fresh iterator it behaves like First.
func (i *Iter) Next() bool {
	switch {
	case i.err != nil || i.pos >= len(i.r.index):
		return false
	case i.pos < 0:
		return i.First()
	case i.data.Next():
		return true
	case i.dataFailed():
		return false
	}
	return i.forwardFrom(i.pos + 1)
}

// Prev moves to the preceding entry. Before the first entry it returns
// false; after the last (Next returned false) it behaves like Last.
func (i *Iter) Prev() bool {
	switch {
	case i.err != nil || i.pos < 0:
		return false
	case i.pos >= len(i.r.index):
		return i.Last()
	case i.data.Prev():
		return true
	case i.dataFailed():
		return false
	}
	return i.backwardFrom(i.pos - 1)
}

// Key returns the current key, at the table's global seqnum if it has
// one. Valid only after a positioning call returned true.
func (i *Iter) Key() base.InternalKey {
	k := i.data.key()
	if g := i.r.globalSeq; g != 0 {
		k.Trailer = base.MakeTrailer(g, k.Kind())
	}
	return k
}

// Value returns the current value. Valid only after a positioning call
// returned true.
func (i *Iter) Value() []byte { return i.data.val }

// Error returns the error that stopped the iterator, if any.
func (i *Iter) Error() error { return i.err }

// Close releases the current block and returns the first error the
// iterator met. Later positioning calls return false.
func (i *Iter) Close() error {
	if !i.closed {
		i.closed = true
		i.closeErr = i.err
		i.err = errIterClosed
		i.data.release()
		i.handle.Release()
		i.handle = cache.Handle{}
		i.pos, i.loaded = -1, -1
	}
	return i.closeErr
}
