package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/internal/memtable"
)

// Folding a Merge into the batch's entry for its key.
//
// Every entry of a batch shares the batch's seqnum, and a flush keeps
// only one of two equal internal keys, so a batch holds at most one entry
// per key that a later Merge must build on. Batch.Merge therefore folds
// the operand into the batch's latest entry for the key (the one applying
// the batch keeps):
//
//	none        -> Merge(k, operand) appended
//	Set(k, v)   -> Set(k, Merge(k, v, operand))
//	Delete(k)   -> Set(k, Merge(k, nil, operand))
//	Merge(k, o) -> Merge(k, Merge(k, o, operand))
//
// The batch's encoding so always holds what applying it gives: the WAL
// carries it and replay applies it, unchanged. Keys are matched by their
// bytes: operands merge per exact user key, under any Comparer.
//
// The entry is found through keys, a map from each key to the offset of
// its latest point entry, built by the first Merge and kept up to date by
// the writes after it (nil until then, and after a re-encoding).
// A folded entry of the same encoded size is rewritten in place in a
// plain batch; otherwise, and in an indexed batch (whose reads may hold
// the old buffer), the batch is re-encoded into a new buffer with the
// entry moved to the end (still after any range entry of the batch, whose
// tombstone never covers the batch's own entries).

// Merge adds a merge operand of key (see DB.Merge), folded into the
// batch's entry for key if it has one. It returns ErrInvalidArgument,
// leaving the batch unchanged, if the batch's DB has no Options.Merger, a
// size limit would be exceeded, or the fold fails.
func (b *Batch) Merge(key, operand []byte) error {
	if b == nil || b.data == nil {
		return base.InvalidArgumentf("batch not created by DB.NewBatch")
	}
	m := b.lim.merger
	if m == nil {
		return base.InvalidArgumentf("Merge needs Options.Merger")
	}
	if len(operand) > b.lim.maxValue {
		return base.InvalidArgumentf("operand of %d bytes exceeds MaxValueSize %d", len(operand), b.lim.maxValue)
	}
	b.indexKeys()
	off, ok := b.keys[string(key)]
	if !ok {
		if err := b.check(key, operand, true); err != nil {
			return err
		}
		b.appendPoint(base.KindMerge, key, operand)
		b.hasMerge = true
		return nil
	}
	old := b.entryAt(off)
	kind, older := base.KindSet, old.Value
	switch old.Kind {
	case base.KindDelete:
		older = nil
	case base.KindMerge:
		kind = base.KindMerge
	}
	v, err := m.Merge(key, older, operand)
	if err != nil {
		return base.InvalidArgumentf("merge of key %q in the batch: %v", key, err)
	}
	if len(v) > b.lim.maxValue {
		return base.InvalidArgumentf("merged value of %d bytes exceeds MaxValueSize %d", len(v), b.lim.maxValue)
	}
	return b.replacePoint(off, old, kind, key, v)
}

// appendPoint appends a point entry; the caller has checked its size.
func (b *Batch) appendPoint(kind base.Kind, key, value []byte) {
	if b.keys != nil {
		b.keys[string(key)] = len(b.data)
	}
	size := 1 + varstringLen(key)
	if kind != base.KindDelete {
		size += varstringLen(value)
	}
	b.grow(size)
	b.data = append(b.data, byte(kind))
	b.data = appendVarstring(b.data, key)
	if kind != base.KindDelete {
		b.data = appendVarstring(b.data, value)
	}
	b.count++
	b.memSize += uint64(memtable.EntrySize(len(key), len(value)))
}

// indexKeys builds b.keys if it is nil.
func (b *Batch) indexKeys() {
	if b.keys != nil {
		return
	}
	b.keys = make(map[string]int)
	p := b.data[batchHeaderLen:]
	for i := uint32(0); i < b.count; i++ {
		off := len(b.data) - len(p)
		e, rest := decodeEntry(p)
		if e.Kind != base.KindRangeDelete {
			b.keys[string(e.Key)] = off
		}
		p = rest
	}
}

// entryAt decodes the entry at offset off of the batch buffer.
func (b *Batch) entryAt(off int) batchrepr.Entry {
	e, _ := decodeEntry(b.data[off:])
	return e
}

// decodeEntry decodes the first entry of p, an encoding the batch wrote
// itself (so valid), and returns it and the bytes after it.
func decodeEntry(p []byte) (batchrepr.Entry, []byte) {
	e, rest, _ := batchrepr.DecodeEntry(p)
	return e, rest
}

func varstringLen(s []byte) int {
	n := 1
	for v := uint64(len(s)); v >= 0x80; v >>= 7 {
		n++
	}
	return n + len(s)
}

// replacePoint replaces old, the point entry at offset off, with
// kind key=value.
func (b *Batch) replacePoint(off int, old batchrepr.Entry, kind base.Kind, key, value []byte) error {
	oldLen := 1 + varstringLen(old.Key)
	if old.Kind != base.KindDelete {
		oldLen += varstringLen(old.Value)
	}
	newLen := 1 + varstringLen(key) + varstringLen(value)
	size := len(b.data) - oldLen + newLen
	oldMem := uint64(memtable.EntrySize(len(old.Key), len(old.Value)))
	mem := b.memSize - oldMem + uint64(memtable.EntrySize(len(key), len(value)))
	if size > b.lim.maxBatch || mem > uint64(b.lim.maxBatch) {
		return base.InvalidArgumentf("batch would exceed MaxBatchSize %d", b.lim.maxBatch)
	}
	if kind == base.KindMerge {
		b.hasMerge = true
	}
	if newLen == oldLen && b.index == nil {
		e := append(b.data[off:off], byte(kind))
		e = appendVarstring(e, key)
		_ = appendVarstring(e, value)
		b.memSize = mem
		return nil
	}
	data := make([]byte, 0, max(cap(b.data), size))
	data = append(data, b.data[:off]...)
	data = append(data, b.data[off+oldLen:]...)
	b.data = data
	b.count--
	b.memSize -= oldMem
	b.keys = nil // offsets after off moved
	b.appendPoint(kind, key, value)
	if b.index != nil {
		b.index.reset()
	}
	return nil
}
