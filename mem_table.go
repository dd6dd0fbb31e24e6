package tempest

import (
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// memTable is a memtable, its range tombstones, and the WAL file that
// holds their writes. Point entries live in the arena skiplist; range
// tombstones in an append-only list beside it, whose bytes count against
// the memtable's capacity.
type memTable struct {
	*memtable.Memtable
	logNum base.FileNum

	rangeDels struct {
		mu    sync.RWMutex
		list  []rangedel.Tombstone // append-only; guarded by mu
		bytes atomic.Int64
	}

	// unreserve gives back the memtable's charge to the block cache (see
	// chargeCache); nil when it is not charged.
	unreserve func()
	// lastSeq is the seqnum of the last batch written to the memtable's
	// WAL, set when the memtable is frozen (0 for memtables of recovery).
	lastSeq base.SeqNum
}

// chargeCache charges m's arena to the block cache while m is in use,
// when Options.MemoryBudget makes memtables and blocks share one budget:
// blocks then get what the memtables leave. release gives it back.
func (d *DB) chargeCache(m *memTable) {
	if d.opts.MemoryBudget > 0 {
		m.unreserve = d.cache.c.Reserve(int64(m.Capacity()))
	}
}

// release gives back m's cache charge, once m is flushed or the DB
// closes. Readers that still hold m keep its arena alive a little longer.
func (m *memTable) release() {
	if m.unreserve != nil {
		m.unreserve()
	}
}

func (d *DB) newMemTable(logNum base.FileNum) *memTable {
	seed := d.opts.RandomSeed ^ uint64(logNum)*0x9E3779B97F4A7C15
	return &memTable{Memtable: memtable.New(d.cmp, d.opts.MemTableSize, seed), logNum: logNum}
}

// rangeDelMemSize is what one range tombstone costs a memtable.
func rangeDelMemSize(startLen, endLen int) int { return startLen + endLen + 64 }

// fits reports whether n more bytes fit, counting the range tombstones.
func (m *memTable) fits(n uint64) bool {
	return m.Fits(int(n) + int(m.rangeDels.bytes.Load()))
}

// empty reports whether the memtable holds nothing at all.
func (m *memTable) empty() bool { return m.Empty() && m.rangeDels.bytes.Load() == 0 }

// addRangeDel records a tombstone (copying its bounds). Writers are
// serialized by the commit pipeline.
func (m *memTable) addRangeDel(start, end []byte, seq base.SeqNum) {
	t := rangedel.Tombstone{Start: append([]byte(nil), start...), End: append([]byte(nil), end...), Seq: seq}
	m.rangeDels.mu.Lock()
	m.rangeDels.list = append(m.rangeDels.list, t)
	m.rangeDels.mu.Unlock()
	m.rangeDels.bytes.Add(int64(rangeDelMemSize(len(start), len(end))))
}

// tombstones returns the tombstones added so far. The slice is never
// modified afterwards.
func (m *memTable) tombstones() []rangedel.Tombstone {
	// A tombstone's bytes are counted once it is in the list and before
	// its batch becomes visible, so a reader that could see one finds a
	// nonzero count.
	if m.rangeDels.bytes.Load() == 0 {
		return nil
	}
	m.rangeDels.mu.RLock()
	defer m.rangeDels.mu.RUnlock()
	return m.rangeDels.list[:len(m.rangeDels.list):len(m.rangeDels.list)]
}
