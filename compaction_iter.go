package tempest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/rangedel"
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
// hide, so the tombstone itself is dropped — unless its key has a version
// suffix. Under such a Comparer a tombstone is a version like any other:
// reads take the first version of a prefix at or after their own, so the
// tombstone of row@5 hides row@2 from reads at versions 5 and up, even a
// row@2 written after the tombstone (it sorts after row@5 whatever its
// seqnum). Dropping the tombstone would bring such versions back, so it is
// kept (the newest of its own user key, as any version).
//
// A point entry covered by a range tombstone of the same stripe (a newer
// seqnum no snapshot separates from it) is invisible to every reader and
// is dropped; the tombstone stays (see rangeDelOutputs).
//
// Versions of one prefix with different suffixes are different user keys:
// all are kept (reads deduplicate them by prefix).
//
// A merge operand that is the newest version of its stripe is folded with
// the versions of its user key below it in the same stripe
// (compaction_merge.go); operands are never combined across a snapshot.
type compactionIter struct {
	cmp        *base.Comparer
	iter       base.InternalIterator
	snapshots  []base.SeqNum // ascending
	bottommost bool
	rangeDels  *rangedel.Set    // the inputs' tombstones
	filter     VisibilityFilter // may be nil
	merger     *Merger          // may be nil: operands are kept as they are

	// For the filter: the prefix of the current group and the versions of
	// it kept so far in the newest stripe.
	groupPrefix []byte
	versions    int
	lastKept    []byte

	iterOK     bool
	curKey     []byte // user key of the last entry read
	haveCur    bool
	curStripe  int
	key        base.InternalKey
	value      []byte
	dropped    uint64 // entries dropped, for metrics
	tombstones uint64 // tombstones dropped

	// pending: iter is at an entry not yet looked at (a merge fold read
	// up to it), so Next does not advance.
	pending bool
	acc     mergeAcc
	err     error
	// foldOnly (a flush): keep every entry, only combining merge operands
	// (and what they fold over); folded is the largest seqnum of an
	// output that combined entries.
	foldOnly bool
	folded   base.SeqNum
	noFold   []byte // a flush's key whose fold failed: written as it is
	// blobs reads a separated value a fold ends on; blobBuf holds it.
	blobs   *blobCache
	blobBuf []byte
}

func newCompactionIter(cmp *base.Comparer, iter base.InternalIterator, snapshots []base.SeqNum, bottommost bool, rangeDels *rangedel.Set, filter VisibilityFilter, merger *Merger) *compactionIter {
	return &compactionIter{cmp: cmp, iter: iter, snapshots: snapshots, bottommost: bottommost, rangeDels: rangeDels, filter: filter, merger: merger}
}

func (c *compactionIter) stripe(seq base.SeqNum) int {
	return stripeOf(c.snapshots, seq)
}

// stripeOf returns the index of the stripe holding seq.
func stripeOf(snapshots []base.SeqNum, seq base.SeqNum) int {
	return sort.Search(len(snapshots), func(i int) bool { return snapshots[i] >= seq })
}

// stripeTop is the largest seqnum in stripe i.
func stripeTop(snapshots []base.SeqNum, i int) base.SeqNum {
	if i < len(snapshots) {
		return snapshots[i]
	}
	return base.SeqNumMax
}

// First positions at the first entry to keep.
func (c *compactionIter) First() bool {
	c.iterOK = c.iter.First()
	c.haveCur = false
	return c.findNext()
}

// Next moves to the next entry to keep.
func (c *compactionIter) Next() bool {
	if c.pending {
		c.pending = false
	} else {
		c.iterOK = c.iter.Next()
	}
	return c.findNext()
}

func (c *compactionIter) findNext() bool {
	if c.foldOnly {
		return c.findNextFold()
	}
	for ; c.iterOK; c.iterOK = c.iter.Next() {
		k := c.iter.Key()
		stripe := c.stripe(k.SeqNum())
		if c.filtered(k, stripe) {
			c.dropped++ // rejected by the filter, and no snapshot sees it
			continue
		}
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
		if c.rangeDels.Covers(k.UserKey, k.SeqNum(), stripeTop(c.snapshots, stripe)) {
			c.dropped++ // deleted by a range tombstone no snapshot separates from it
			continue
		}
		if k.Kind() == base.KindDelete && stripe == 0 && c.bottommost && !c.hasSuffix(k.UserKey) {
			c.dropped++
			c.tombstones++
			continue
		}
		if k.Kind() == base.KindMerge && c.merger != nil {
			return c.foldMerge(k, stripe)
		}
		c.key, c.value = k, c.iter.Value()
		return true
	}
	return false
}

// hasSuffix reports whether userKey carries a version suffix.
func (c *compactionIter) hasSuffix(userKey []byte) bool {
	return len(c.cmp.Prefix(userKey)) < len(userKey)
}

// filtered reports whether the VisibilityFilter rejects k. Only entries newer than
// every snapshot are asked, so that no snapshot read changes. Versions are
// counted per prefix over the user keys kept so far, as a read at the
// current state counts them.
func (c *compactionIter) filtered(k base.InternalKey, stripe int) bool {
	if c.filter == nil || !k.Kind().IsValue() || stripe != len(c.snapshots) {
		return false
	}
	p := c.cmp.Prefix(k.UserKey)
	if c.groupPrefix == nil || c.cmp.ComparePrefix(p, c.groupPrefix) != 0 {
		c.groupPrefix = append(c.groupPrefix[:0], p...)
		c.versions = 0
		c.lastKept = c.lastKept[:0]
	} else if len(c.lastKept) > 0 && c.cmp.Equal(k.UserKey, c.lastKept) {
		return false // an older version of a kept user key: shadowed anyway
	}
	if !c.filter.Keep(VisibilityEntry{Key: k.UserKey, Value: filterValue(k.Kind(), c.iter.Value()), SeqNum: uint64(k.SeqNum()), Version: c.versions}) {
		return true
	}
	c.versions++
	c.lastKept = append(c.lastKept[:0], k.UserKey...)
	return false
}

// Key and Value are valid until the next call to Next.
func (c *compactionIter) Key() base.InternalKey { return c.key }
func (c *compactionIter) Value() []byte         { return c.value }
func (c *compactionIter) Error() error {
	if c.err != nil {
		return c.err
	}
	return c.iter.Error()
}
