package tempest

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Merger resolves merge operands (DB.Merge, Batch.Merge): a read folds a
// key's operands, oldest to newest, over the newest value below them.
//
// Merge combines an older value or operand with a newer operand of key.
// older is nil when nothing lies below (no value, a point tombstone, or a
// range tombstone). It must be associative: Merge(Merge(a, b), c) equals
// Merge(a, Merge(b, c)), nil included, because flushes and compactions
// combine adjacent operands before the value below them is known. It must
// not modify or keep its arguments; the slice it returns is copied. An
// error fails the read that needed the merge (and a compaction that
// would combine the operands), never silently dropping an operand.
//
// Name is recorded in the manifest; a database that recorded one opens
// only with a Merger of the same name.
type Merger struct {
	Name  string
	Merge func(key, older, newer []byte) ([]byte, error)
}

// Uint64AddMerger adds unsigned 64-bit counters: operands and values are
// 8-byte little-endian integers, and a merge is their sum (wrapping at
// 2^64). An empty older (nothing below) counts as 0. A newer operand of
// another length than 8, or an older one of another length than 0 or 8,
// fails the merge with ErrInvalidArgument, on the read (or compaction)
// that meets it.
var Uint64AddMerger = &Merger{Name: "tempest.uint64add", Merge: uint64Add}

func uint64Add(key, older, newer []byte) ([]byte, error) {
	if len(newer) != 8 || (len(older) != 0 && len(older) != 8) {
		return nil, base.InvalidArgumentf("uint64add: operands of %d and %d bytes for key %q, want 8", len(older), len(newer), key)
	}
	sum := binary.LittleEndian.Uint64(newer)
	if len(older) == 8 {
		sum += binary.LittleEndian.Uint64(older)
	}
	return binary.LittleEndian.AppendUint64(nil, sum), nil
}

// Merge adds operand as a merge operand of key: reads see the Merger's
// fold of key's operands over its newest value below them. A nil o means
// Sync. It returns ErrInvalidArgument, changing nothing, without an
// Options.Merger, or on a database below FormatVersion4 (ratchet it with
// RatchetFormatVersion).
func (d *DB) Merge(key, operand []byte, o *WriteOptions) error {
	if err := d.writable(); err != nil {
		return err
	}
	b := d.getBatch()
	defer d.putBatch(b)
	if err := b.Merge(key, operand); err != nil {
		return err
	}
	_, err := d.Apply(b, o)
	return err
}

// checkMergeWrite refuses a batch holding merge operands on a database
// that cannot hold them.
func (d *DB) checkMergeWrite(b *Batch) error {
	if !b.hasMerge {
		return nil
	}
	if d.opts.Merger == nil {
		return base.InvalidArgumentf("batch holds merge operands, and the DB has no Options.Merger")
	}
	if v := d.FormatVersion(); !rulesOf(v).merges {
		return base.InvalidArgumentf("merge operands need format version %d; the database is at %d (see RatchetFormatVersion)", FormatVersion4, v)
	}
	return nil
}

// checkMergerName refuses to open a database whose recorded merger is
// not Options.Merger.
func (d *DB) checkMergerName() error {
	name := d.manifest.MergerName()
	switch {
	case name == "":
		return nil
	case d.opts.Merger == nil:
		return base.InvalidArgumentf("database uses merger %q, opened without Options.Merger", name)
	case d.opts.Merger.Name != name:
		return base.InvalidArgumentf("database uses merger %q, opened with %q", name, d.opts.Merger.Name)
	}
	return nil
}

// recordMergerName records Options.Merger's name in the manifest of a
// database that can hold merge operands and records no merger yet. A
// read-only open records nothing.
func (d *DB) recordMergerName() error {
	if d.opts.Merger == nil || d.opts.ReadOnly || d.manifest.MergerName() != "" || !d.formatRules().merges {
		return nil
	}
	return d.manifest.Apply(&manifest.Edit{MergerName: d.opts.Merger.Name})
}

// mergeAcc folds the operands of one user key, newest first, then the
// value below them (finish). The fold is owned: it never aliases the
// operands, which may point into blocks or arenas that are released.
type mergeAcc struct {
	m   *Merger
	key []byte // owned
	val []byte // the fold so far, owned
}

// start begins a fold at key's newest operand. The key is a new copy:
// consumers (a flush, a compaction's output) may hold the last one.
func (a *mergeAcc) start(m *Merger, key, operand []byte) {
	a.m = m
	a.key = append([]byte(nil), key...)
	a.val = append(a.val[:0], operand...)
}

// older folds in an older operand, or the value below (finish).
func (a *mergeAcc) older(older []byte) error {
	if a.m == nil {
		return base.InvalidArgumentf("merge operand of key %q, and the DB has no Options.Merger", a.key)
	}
	v, err := a.m.Merge(a.key, older, a.val)
	if err != nil {
		return fmt.Errorf("tempest: merge of key %q: %w", a.key, err)
	}
	a.val = append(a.val[:0:0], v...)
	return nil
}

// finish folds the operands over base, the value below them (nil if
// none or a tombstone), leaving the resolved value in a.val.
func (a *mergeAcc) finish(base []byte) error { return a.older(base) }
