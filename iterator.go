package tempest

import (
	"iter"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// Iterator walks the DB's keys in order, in both directions, at a fixed
// snapshot. It yields one entry per logical key (per prefix, under a
// Comparer with version suffixes): the first version in the Comparer's
// order that is visible at the snapshot, unless that version is a
// tombstone, in which case the logical key is hidden.
//
// Key and Value are valid until the next positioning call or Close; copy
// them to keep them (they may point into cached blocks or memtable arenas,
// which are reused once released). An Iterator is not safe for concurrent
// use. Close it when done: it pins memtables and files.
type Iterator struct {
	db    *DB
	rs    *readState
	cmp   *base.Comparer
	iter  *mergingIter
	parts *iterParts // iter's storage, released at Close
	seq   base.SeqNum
	lower []byte
	upper []byte
	pfx   iterPrefix

	// iterOK reports whether iter is positioned. Going backward, iter sits
	// one entry before the current one (the last entry of the preceding
	// group), as the reverse scan must look past a group to finish it.
	iterOK bool
	dir    int // +1 forward, -1 backward
	valid  bool
	// key and value are the current entry. Going forward they alias the
	// underlying iterator's entry, which stays put until the next
	// positioning call; going backward the scan moves past the entry, so
	// they point into keyBuf and valBuf, copies owned by the iterator.
	key, value     []byte
	keyBuf, valBuf []byte
	// seekBuf holds a copy of the key given to SeekGE or SeekLT, which may
	// be this iterator's own Key or Value and so change as it moves.
	seekBuf []byte
	prefix  []byte // scratch for skipping groups
	rd      rangeDelView
	err     error
	closed  bool
	// track, in an iterator of a read-write transaction, records the
	// ranges it reads (txn_reads.go); nil otherwise.
	track *iterTracking

	// The merge operands being resolved (iterator_merge.go): fwd folds
	// them going forward; going backward the current candidate is
	// keyBuf with its base (baseKind, valBuf) and the operands above it,
	// oldest first, in ops.
	fwd      mergeAcc
	haveCand bool
	baseKind base.Kind
	ops      [][]byte

	// Separated values (blob_read.go): keysOnly leaves them unread until
	// Value asks; handle is then the current entry's blob handle (nil once
	// read or for an inline value). The current value, once read, is the
	// block cache's copy, which blobValue keeps valid until the next
	// positioning call or Close; blobBuf holds values the merge folds read.
	keysOnly  bool
	handle    []byte
	blobValue cache.Handle
	blobBuf   []byte
	blobRead  []byte // a value read past the cache (blobCache.admit)
}

// hidden reports whether entry k is invisible at the iterator's snapshot:
// too new, outside the iterator's Prefix, deleted by a range tombstone, or
// rejected by the VisibilityFilter (as the first kept version of its prefix: the one
// the iterator would yield).
func (i *Iterator) hidden(k base.InternalKey) bool {
	if tooNew(k.SeqNum(), i.seq) || !i.pfx.admits(i.cmp, k.UserKey) || i.rd.covered(k) {
		return true
	}
	f := i.db.opts.VisibilityFilter
	return f != nil && k.Kind().IsValue() &&
		!f.Keep(VisibilityEntry{Key: k.UserKey, Value: filterValue(k.Kind(), i.iter.Value()), SeqNum: uint64(k.SeqNum())})
}

// newIter takes over the caller's reference to rs. A non-nil bs merges
// the snapshot of an indexed batch over the DB's state.
func (d *DB) newIter(rs *readState, seq base.SeqNum, o *IterOptions, bs *batchSnapshot) (*Iterator, error) {
	it := &Iterator{db: d, rs: rs, cmp: d.cmp, seq: seq}
	if o != nil {
		it.keysOnly = o.KeysOnly
		if o.LowerBound != nil {
			it.lower = append([]byte{}, o.LowerBound...)
		}
		if o.UpperBound != nil {
			it.upper = append([]byte{}, o.UpperBound...)
		}
		if len(o.Prefix) > 0 {
			it.pfx = iterPrefix{p: append([]byte{}, o.Prefix...), logical: o.LogicalPrefix}
			it.lower, it.upper = it.pfx.narrowBounds(d.cmp, it.lower, it.upper)
		}
	}
	rd, err := d.rangeDelView(rs, seq)
	if err != nil {
		rs.unref()
		return nil, err
	}
	rd.addBatch(bs)
	it.rd = rd
	ii, parts, err := d.newInternalIter(rs, bs, it.pfx.filterPrefix())
	if err != nil {
		rs.unref()
		return nil, err
	}
	it.iter, it.parts = ii, parts
	return it, nil
}

// check reports whether the iterator may be used.
func (i *Iterator) check() bool {
	switch {
	case i.closed:
		i.err = ErrClosed
	case i.db.closed.Load():
		i.err = ErrClosed
	}
	if i.err != nil {
		i.valid = false
		return false
	}
	return true
}

// First moves to the first key (at or after LowerBound).
func (i *Iterator) First() bool {
	if !i.check() {
		return false
	}
	if i.lower != nil {
		return i.trackSeek(i.seekGE(i.lower), +1, nil)
	}
	i.dir = +1
	i.rs.noteSeek()
	i.iterOK = i.iter.First()
	return i.trackSeek(i.findNextEntry(), +1, nil)
}

// Last moves to the last key (before UpperBound).
func (i *Iterator) Last() bool {
	if !i.check() {
		return false
	}
	if i.pfx.logical && i.lower != nil {
		return i.trackSeek(i.lastOfGroup(), -1, nil)
	}
	if i.upper != nil {
		return i.trackSeek(i.seekLT(i.upper), -1, nil)
	}
	i.dir = -1
	i.rs.noteSeek()
	i.iterOK = i.iter.Last()
	return i.trackSeek(i.findPrevEntry(), -1, nil)
}

// SeekGE moves to the first key >= key.
func (i *Iterator) SeekGE(key []byte) bool {
	if !i.check() {
		return false
	}
	if i.lower != nil && i.cmp.Compare(key, i.lower) < 0 {
		key = i.lower
	}
	i.seekBuf = append(i.seekBuf[:0], key...)
	// The seek may move key (the iterator's own Key); seekBuf stays.
	return i.trackSeek(i.seekGE(i.seekBuf), +1, i.seekBuf)
}

// SeekLT moves to the last key < key.
func (i *Iterator) SeekLT(key []byte) bool {
	if !i.check() {
		return false
	}
	if i.upper != nil && i.cmp.Compare(key, i.upper) > 0 {
		key = i.upper
	}
	i.seekBuf = append(i.seekBuf[:0], key...)
	if i.pfx.logical && i.lower != nil && i.pfx.pastForward(i.cmp, key) {
		return i.trackSeek(i.lastOfGroup(), -1, i.seekBuf)
	}
	return i.trackSeek(i.seekLT(i.seekBuf), -1, i.seekBuf)
}

// lastOfGroup moves to the last key of a logical prefix group whose start
// is lower: it seeks there and steps forward past the group's entries (or
// to UpperBound), then reads backward from the entry before, as seekLT
// does. The group is short (one row's versions), unlike what may lie
// between it and UpperBound or the end.
func (i *Iterator) lastOfGroup() bool {
	i.dir = -1
	i.rs.noteSeek()
	i.iterOK = i.iter.SeekGE(base.InternalKey{UserKey: i.lower, Trailer: base.TrailerMax})
	for i.iterOK {
		k := i.iter.Key().UserKey
		if i.pfx.pastForward(i.cmp, k) || i.upper != nil && i.cmp.Compare(k, i.upper) >= 0 {
			break
		}
		i.iterOK = i.iter.Next()
	}
	switch {
	case i.iterOK:
		i.iterOK = i.iter.Prev()
	case i.iter.Error() != nil:
		return i.finish()
	default:
		i.iterOK = i.iter.Last()
	}
	return i.findPrevEntry()
}

func (i *Iterator) seekGE(key []byte) bool {
	i.dir = +1
	i.rs.noteSeek()
	i.iterOK = i.iter.SeekGE(base.InternalKey{UserKey: key, Trailer: base.TrailerMax})
	return i.findNextEntry()
}

func (i *Iterator) seekLT(key []byte) bool {
	i.dir = -1
	i.rs.noteSeek()
	i.iterOK = i.iter.SeekLT(base.InternalKey{UserKey: key, Trailer: base.TrailerMax})
	return i.findPrevEntry()
}

// Next moves to the next key.
func (i *Iterator) Next() bool {
	if !i.check() || !i.valid {
		return false
	}
	if i.dir < 0 {
		i.dir = +1
		i.iterOK = i.iter.SeekGE(base.InternalKey{UserKey: i.key, Trailer: base.TrailerMax})
	}
	i.skipGroupForward()
	return i.trackStep(i.findNextEntry(), +1)
}

// Prev moves to the previous key.
func (i *Iterator) Prev() bool {
	if !i.check() || !i.valid {
		return false
	}
	if i.dir > 0 {
		i.dir = -1
		// i.key aliases the underlying iterator, which the seek moves.
		i.keyBuf = append(i.keyBuf[:0], i.key...)
		i.key = i.keyBuf
		i.iterOK = i.iter.SeekLT(base.InternalKey{UserKey: i.key, Trailer: base.TrailerMax})
		i.skipGroupBackward()
	}
	return i.trackStep(i.findPrevEntry(), -1)
}

// skipGroupForward advances iter past every entry whose prefix is the
// current key's.
func (i *Iterator) skipGroupForward() {
	i.prefix = append(i.prefix[:0], i.cmp.Prefix(i.key)...)
	for i.iterOK && i.samePrefix(i.iter.Key().UserKey) {
		i.iterOK = i.iter.Next()
	}
}

// skipGroupBackward moves iter before every entry whose prefix is the
// current key's.
func (i *Iterator) skipGroupBackward() {
	i.prefix = append(i.prefix[:0], i.cmp.Prefix(i.key)...)
	for i.iterOK && i.samePrefix(i.iter.Key().UserKey) {
		i.iterOK = i.iter.Prev()
	}
}

func (i *Iterator) samePrefix(userKey []byte) bool {
	return i.cmp.HasPrefix(userKey, i.prefix)
}

// findNextEntry moves forward from iter's position to the first visible
// entry of a group that is not a tombstone.
func (i *Iterator) findNextEntry() bool {
	i.valid = false
	for i.iterOK {
		k := i.iter.Key()
		if i.upper != nil && i.cmp.Compare(k.UserKey, i.upper) >= 0 ||
			i.pfx.pastForward(i.cmp, k.UserKey) {
			break
		}
		if i.hidden(k) {
			i.iterOK = i.iter.Next()
			continue
		}
		i.key = k.UserKey
		switch k.Kind() {
		case base.KindSet, base.KindBlobValue:
			return i.setValue(k.Kind(), i.iter.Value())
		case base.KindMerge:
			return i.resolveForward(k)
		}
		i.skipGroupForward()
	}
	return i.finish()
}

// findPrevEntry moves backward from iter's position and yields the
// nearest preceding group whose first visible entry is not a tombstone.
// The reverse scan must read a whole group to learn its first visible
// entry, so it stops with iter one entry before the group.
func (i *Iterator) findPrevEntry() bool {
	i.valid = false
	i.haveCand = false
	for i.iterOK {
		k := i.iter.Key()
		if i.lower != nil && i.cmp.Compare(k.UserKey, i.lower) < 0 ||
			i.pfx.pastBackward(i.cmp, k.UserKey) {
			break
		}
		if i.haveCand && !i.samePrefix(k.UserKey) {
			if i.yieldCandidate() {
				return true
			}
			if i.err != nil {
				return false
			}
			i.haveCand = false
		}
		if !i.hidden(k) {
			// A visible entry; going backward, the last one seen in a group
			// is the group's first in forward order.
			i.noteCandidate(k)
			i.prefix = append(i.prefix[:0], i.cmp.Prefix(k.UserKey)...)
		} else if !i.haveCand {
			i.prefix = append(i.prefix[:0], i.cmp.Prefix(k.UserKey)...)
		}
		i.iterOK = i.iter.Prev()
	}
	// A read error may have cut the group short: its first entry in
	// forward order may not have been seen, so yield nothing.
	if i.haveCand && i.iter.Error() == nil && i.yieldCandidate() {
		return true
	}
	if i.err != nil {
		return false
	}
	return i.finish()
}

func (i *Iterator) finish() bool {
	i.valid = false
	if err := i.iter.Error(); err != nil {
		i.err = err
	}
	return false
}

// Valid reports whether the iterator is positioned at a key.
func (i *Iterator) Valid() bool { return i.valid }

// Key returns the current key. Valid until the next positioning call or
// Close.
func (i *Iterator) Key() []byte { return i.key }

// Value returns the current value. Valid until the next positioning call
// or Close. Under IterOptions.KeysOnly a value in a blob file is read
// now; if that read fails, Value returns nil and the iterator stops
// with the error (Error, ValueAndErr).
func (i *Iterator) Value() []byte {
	v, _ := i.ValueAndErr()
	return v
}

// ValueAndErr returns the current value, or the error that kept it from
// being read: a value in a blob file that is missing or damaged
// (ErrCorruption, naming the file). The error also stops the iterator.
func (i *Iterator) ValueAndErr() ([]byte, error) {
	if i.handle != nil && i.valid {
		v, err := i.readBlob(i.handle)
		if err != nil {
			i.fail(err)
			return nil, err
		}
		i.value, i.handle = v, nil
	}
	if !i.valid {
		return nil, i.err
	}
	return i.value, nil
}

// ValueLen returns the length of the current value without reading it
// (under IterOptions.KeysOnly, no blob file is opened).
func (i *Iterator) ValueLen() int {
	if i.handle != nil {
		return valueLen(base.KindBlobValue, i.handle)
	}
	return len(i.value)
}

// setValue makes v, the value of an entry of kind, the current value, and
// reports whether the iterator is positioned: a separated value is read
// now (a failing read stops the iterator), or under keysOnly when asked.
func (i *Iterator) setValue(kind base.Kind, v []byte) bool {
	i.handle = nil
	if kind == base.KindBlobValue {
		if i.keysOnly {
			i.releaseBlob()
			i.handle, i.value = v, nil
			i.valid = true
			return true
		}
		r, err := i.readBlob(v)
		if err != nil {
			return i.fail(err)
		}
		v = r
	}
	i.value = v
	i.valid = true
	return true
}

// readBlob returns the separated value the blob handle h names, which
// stays valid until the next readBlob or releaseBlob: the block cache's
// copy, held by i.blobValue. The previous one is released first (and
// i.value, which may point into it, cleared).
func (i *Iterator) readBlob(h []byte) ([]byte, error) {
	i.releaseBlob()
	i.value = nil
	v, ch, err := i.db.blobs.value(h, i.blobRead[:0], true)
	if err != nil {
		return nil, err
	}
	if ch == (cache.Handle{}) {
		i.blobRead = v // read uncached, into the iterator's buffer
	}
	i.blobValue = ch
	return v, nil
}

// releaseBlob lets go of the separated value last read, if any.
func (i *Iterator) releaseBlob() {
	i.blobValue.Release()
	i.blobValue = cache.Handle{}
}

// Error returns the error that stopped the iterator, if any: a corrupt or
// unreadable file (ErrCorruption), or ErrClosed.
func (i *Iterator) Error() error { return i.err }

// Close releases the iterator. A second Close returns ErrClosed.
func (i *Iterator) Close() error {
	if i.closed {
		return ErrClosed
	}
	i.closed = true
	i.valid = false
	i.key, i.value = nil, nil // they may point into memory Close releases
	i.releaseBlob()
	err := i.iter.Close()
	i.parts.release()
	i.iter, i.parts = nil, nil
	i.rs.unref()
	if i.err != nil && i.err != ErrClosed {
		return i.err
	}
	return err
}

// KV is a key/value pair yielded by All. Its slices are valid only until
// the loop body returns; copy them to keep them.
type KV struct {
	Key, Value []byte
}

// All returns a Go iterator over the iterator's keys from First, for use
// with range. Errors surface as a final pair with a non-nil error, after
// which iteration stops. All does not close the Iterator.
func (i *Iterator) All() iter.Seq2[KV, error] {
	return func(yield func(KV, error) bool) {
		for ok := i.First(); ok; ok = i.Next() {
			if !yield(KV{i.key, i.value}, nil) {
				return
			}
		}
		if err := i.Error(); err != nil {
			yield(KV{}, err)
		}
	}
}

// All ranges over the keys in [lower, upper) at the current state of the
// DB; a nil bound is unbounded:
//
//	for kv, err := range db.All(nil, nil) {
//		if err != nil {
//			return err // corruption, I/O error or ErrClosed; iteration stops
//		}
//		use(kv.Key, kv.Value)
//	}
//
// An error, including one from opening the iterator, is yielded as a
// final pair with an empty KV. The iterator is closed when the loop ends.
func (d *DB) All(lower, upper []byte) iter.Seq2[KV, error] {
	return func(yield func(KV, error) bool) {
		it, err := d.NewIter(&IterOptions{LowerBound: lower, UpperBound: upper})
		if err != nil {
			yield(KV{}, err)
			return
		}
		defer it.Close()
		for kv, err := range it.All() {
			if !yield(kv, err) {
				return
			}
		}
	}
}
