package sstable

import "github.com/tempestdb/tempest/internal/base"

// A table read at a global seqnum (ReaderOptions.GlobalSeqNum) holds only
// seqnum 0 on disk, as a table written for ingest does; the Reader
// replaces that 0 by the global seqnum in everything it returns. Since
// every entry has the same seqnum, the order of the entries as read is
// the order on disk, except against a seek key of the same user key: the
// seeks below compare with the entries as read.

// setGlobalSeq makes r read its table at seq (0: as written). Called by
// open once the bounds are checked.
func (r *Reader) setGlobalSeq(seq base.SeqNum) error {
	r.dels = r.rangeDels
	if seq == 0 {
		return nil
	}
	if !seq.Valid() {
		return base.InvalidArgumentf("sstable: global seqnum %d exceeds the maximum", uint64(seq))
	}
	if p := &r.props; p.SmallestSeq != 0 || p.LargestSeq != 0 {
		return base.Corruptionf(r.name, int64(r.footer.props.offset),
			"table with seqnums [%d, %d] opened at global seqnum %d: it must hold only seqnum 0",
			p.SmallestSeq, p.LargestSeq, uint64(seq))
	}
	r.globalSeq = seq
	r.dels = make([]RangeDel, len(r.rangeDels))
	for i, d := range r.rangeDels {
		d.Seq = seq
		r.dels[i] = d
	}
	return nil
}

// AtGlobalSeq returns p as a Reader opened at the global seqnum seq
// reports it (p itself for 0): the bounds and the seqnum range at seq.
func (p Properties) AtGlobalSeq(seq base.SeqNum) Properties {
	if seq == 0 || p.empty() {
		return p
	}
	p.SmallestSeq, p.LargestSeq = seq, seq
	p.Smallest = atSeq(p.Smallest, seq)
	p.Largest = atSeq(p.Largest, seq)
	return p
}

// atSeq returns k at seqnum seq, unless k is an exclusive sentinel.
func atSeq(k base.InternalKey, seq base.SeqNum) base.InternalKey {
	if k.IsExclusiveSentinel() {
		return k
	}
	k.Trailer = base.MakeTrailer(seq, k.Kind())
	return k
}

// seekGEGlobal is SeekGE for a table read at a global seqnum: the entries
// of key's user key sort after key on disk (seqnum 0) but may sort before
// it as read, so it seeks to the user key and steps past them.
func (i *Iter) seekGEGlobal(key base.InternalKey) bool {
	ok := i.seekGE(base.MakeSearchKey(key.UserKey, base.SeqNumMax))
	for ok && i.r.cmp.CompareInternal(i.Key(), key) < 0 {
		ok = i.Next()
	}
	return ok
}

// seekLTGlobal is SeekLT for a table read at a global seqnum: the entry
// before the first one at or after key as read.
func (i *Iter) seekLTGlobal(key base.InternalKey) bool {
	if i.seekGEGlobal(key) {
		return i.Prev()
	}
	if i.err != nil {
		return false
	}
	return i.Last()
}
