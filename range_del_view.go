package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/rangedel"
	"github.com/tempestdb/tempest/sstable"
)

// Range tombstones on the read path.
//
// A read at snapshot S treats an entry of key k at seqnum s as absent when
// a range tombstone visible at S (seqnum t <= S) covers k with t > s. The
// entry is skipped as if it had never been written, so an older version,
// or another version of the same prefix, can show through if no tombstone
// covers it.
//
// The tombstones of a readState's SSTs are fragmented once per readState,
// on first use; those of its memtables, once per read. A frozen memtable's
// may still grow too: a writer whose batch went to its WAL before the
// rotation inserts it afterwards (commit_apply.go), and a read after that
// batch is published must see its tombstones.

// rangeDelView is what one read consults.
type rangeDelView struct {
	sets     [2]*rangedel.Set
	snapshot base.SeqNum
	// batch holds the tombstones of an indexed batch read through, at
	// batchSeq: they cover every entry of the DB and none of the batch.
	batch *rangedel.Set
	none  bool // no tombstone in any set: covered is always false
}

// covered reports whether the entry k is deleted by a range tombstone.
func (v *rangeDelView) covered(k base.InternalKey) bool {
	if v.none {
		return false
	}
	for _, s := range v.sets {
		if s.Covers(k.UserKey, k.SeqNum(), v.snapshot) {
			return true
		}
	}
	return v.batch.Covers(k.UserKey, k.SeqNum(), batchSeq)
}

// addBatch adds the tombstones of bs, if not nil.
func (v *rangeDelView) addBatch(bs *batchSnapshot) {
	if bs != nil && !bs.rangeDels.Empty() {
		v.batch = bs.rangeDels
		v.none = false
	}
}

func (v *rangeDelView) empty() bool { return v.none }

// immutableRangeDels holds the fragmented tombstones of a readState's
// SSTs.
type immutableRangeDels struct {
	once sync.Once
	set  *rangedel.Set
	err  error
}

// rangeDelView returns the tombstones a read of rs at snapshot sees.
func (d *DB) rangeDelView(rs *readState, snapshot base.SeqNum) (rangeDelView, error) {
	rs.rangeDels.once.Do(func() {
		var ts []rangedel.Tombstone
		rs.rangeDels.err = d.tableRangeDels(rs.version, func(_ *manifest.FileMetadata, t sstable.RangeDel) {
			ts = append(ts, rangedel.Tombstone{Start: t.Start, End: t.End, Seq: t.Seq})
		})
		if rs.rangeDels.err != nil {
			return
		}
		rs.rangeDels.set = rangedel.Build(d.cmp, ts)
	})
	v := rangeDelView{snapshot: snapshot}
	if rs.rangeDels.err != nil {
		return v, rs.rangeDels.err
	}
	v.sets[0] = rs.rangeDels.set
	var mem []rangedel.Tombstone
	for _, m := range rs.mems {
		mem = append(mem, m.tombstones()...)
	}
	if len(mem) > 0 {
		v.sets[1] = rangedel.Build(d.cmp, mem)
	}
	v.none = v.sets[0].Empty() && v.sets[1].Empty()
	return v, nil
}

// tableRangeDels calls fn with every range tombstone of the SSTs of v and
// the file holding it, opening tables through the table cache (files
// without tombstones are skipped unopened). It stops at the first table
// that cannot be opened and returns its error.
func (d *DB) tableRangeDels(v *manifest.Version, fn func(f *manifest.FileMetadata, t sstable.RangeDel)) error {
	for _, files := range v.Levels {
		for _, f := range files {
			if f.RangeDelCount == 0 {
				continue
			}
			t, err := d.tables.get(f)
			if err != nil {
				return err
			}
			for _, rd := range t.r.RangeDels() { // valid after the reader closes
				fn(f, rd)
			}
			t.release()
		}
	}
	return nil
}
