package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// Merge operands in a flush. Under a Merger a flush combines a memtable's
// operands as a compaction does (compactionIter.foldMerge): an operand
// that is the newest version of its snapshot stripe absorbs the versions
// of its user key below it in the stripe. It keeps every other entry, as a
// flush without a Merger does, and is never bottommost (older versions may
// lie in the LSM). Combining versions hides them from reads at the
// seqnums between, so the flush raises the horizon first (as a compaction
// does) and records it.

// flushSnapshots returns the open snapshots the flush of m must keep and
// the horizon it raised, or nothing when m holds no merge operand (or
// there is no Merger).
func (d *DB) flushSnapshots(m *memTable) ([]base.SeqNum, base.SeqNum) {
	if d.opts.Merger == nil || !m.merges.Load() {
		return nil, 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.raiseHorizonLocked()
	return d.snapshotSeqsLocked(), d.mu.horizon
}

// flushIterator is what writeSST reads a memtable through.
type flushIterator struct {
	*compactionIter
	close func() error
}

func (f flushIterator) Close() error { return f.close() }

// foldHorizon is the largest seqnum of an entry that combined others.
func (f flushIterator) foldHorizon() base.SeqNum { return f.folded }

// flushIter returns m's entries, with operands combined under a Merger.
func (d *DB) flushIter(m *memTable, snapshots []base.SeqNum) flushIterator {
	it := m.NewIter()
	c := newCompactionIter(d.cmp, it, snapshots, false, rangedel.Build(d.cmp, m.tombstones()), nil, d.opts.Merger)
	c.foldOnly = true
	if !m.merges.Load() {
		c.merger = nil // nothing to combine
	}
	return flushIterator{c, it.Close}
}

// findNextFold is findNext of a flush: the next entry, operands combined.
// Of two entries of one key and seqnum (a batch that wrote the key twice)
// the first, the later write, stands; writeSST drops the second.
func (c *compactionIter) findNextFold() bool {
	if !c.iterOK {
		return false
	}
	k := c.iter.Key()
	if k.Kind() == base.KindMerge && c.merger != nil && (c.noFold == nil || !c.cmp.Equal(k.UserKey, c.noFold)) {
		return c.foldMerge(k, c.stripe(k.SeqNum()))
	}
	c.key, c.value = k, c.iter.Value()
	return true
}
