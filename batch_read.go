package tempest

import "github.com/tempestdb/tempest/internal/base"

// Reads through an indexed batch: the batch's own writes over the DB's
// current state. The batch's entries take part in a read as the newest
// source, at batchSeq; its range tombstones cover the DB's entries and
// none of the batch's own. That is the rule of Batch.DeleteRange, as Apply
// keeps it: the tombstone deletes the batch's earlier writes in its range
// by removing them from the batch, and does not cover its later ones,
// which share the batch's seqnum. A read takes the DB's
// readState and visible seqnum together (loadReadStateAndSeq), so it sees
// the DB at one seqnum.

// NewIndexedBatch returns an empty batch that can also be read: Get and
// NewIter see its writes over the DB's state. Writing to it costs what a
// plain batch's writes cost; the first read after writes sorts them into
// the batch's index.
func (d *DB) NewIndexedBatch() *Batch {
	b := newBatch(&d.lim)
	b.db = d
	b.index = &batchIndex{cmp: d.cmp}
	b.index.reset()
	return b
}

// readSnapshot checks that b can be read and returns its current state.
func (b *Batch) readSnapshot() (*batchSnapshot, error) {
	if b == nil || b.index == nil {
		return nil, base.InvalidArgumentf("batch not created by DB.NewIndexedBatch")
	}
	if b.db.closed.Load() {
		return nil, ErrClosed
	}
	return b.index.snapshot(b)
}

// Get returns a copy of key's value as the batch's writes leave the DB's
// current state, or ErrNotFound: the batch's latest write of key if it has
// one, unless it is a Delete; otherwise the DB's value, unless one of the
// batch's range tombstones covers key. Under a Comparer with version
// suffixes it returns, as DB.Get does, the first visible version of key's
// prefix at or after key, the batch's versions taking part. It returns
// ErrInvalidArgument for a batch from NewBatch and ErrClosed once the DB
// is closed.
func (b *Batch) Get(key []byte) ([]byte, error) {
	bs, err := b.readSnapshot()
	if err != nil {
		return nil, err
	}
	rs, seq := b.db.loadReadStateAndSeq()
	return b.getAt(bs, rs, key, seq)
}

// getAt is Get of the batch state bs over the DB's state at seq, which
// rs must hold (a transaction reads at its snapshot). It takes over the
// caller's reference to rs.
func (b *Batch) getAt(bs *batchSnapshot, rs *readState, key []byte, seq base.SeqNum) ([]byte, error) {
	d := b.db
	if d.opts.VisibilityFilter != nil {
		defer rs.unref()
		return d.getFiltered(rs, key, seq, bs)
	}
	if !bs.shapes(d.cmp, key) {
		// The batch takes no part: the DB's point read answers.
		defer rs.unref()
		return d.getAt(rs, key, seq)
	}
	return d.iterGet(rs, key, seq, bs) // takes over the reference
}

// shapes reports whether the batch state can change a read of key: it
// holds a range tombstone, or an entry of key's prefix at or after key (a
// read returns the first visible entry of the prefix at or after key, and
// a prefix's entries are contiguous in the Comparer's order). Otherwise
// the read is the DB's alone.
func (bs *batchSnapshot) shapes(cmp *base.Comparer, key []byte) bool {
	if !bs.rangeDels.Empty() {
		return true
	}
	it := batchIter{cmp: cmp, points: bs.points}
	i := it.search(base.InternalKey{UserKey: key, Trailer: base.TrailerMax})
	return i < len(bs.points) && cmp.HasPrefix(bs.points[i].key.UserKey, cmp.Prefix(key))
}

// NewIter returns an iterator over the batch's writes merged with the
// DB's current state, in both directions, within o's bounds. It sees the
// batch as it is when NewIter is called (later writes to the batch are not
// seen; a new iterator sees them) and the DB at one seqnum, as DB.NewIter
// does. It returns ErrInvalidArgument for a batch from NewBatch and
// ErrClosed once the DB is closed.
func (b *Batch) NewIter(o *IterOptions) (*Iterator, error) {
	bs, err := b.readSnapshot()
	if err != nil {
		return nil, err
	}
	rs, seq := b.db.loadReadStateAndSeq()
	return b.db.newIter(rs, seq, o, bs)
}
