package sstable

import "github.com/tempestdb/tempest/internal/base"

// writerMode is the kind of entries a Writer takes, fixed by its first
// Add, AddRangeDel, Set, Delete or DeleteRange. Invariant: every entry and
// tombstone of a modeIngest writer has seqnum zero.
type writerMode uint8

const (
	modeUnset    writerMode = iota
	modeInternal            // Add, AddRangeDel: internal keys with their seqnums
	modeIngest              // Set, Delete, DeleteRange: user keys at seqnum zero
)

// enterMode fixes the writer's mode at m, or fails the writer if it took
// entries of the other mode. It returns the writer's error.
func (w *Writer) enterMode(m writerMode) error {
	if w.err != nil {
		return w.err
	}
	if w.mode != modeUnset && w.mode != m {
		w.err = base.InvalidArgumentf("sstable: a writer takes internal keys (Add, AddRangeDel) " +
			"or user keys (Set, Delete, DeleteRange), not both")
		return w.err
	}
	w.mode = m
	return nil
}

// Set appends the point entry key=value of a table written for ingest.
// Point keys (of Set and Delete together) must strictly increase in the
// Comparer's order, each written once. On a key out of order or repeated,
// on an entry over MaxEntrySize, or on a writer that took Add or
// AddRangeDel, Set returns an error matching base.ErrInvalidArgument and,
// as after any failure, the writer is unusable (see Writer). Set copies
// key and value.
func (w *Writer) Set(key, value []byte) error {
	return w.addUserKey(key, base.KindSet, value)
}

// Delete appends a point tombstone for key to a table written for ingest:
// once ingested, it hides the key's older values in the DB. Its rules are
// those of Set.
func (w *Writer) Delete(key []byte) error {
	return w.addUserKey(key, base.KindDelete, nil)
}

// DeleteRange records a range tombstone for the user keys in [start, end)
// in a table written for ingest: once ingested, it deletes the DB's older
// entries in the range, but not the table's own point entries, which
// share its seqnum. Ranges are taken independently of Set and Delete, in
// order: each must have start before end and begin at or after the
// previous range's end (adjacent ranges are fine, overlapping ones are
// refused; merge them first). Otherwise, or on a writer that took Add or
// AddRangeDel, DeleteRange returns an error matching
// base.ErrInvalidArgument and the writer is unusable. DeleteRange copies
// start and end.
func (w *Writer) DeleteRange(start, end []byte) error {
	if err := w.enterMode(modeIngest); err != nil {
		return err
	}
	if n := len(w.rangeDels); n > 0 {
		cmp, prev := w.opts.Comparer, &w.rangeDels[n-1]
		if cmp.Compare(start, prev.End) < 0 {
			w.err = base.InvalidArgumentf("sstable: range deletion [%s, %s) begins before %s, the end of "+
				"the previous one: ranges must come in order of start and not overlap",
				cmp.Format(start), cmp.Format(end), cmp.Format(prev.End))
			return w.err
		}
	}
	return w.addRangeDel(start, end, base.SeqNumZero)
}

// addUserKey appends a point entry of a table written for ingest.
func (w *Writer) addUserKey(key []byte, kind base.Kind, value []byte) error {
	if err := w.enterMode(modeIngest); err != nil {
		return err
	}
	if cmp := w.opts.Comparer; w.props.EntryCount > 0 && cmp.Compare(key, w.lastKey) <= 0 {
		w.err = base.InvalidArgumentf("sstable: key %s written after %s: keys must strictly increase, "+
			"each written once", cmp.Format(key), cmp.Format(w.lastKey))
		return w.err
	}
	return w.add(base.MakeInternalKey(key, base.SeqNumZero, kind), value)
}
