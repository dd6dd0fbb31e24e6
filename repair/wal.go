package repair

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/internal/rangedel"
	"github.com/tempestdb/tempest/wal"
)

// walEntry is one point entry of a WAL batch.
type walEntry struct {
	key   base.InternalKey
	value []byte
	// ord is the entry's position in its batch: when a batch names a key
	// twice, the later entry wins.
	ord uint32
}

// walRecord locates one batch read from a WAL, to bound the seqnums of a
// damaged range by the batches around it.
type walRecord struct {
	off int64
	seq base.SeqNum
}

// readWALs reads the WALs of SRC that may hold writes not in the SSTs:
// with a trusted manifest those from its MinUnflushedLog on (older ones
// were flushed, and replaying them could bring back versions that
// compactions have since dropped with the tombstones that hid them);
// without one, every WAL. It returns their point entries, sorted for the
// merge, and adds their range tombstones to r.dels.
func (r *run) readWALs() ([]walEntry, error) {
	nums, err := r.listFiles(r.walDir, wal.ParseFileName)
	if err != nil {
		return nil, err
	}
	present := make(map[base.FileNum]bool, len(nums))
	for _, n := range nums {
		present[n] = true
	}
	mul := r.ms.minUnflushedLog
	if r.ms.trusted && mul != 0 && !present[mul] {
		r.fileMissing("wal", mul, r.walPath(mul), "the manifest names it as the oldest unflushed WAL")
	}
	var entries []walEntry
	for i, num := range nums {
		path := r.walPath(num)
		if r.ms.trusted && num < mul {
			r.rep.Files = append(r.rep.Files, FileReport{Kind: "wal", Num: num, Path: path,
				Status: "skipped: below the manifest's oldest unflushed WAL (its writes are in the SSTs)"})
			continue
		}
		newest := i == len(nums)-1
		var err error
		if entries, err = r.readWAL(num, path, newest, present, entries); err != nil {
			return nil, err
		}
	}
	return sortWALEntries(r.cmp, entries), nil
}

// readWAL salvages WAL num, appending its entries to entries.
func (r *run) readWAL(num base.FileNum, path string, newest bool, present map[base.FileNum]bool, entries []walEntry) ([]walEntry, error) {
	fr := FileReport{Kind: "wal", Num: num, Path: path, Status: "read"}
	var records []walRecord
	res, err := wal.Salvage(r.fs, path, func(payload []byte, off int64) error {
		b, err := batchrepr.Decode(payload)
		var batch []walEntry
		var dels []rangedel.Tombstone
		if err == nil {
			err = b.ForEach(func(e batchrepr.Entry) error {
				if e.Kind == base.KindRangeDelete {
					dels = append(dels, rangedel.Tombstone{Start: bytes.Clone(e.Key), End: bytes.Clone(e.Value), Seq: b.Seq})
					return nil
				}
				batch = append(batch, walEntry{key: base.MakeInternalKey(bytes.Clone(e.Key), b.Seq, e.Kind),
					value: bytes.Clone(e.Value), ord: uint32(len(batch) + len(dels))})
				return nil
			})
		}
		end := off + wal.RecordHeaderSize + int64(len(payload))
		if err != nil {
			// The checksum passed, so the batch was written this way;
			// a batch is atomic, so none of it is applied.
			fr.Damaged++
			r.lose(Loss{File: path, Offset: off, End: end, What: "WAL batch", Reason: fmt.Sprintf("malformed batch: %v", err)})
			return nil
		}
		records = append(records, walRecord{off: off, seq: b.Seq})
		entries = append(entries, batch...)
		r.dels = append(r.dels, dels...)
		fr.Batches++
		fr.Entries += uint64(len(batch) + len(dels))
		return nil
	})
	if err != nil {
		fr.Status = fmt.Sprintf("unreadable: %v", err)
		r.rep.Files = append(r.rep.Files, fr)
		r.lose(Loss{File: path, Offset: -1, End: -1, What: "whole file", Reason: err.Error()})
		return entries, nil
	}
	r.walDamage(&fr, res, records, newest)
	r.walSuccessor(path, res, present)
	r.rep.Files = append(r.rep.Files, fr)
	return entries, nil
}

// walDamage reports the damaged ranges of a WAL. A range followed by a
// valid record lost the batches between the ones around it. A range that
// ends the file is the torn tail of a crash, and lost nothing that was
// promised, if the log is the newest, has no end record and the manifest
// does not record a clean close (without a manifest, such a tail cannot
// be told from damage and is taken as torn); otherwise it is a loss.
func (r *run) walDamage(fr *FileReport, res wal.SalvageResult, records []walRecord, newest bool) {
	if res.HeaderValid && res.Header.Num != fr.Num {
		r.note("%s: header names WAL %s; its records were read all the same", fr.Path, res.Header.Num)
	}
	for _, d := range res.Damage {
		fr.Damaged++
		switch {
		case d.Tail && res.CleanClose:
			r.note("%s [%d, %d): %d bytes after the end record, ignored", fr.Path, d.Offset, d.End, d.End-d.Offset)
			continue
		case d.Tail && newest && !(r.ms.trusted && r.ms.cleanClose):
			r.note("%s [%d, %d): torn tail of a crash (unsynced writes), dropped as recovery does", fr.Path, d.Offset, d.End)
			continue
		}
		l := Loss{File: fr.Path, Offset: d.Offset, End: d.End, What: "WAL records", Reason: d.Reason}
		if d.Offset < wal.HeaderSize {
			l.What = "WAL header"
		}
		// Records are in file order: bound the lost seqnums by the
		// batches before and after the range.
		i, _ := slices.BinarySearchFunc(records, d.Offset, func(rec walRecord, off int64) int {
			return cmp.Compare(rec.off, off)
		})
		if i > 0 {
			l.MinSeq, l.HasMinSeq = records[i-1].seq+1, true
		}
		if i < len(records) && !d.Tail {
			l.MaxSeq, l.HasMaxSeq = records[i].seq-1, true
		}
		if l.HasMinSeq && l.HasMaxSeq && l.MinSeq > l.MaxSeq {
			l.What = "WAL bytes (no batch between the records around them)"
		}
		if l.What != "WAL header" {
			r.lose(l)
		} else {
			r.note("%s: damaged header (%s); its records were read", fr.Path, d.Reason)
		}
	}
}

// walSuccessor reports a WAL that an end record names but that is missing
// and may hold unflushed writes.
func (r *run) walSuccessor(path string, res wal.SalvageResult, present map[base.FileNum]bool) {
	next := res.Next
	if !res.CleanClose || next == 0 || present[next] {
		return
	}
	if r.ms.trusted && next < r.ms.minUnflushedLog {
		return
	}
	r.fileMissing("wal", next, r.walPath(next), fmt.Sprintf("%s ends naming it as the next WAL", path))
}

// sortWALEntries sorts entries in internal-key order, and keeps one entry
// per internal key: the later entry of a batch that names a key twice,
// and one copy of a write found in two WALs.
func sortWALEntries(kc *base.Comparer, entries []walEntry) []walEntry {
	slices.SortFunc(entries, func(a, b walEntry) int {
		if c := kc.CompareInternal(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(b.ord, a.ord) // the later entry first
	})
	return slices.CompactFunc(entries, func(a, b walEntry) bool { return kc.CompareInternal(a.key, b.key) == 0 })
}

// walIter iterates over sorted WAL entries for the merge.
type walIter struct {
	entries []walEntry
	pos     int // the current entry; -1 before the first
}

func newWALIter(entries []walEntry) *walIter { return &walIter{entries: entries, pos: -1} }

func (w *walIter) Next() bool {
	if w.pos < len(w.entries) {
		w.pos++
	}
	return w.pos < len(w.entries)
}

func (w *walIter) Key() base.InternalKey { return w.entries[w.pos].key }
func (w *walIter) Value() []byte         { return w.entries[w.pos].value }
