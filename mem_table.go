package tempest

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/invariants"
	"github.com/tempestdb/tempest/internal/manifest"
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
	// merges is set once the memtable holds a merge operand: only then
	// does its flush combine operands (flush_merge.go).
	merges atomic.Bool

	rangeDels struct {
		mu    sync.RWMutex
		list  []rangedel.Tombstone // append-only; guarded by mu
		bytes atomic.Int64
	}

	// writers counts the commits prepared into this memtable (their
	// batches are in its WAL) that have not yet inserted their entries
	// (commit_apply.go). The commit leader adds to it while the memtable
	// is active; a flush waits for it to drain once it is frozen.
	writers sync.WaitGroup
	// unapplied is the memory those commits reserved and have not yet
	// inserted: fits counts it, so commits prepared one after another do
	// not together overfill the arena.
	unapplied atomic.Int64

	// refs counts the memtable's holders: its owner (the DB while the
	// memtable is active or frozen, or the replayer) and every readState
	// that lists it. The last unref frees the arena.
	refs atomic.Int32
	// unreserve gives back the memtable's charge to the block cache (see
	// chargeCache); nil when it is not charged.
	unreserve func()
	// lastSeq is the seqnum of the last batch written to the memtable's
	// WAL, set when the memtable is frozen (0 for memtables of recovery).
	lastSeq base.SeqNum
	// closed is the final size and checksum of the memtable's WAL, set
	// when a rotation freezes the memtable (nil for memtables of
	// recovery), for RatchetFormatVersion to record.
	closed *manifest.ClosedLog
}

// chargeCache charges m's arena to the block cache while m is in use,
// when Options.MemoryBudget makes memtables and blocks share one budget:
// blocks then get what the memtables leave. release gives it back.
func (d *DB) chargeCache(m *memTable) {
	if d.opts.MemoryBudget > 0 {
		m.unreserve = d.cache.c.Reserve(int64(m.Footprint()))
	}
}

// releaseCharge gives back m's cache charge (once; later calls do
// nothing). Close calls it for memtables a readState may still list.
func (m *memTable) releaseCharge() {
	if m.unreserve != nil {
		m.unreserve()
	}
}

// ref takes a reference for a new holder, which must already hold one
// (or hold d.mu while the DB does).
func (m *memTable) ref() { m.refs.Add(1) }

// unref drops a reference. The last one gives back m's cache charge and
// frees its arena: by then no readState lists m (each holds a reference),
// and its owner is done writing and flushing it. Readers hold a readState
// for as long as they use keys or values that alias the arena.
func (m *memTable) unref() {
	switch n := m.refs.Add(-1); {
	case n == 0:
		m.releaseCharge()
		m.Free()
	case n < 0 && invariants.Enabled:
		panic(fmt.Sprintf("tempest: memtable %d unreferenced %d times too often", m.logNum, -n))
	}
}

// newMemTable returns a memtable of MemTableSize holding one reference,
// its owner's.
func (d *DB) newMemTable(logNum base.FileNum) *memTable {
	return d.newMemTableOfSize(logNum, d.opts.MemTableSize)
}

// newMemTableOfSize returns a memtable whose arena holds size bytes
// (clamped to the memtable package's limits), holding one reference, its
// owner's.
func (d *DB) newMemTableOfSize(logNum base.FileNum, size int) *memTable {
	seed := d.opts.RandomSeed ^ uint64(logNum)*0x9E3779B97F4A7C15
	m := &memTable{Memtable: memtable.New(d.cmp, size, seed), logNum: logNum}
	m.refs.Store(1)
	return m
}

// memTableSizeFor returns the arena size of a memtable into which, empty,
// entries costing need bytes in all fit (need sums EntrySize and
// rangeDelMemSize): at least minSize. ok is false when no memtable can
// hold them.
func memTableSizeFor(need uint64, minSize int) (size int, ok bool) {
	n := (uint64(memtable.MinArenaSize) + need + 7) &^ 7 // New rounds down to 8
	if n > uint64(min(MaxMemTableSize, math.MaxInt)) {
		return 0, false
	}
	return max(int(n), minSize), true
}

// rangeDelMemSize is what one range tombstone costs a memtable.
func rangeDelMemSize(startLen, endLen int) int { return startLen + endLen + 64 }

// fits reports whether n more bytes fit, counting the range tombstones.
func (m *memTable) fits(n uint64) bool {
	return m.Fits(int(n) + int(m.rangeDels.bytes.Load()) + int(m.unapplied.Load()))
}

// empty reports whether the memtable holds nothing at all.
func (m *memTable) empty() bool { return m.Empty() && m.rangeDels.bytes.Load() == 0 }

// addRangeDel records a tombstone (copying its bounds). Safe for writers
// inserting at once.
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
