package tempest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// compactionIter filters the merged entries of a compaction's inputs down
// to the ones some reader can still see.
//
// Open snapshots cut each user key's versions into stripes: stripe i holds
// the versions with seqnum in (snapshots[i-1], snapshots[i]], and the last
// stripe those newer than every snapshot. A reader at any snapshot (or at
// the current state) sees at most the newest version of each stripe, so
// within a stripe only the newest version is kept.
//
// A tombstone that is the newest version of the oldest stripe hides every
// version below it from every reader. When the compaction is bottommost (no
// level below its output holds the key) there is nothing below it left to
// hide, so the tombstone itself is dropped.
//
// Versions of one prefix with different suffixes are different user keys:
// all are kept (reads deduplicate them by prefix).
type compactionIter struct {
	cmp        *base.Comparer
	iter       base.InternalIterator
	snapshots  []base.SeqNum // ascending
	bottommost bool

	iterOK     bool
	curKey     []byte // user key of the last entry read
	haveCur    bool
	curStripe  int
	key        base.InternalKey
	value      []byte
	dropped    uint64 // entries dropped, for metrics
	tombstones uint64 // tombstones dropped
}

func newCompactionIter(cmp *base.Comparer, iter base.InternalIterator, snapshots []base.SeqNum, bottommost bool) *compactionIter {
	return &compactionIter{cmp: cmp, iter: iter, snapshots: snapshots, bottommost: bottommost}
}

func (c *compactionIter) stripe(seq base.SeqNum) int {
	return sort.Search(len(c.snapshots), func(i int) bool { return c.snapshots[i] >= seq })
}

// First positions at the first entry to keep.
func (c *compactionIter) First() bool {
	c.iterOK = c.iter.First()
	c.haveCur = false
	return c.findNext()
}

// Next moves to the next entry to keep.
func (c *compactionIter) Next() bool {
	c.iterOK = c.iter.Next()
	return c.findNext()
}

func (c *compactionIter) findNext() bool {
	for ; c.iterOK; c.iterOK = c.iter.Next() {
		k := c.iter.Key()
		stripe := c.stripe(k.SeqNum())
		if c.haveCur && c.cmp.Equal(k.UserKey, c.curKey) {
			if stripe == c.curStripe {
				c.dropped++ // shadowed by a newer version in its stripe
				continue
			}
		} else {
			c.curKey = append(c.curKey[:0], k.UserKey...)
			c.haveCur = true
		}
		c.curStripe = stripe
		if k.Kind() == base.KindDelete && stripe == 0 && c.bottommost {
			c.dropped++
			c.tombstones++
			continue
		}
		c.key, c.value = k, c.iter.Value()
		return true
	}
	return false
}

// Key and Value are valid until the next call to Next.
func (c *compactionIter) Key() base.InternalKey { return c.key }
func (c *compactionIter) Value() []byte         { return c.value }
func (c *compactionIter) Error() error          { return c.iter.Error() }
