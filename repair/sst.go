package repair

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/rangedel"
	"github.com/tempestdb/tempest/sstable"
)

// sstSource is one SST being salvaged.
type sstSource struct {
	num  base.FileNum
	path string
	s    *sstable.Salvage
	it   *sstable.SalvageIter
	// meta is the manifest's record of the file, if any: its bounds stand
	// in for those the damage leaves unknown.
	meta *manifest.FileMetadata
	// report is the index of the file's FileReport.
	report int
	closed bool
}

// close closes the file once.
func (src *sstSource) close() error {
	if src.closed {
		return nil
	}
	src.closed = true
	return src.s.Close()
}

// openSSTs opens the SSTs of SRC for salvage: with a trusted manifest the
// live ones (a file it does not list is an obsolete input or an output
// never recorded, whose data the live files hold), without one every SST.
// Live files that are missing are losses. It adds the tombstones read to
// r.dels.
func (r *run) openSSTs() ([]*sstSource, error) {
	nums, err := r.listFiles(r.sstDir, sstable.ParseFileName)
	if err != nil {
		return nil, err
	}
	present := make(map[base.FileNum]bool, len(nums))
	var srcs []*sstSource
	for _, num := range nums {
		present[num] = true
		path := r.sstPath(num)
		meta := r.ms.live[num]
		if r.ms.trusted && meta == nil {
			r.rep.Files = append(r.rep.Files, FileReport{Kind: "sst", Num: num, Path: path,
				Status: "skipped: not live in the manifest (an obsolete or unrecorded file)"})
			continue
		}
		if src := r.openSST(num, path, meta); src != nil {
			srcs = append(srcs, src)
		}
	}
	r.missingSSTs(present)
	return srcs, nil
}

// missingSSTs reports the files live in the manifest that are missing. In
// the state read from a damaged manifest a file may be live that the
// damaged edit removed: its loss is reported all the same, since nothing
// proves that its data survives.
func (r *run) missingSSTs(present map[base.FileNum]bool) {
	for _, f := range sortedFiles(r.ms.live) {
		if present[f.FileNum] {
			continue
		}
		why := fmt.Sprintf("live in the manifest at L%d", f.Level)
		if !r.ms.trusted {
			why += " as far as it could be read (a damaged edit may have removed it)"
		}
		r.fileMissing("sst", f.FileNum, r.sstPath(f.FileNum), why)
	}
}

// openSST opens one SST for salvage. A file that cannot be opened at all
// is a loss, and gives no source.
func (r *run) openSST(num base.FileNum, path string, meta *manifest.FileMetadata) *sstSource {
	fr := FileReport{Kind: "sst", Num: num, Path: path, Status: "read"}
	s, err := r.salvageSST(path, meta)
	if err != nil {
		fr.Status = fmt.Sprintf("unreadable: %v", err)
		r.rep.Files = append(r.rep.Files, fr)
		l := Loss{File: path, Offset: -1, End: -1, What: "whole file", Reason: err.Error()}
		withFileBounds(&l, meta)
		r.lose(l)
		return nil
	}
	fr.RangeDels = len(s.RangeDels)
	for _, d := range s.RangeDels {
		r.dels = append(r.dels, rangedel.Tombstone{Start: d.Start, End: d.End, Seq: d.Seq})
	}
	r.rep.Files = append(r.rep.Files, fr)
	return &sstSource{num: num, path: path, s: s, it: s.NewIter(), meta: meta, report: len(r.rep.Files) - 1}
}

// salvageSST opens the file and locates its readable blocks.
func (r *run) salvageSST(path string, meta *manifest.FileMetadata) (*sstable.Salvage, error) {
	f, err := r.fs.Open(path)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if meta != nil && uint64(size) != meta.Size {
		r.note("%s: %d bytes, the manifest records %d", path, size, meta.Size)
	}
	o := sstable.ReaderOptions{Comparer: r.cmp, FileName: path}
	if meta != nil {
		o.GlobalSeqNum = meta.GlobalSeq // an ingested file's entries are at it
	}
	return sstable.OpenSalvage(f, size, o)
}

// finishSST closes a salvaged SST and reports its damage.
func (r *run) finishSST(src *sstSource) error {
	fr := &r.rep.Files[src.report]
	fr.Entries = src.it.Entries()
	fr.Damaged = len(src.s.Damage)
	if err := src.it.Error(); err != nil {
		// A read failed mid-file: what followed could not be read.
		l := Loss{File: src.path, Offset: -1, End: -1, What: "point entries after a read error", Reason: err.Error()}
		withFileBounds(&l, src.meta)
		r.lose(l)
		fr.Damaged++
	}
	for _, d := range src.s.Damage {
		if d.Lost == sstable.LostNothing {
			r.note("%s [%d, %d): damaged %s; every entry was still found (%v)", src.path, d.Offset, d.End, d.What, d.Err)
			continue
		}
		l := Loss{File: src.path, Offset: d.Offset, End: d.End, What: d.Lost.String() + " (" + d.What + ")",
			Smallest: d.Smallest, Largest: d.Largest, HasSmallest: d.HasSmallest, HasLargest: d.HasLargest,
			Reason: errString(d.Err)}
		fillBounds(&l, src.meta)
		r.lose(l)
	}
	return src.close()
}

// withFileBounds bounds a whole-file loss by the file's recorded bounds
// and seqnums.
func withFileBounds(l *Loss, meta *manifest.FileMetadata) {
	if meta == nil {
		return
	}
	l.Smallest, l.Largest, l.HasSmallest, l.HasLargest = meta.Smallest.UserKey, meta.Largest.UserKey, true, true
	l.MinSeq, l.MaxSeq, l.HasMinSeq, l.HasMaxSeq = meta.SmallestSeq, meta.LargestSeq, true, true
}

// fillBounds fills in the key bounds a damaged range leaves unknown from
// the file's recorded bounds.
func fillBounds(l *Loss, meta *manifest.FileMetadata) {
	if meta == nil {
		return
	}
	if !l.HasSmallest {
		l.Smallest, l.HasSmallest = meta.Smallest.UserKey, true
	}
	if !l.HasLargest {
		l.Largest, l.HasLargest = meta.Largest.UserKey, true
	}
	l.MinSeq, l.MaxSeq, l.HasMinSeq, l.HasMaxSeq = meta.SmallestSeq, meta.LargestSeq, true, true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
