package tempest

import "github.com/tempestdb/tempest/internal/base"

// foldMerge combines k, a merge operand that is the newest version of its
// user key in its stripe, with the versions below it in the same stripe,
// which no reader can see apart from it:
//
//   - older operands fold into it (the Merger is associative);
//   - a value below ends the fold: the output is a value, the fold over
//     it;
//   - a point tombstone, or an entry a range tombstone covers from at or
//     below k's seqnum, ends it too: the output is a value, the fold over
//     nothing. A range tombstone above k covers k as well: a compaction
//     drops k for it, and a flush, which keeps k, must fold as if it were
//     not there, so that a read at k's seqnum (a snapshot taken at its
//     batch after a replay, whose horizon is k's seqnum) finds k over
//     what lies below;
//   - when the stripe ends (a snapshot separates the next version) the
//     output is an operand, the fold so far, and the older stripes are
//     kept as they are;
//   - when the key's versions end in a bottommost compaction, nothing is
//     below: the output is a value, the fold over nothing.
//
// Every output keeps k's seqnum; folded records the largest seqnum of an
// output that combined entries (reads between the seqnums it combined
// no longer find what they saw). A failing merge stops the iterator with
// the error, which fails the compaction: no operand is dropped.
func (c *compactionIter) foldMerge(k base.InternalKey, stripe int) bool {
	c.acc.start(c.merger, k.UserKey, c.iter.Value())
	kind, resolved := base.KindMerge, false
	var below []byte
	for {
		c.iterOK = c.iter.Next()
		if !c.iterOK {
			if c.iter.Error() != nil {
				return false
			}
			resolved, c.pending = c.bottommost, true
			break
		}
		n := c.iter.Key()
		if !c.cmp.Equal(n.UserKey, c.acc.key) {
			resolved, c.pending = c.bottommost, true
			break
		}
		if c.stripe(n.SeqNum()) != stripe {
			c.pending = true
			break
		}
		c.dropped++ // folded in, or hidden by what it folded over
		if n.SeqNum() == k.SeqNum() {
			continue // an earlier write of k's batch, which k superseded
		}
		c.folded = max(c.folded, k.SeqNum())
		if c.rangeDels.Covers(n.UserKey, n.SeqNum(), k.SeqNum()) {
			resolved = true
			break
		}
		if n.Kind() != base.KindMerge {
			switch n.Kind() {
			case base.KindSet:
				below = c.iter.Value()
			case base.KindBlobValue:
				v, err := c.blobs.read(c.iter.Value(), c.blobBuf[:0])
				if err != nil {
					c.err = err // fails the compaction: nothing is dropped
					return false
				}
				below, c.blobBuf = v, v
			}
			resolved = true
			break
		}
		if err := c.acc.older(c.iter.Value()); err != nil {
			return c.foldFailed(k, err)
		}
	}
	if resolved {
		if err := c.acc.finish(below); err != nil {
			return c.foldFailed(k, err)
		}
		kind = base.KindSet
	}
	c.key = base.MakeInternalKey(c.acc.key, k.SeqNum(), kind)
	c.value = c.acc.val
	return true
}

// foldFailed ends a fold of k's key whose merge failed. A compaction
// fails with the error. A flush, which must not fail on a value it only
// meant to combine early, writes the key's entries as they are, from k
// on: reads and the next compaction meet the error.
func (c *compactionIter) foldFailed(k base.InternalKey, err error) bool {
	if !c.foldOnly {
		c.err = err
		return false
	}
	c.noFold = c.acc.key
	c.pending = false
	c.iterOK = c.iter.SeekGE(base.MakeSearchKey(c.acc.key, k.SeqNum()))
	if !c.iterOK {
		return false // an iterator error: Error reports it
	}
	c.key, c.value = c.iter.Key(), c.iter.Value()
	return true
}
