package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/internal/memtable"
)

// dropCovered removes from b the point entries whose key k has
// start <= k < end: the batch's writes that a DeleteRange(start, end)
// added after them deletes (see Batch.DeleteRange). The entries left keep
// their order. When some are dropped the batch is re-encoded into a new
// buffer (iterators of an indexed batch may point into the old one) and
// its index is rebuilt on the next read.
func (b *Batch) dropCovered(start, end []byte) error {
	if b.count == 0 {
		return nil
	}
	cmp := b.lim.cmp
	covered := func(e batchrepr.Entry) bool {
		return e.Kind != base.KindRangeDelete && cmp.Compare(start, e.Key) <= 0 && cmp.Compare(e.Key, end) < 0
	}
	entries := batchrepr.Unstamped(b.data[batchHeaderLen:], b.count)
	found := false
	err := entries.ForEach(func(e batchrepr.Entry) error {
		found = found || covered(e)
		return nil
	})
	if err != nil || !found {
		return err // err is unreachable: the batch encoded its entries itself
	}
	data := make([]byte, batchHeaderLen, cap(b.data))
	var count uint32
	var mem uint64
	err = entries.ForEach(func(e batchrepr.Entry) error {
		if covered(e) {
			return nil
		}
		data = append(data, byte(e.Kind))
		data = appendVarstring(data, e.Key)
		switch e.Kind {
		case base.KindRangeDelete:
			data = appendVarstring(data, e.Value)
			mem += uint64(rangeDelMemSize(len(e.Key), len(e.Value)))
		case base.KindSet, base.KindMerge:
			data = appendVarstring(data, e.Value)
			mem += uint64(memtable.EntrySize(len(e.Key), len(e.Value)))
		default:
			mem += uint64(memtable.EntrySize(len(e.Key), 0))
		}
		count++
		return nil
	})
	if err != nil {
		return err
	}
	b.data, b.count, b.memSize = data, count, mem
	b.keys = nil // offsets moved
	if b.index != nil {
		b.index.reset()
	}
	return nil
}
