package tempest

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/internal/memtable"
)

// Batch encoding (also the payload of a WAL data record):
//
//	+-----------------+--------------+------------------------------+
//	| seqnum u64 LE   | count u32 LE | entries ...                  |
//	+-----------------+--------------+------------------------------+
//	entry := kind u8 | uvarint(len(key)) key [| uvarint(len(value)) value]
//
// The seqnum is zero while the batch is built and is stamped at commit.
// A Set entry has a key and a value; a Delete entry only a key; a Merge
// entry (kind 3, format version 4 and later) a key and an operand, in the
// value's place. A batch holds at most one point entry per key after a
// Merge of it: Batch.Merge folds the operand into the batch's entry for
// the key (batch_merge.go), so the encoding is what applying it gives. Every entry
// of a committed batch carries the batch's seqnum: the whole batch is one
// atomic write. When a batch names a key twice, the later entry wins. A
// range tombstone hides only lower seqnums, so DeleteRange removes the
// batch's earlier entries in its range when it is added. Invariant: no
// point entry of the encoding precedes a range entry that covers it.
// Batches written by earlier versions may hold such entries; replay
// applies them as written, and the tombstone does not hide them.
const batchHeaderLen = batchrepr.HeaderLen

const batchInitialCap = 256

// Batch is a set of writes applied atomically by DB.Apply. Set and Delete
// copy their arguments, so the caller may reuse its buffers. A Batch is not
// safe for concurrent use.
type Batch struct {
	data    []byte // header + entries
	count   uint32
	memSize uint64 // worst-case memtable arena bytes of the entries
	lim     *limits
	// db and index are set in a batch from DB.NewIndexedBatch, which
	// reads through (batch_read.go); nil in a plain one.
	db    *DB
	index *batchIndex
	// keys maps each key to the offset of its latest point entry, for
	// Merge (batch_merge.go); nil until a Merge needs it.
	keys map[string]int
	// hasMerge is set once the batch has held a merge operand.
	hasMerge bool
}

// limits are the checks a batch applies as it grows.
type limits struct {
	maxKey, maxValue, maxBatch int
	cmp                        *base.Comparer
	merger                     *Merger // nil: Merge is refused
}

func newBatch(lim *limits) *Batch {
	b := &Batch{lim: lim}
	b.Reset()
	return b
}

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	if b.index != nil {
		// Iterators of an indexed batch may still point into the buffer.
		b.data = nil
		b.index.reset()
	}
	if cap(b.data) < batchHeaderLen {
		b.data = make([]byte, batchHeaderLen, batchInitialCap)
	}
	b.data = b.data[:batchHeaderLen]
	clear(b.data)
	b.count = 0
	b.memSize = 0
	b.keys = nil
	b.hasMerge = false
}

// Count returns the number of entries.
func (b *Batch) Count() int { return int(b.count) }

// Len returns the encoded size in bytes.
func (b *Batch) Len() int { return len(b.data) }

// Empty reports whether the batch has no entries.
func (b *Batch) Empty() bool { return b.count == 0 }

// Set adds key=value. It returns ErrInvalidArgument, leaving the batch
// unchanged, if the key or value is too large or the batch would exceed
// the maximum batch size.
func (b *Batch) Set(key, value []byte) error {
	if err := b.check(key, value, true); err != nil {
		return err
	}
	b.appendPoint(base.KindSet, key, value)
	return nil
}

// Delete adds a tombstone for key. It returns ErrInvalidArgument, leaving
// the batch unchanged, if the key is too large or the batch is full.
func (b *Batch) Delete(key []byte) error {
	if err := b.check(key, nil, false); err != nil {
		return err
	}
	b.appendPoint(base.KindDelete, key, nil)
	return nil
}

// DeleteRange deletes every key k with start <= k < end (in the
// Comparer's order) written before it: before the batch, and by the
// batch's earlier entries, which it removes from the batch (so Count
// drops). The batch's later writes in the range stand. It adds a range
// tombstone, which, sharing the batch's sequence number, hides only the
// writes of earlier batches: removing the covered entries at build time
// gives the batch's own writes the same order rule, in the memtable, in
// the WAL and on replay alike. It costs a scan of the batch. It returns
// ErrInvalidArgument, leaving the batch unchanged, unless start < end and
// both fit the key limit.
func (b *Batch) DeleteRange(start, end []byte) error {
	if err := b.check(start, nil, false); err != nil {
		return err
	}
	if len(end) > b.lim.maxKey {
		return base.InvalidArgumentf("range end of %d bytes exceeds MaxKeySize %d", len(end), b.lim.maxKey)
	}
	if b.lim.cmp.Compare(start, end) >= 0 {
		return base.InvalidArgumentf("DeleteRange needs start < end")
	}
	size := 1 + 2*binary.MaxVarintLen32 + len(start) + len(end)
	mem := b.memSize + uint64(rangeDelMemSize(len(start), len(end)))
	if len(b.data)+size > b.lim.maxBatch || mem > uint64(b.lim.maxBatch) {
		return base.InvalidArgumentf("batch would exceed MaxBatchSize %d", b.lim.maxBatch)
	}
	if err := b.dropCovered(start, end); err != nil {
		return err
	}
	mem = b.memSize + uint64(rangeDelMemSize(len(start), len(end)))
	b.grow(1 + varstringLen(start) + varstringLen(end))
	b.data = append(b.data, byte(base.KindRangeDelete))
	b.data = appendVarstring(b.data, start)
	b.data = appendVarstring(b.data, end)
	b.count++
	b.memSize = mem
	return nil
}

func (b *Batch) check(key, value []byte, isSet bool) error {
	if b == nil || b.data == nil {
		return base.InvalidArgumentf("batch not created by DB.NewBatch")
	}
	if b.count == 1<<32-1 {
		return base.InvalidArgumentf("batch holds the maximum number of entries")
	}
	size := 1 + binary.MaxVarintLen32 + len(key)
	if len(key) > b.lim.maxKey {
		return base.InvalidArgumentf("key of %d bytes exceeds MaxKeySize %d", len(key), b.lim.maxKey)
	}
	if isSet {
		if len(value) > b.lim.maxValue {
			return base.InvalidArgumentf("value of %d bytes exceeds MaxValueSize %d", len(value), b.lim.maxValue)
		}
		size += binary.MaxVarintLen32 + len(value)
	}
	mem := b.memSize + uint64(memtable.EntrySize(len(key), len(value)))
	if len(b.data)+size > b.lim.maxBatch || mem > uint64(b.lim.maxBatch) {
		return base.InvalidArgumentf("batch would exceed MaxBatchSize %d", b.lim.maxBatch)
	}
	return nil
}

// grow makes room for n more bytes in the buffer. A full buffer doubles
// (up to MaxBatchSize, or to what n needs), where append would grow a
// large one by a quarter: a batch of large values costs about one copy of
// itself to build, not four, and as many fresh pages.
func (b *Batch) grow(n int) {
	if cap(b.data)-len(b.data) >= n {
		return
	}
	data := make([]byte, len(b.data), max(len(b.data)+n, min(2*cap(b.data), b.lim.maxBatch)))
	copy(data, b.data)
	b.data = data
}

func appendVarstring(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// stamp writes seq and the count into the header, committing the encoding.
func (b *Batch) stamp(seq base.SeqNum) {
	binary.LittleEndian.PutUint64(b.data[0:8], uint64(seq))
	binary.LittleEndian.PutUint32(b.data[8:12], b.count)
}
