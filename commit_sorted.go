package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/memtable"
)

// A batch of sortedApplyMin entries or more is inserted by a single
// writer in key order (memtable.AddAll): each skiplist search then spans
// the gap from the entry before instead of the whole list, which at
// large memtables is most of an insertion's cache misses. The order of
// insertion is not observable: the batch's entries share one seqnum and
// become visible together when it is published. Concurrent insertions
// (AddConcurrent) keep the batch's order: another writer's node may fall
// between two of them at any moment, so a remembered splice is no help.
const sortedApplyMin = 32

// sortedApplyMaxKept bounds the entry slices applySorted keeps pooled.
const sortedApplyMaxKept = 1 << 16

var sortedApplyPool = sync.Pool{New: func() any { return new([]memtable.Entry) }}

// applySorted is applyBatch for one writer and a large batch: range
// deletes as they come, point entries sorted by key.
func applySorted(m *memTable, db decodedBatch) error {
	p := sortedApplyPool.Get().(*[]memtable.Entry)
	es := (*p)[:0]
	err := db.forEach(func(e batchEntry) error {
		switch e.Kind {
		case base.KindRangeDelete:
			m.addRangeDel(e.Key, e.Value, db.Seq)
			return nil
		case base.KindMerge:
			m.merges.Store(true)
		}
		es = append(es, memtable.Entry{Key: base.MakeInternalKey(e.Key, db.Seq, e.Kind), Value: e.Value})
		return nil
	})
	if err == nil {
		err = m.AddAll(es)
	}
	clear(es) // the entries alias the batch
	if cap(es) <= sortedApplyMaxKept {
		*p = es[:0]
		sortedApplyPool.Put(p)
	}
	return err
}
