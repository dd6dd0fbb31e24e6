package tempest

import (
	"math"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/rangedel"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// writeCompactionOutputs merges c's inputs through a compactionIter and
// writes the survivors to new SSTs of c.OutputLevel, starting a new file
// once the current one reaches c.TargetFileSize — but only between
// prefixes, so that all versions of a logical key stay in one file of the
// level. It returns the files written (also on error, so the caller can
// remove them).
//
// Values go through a blobOutput: handles move as they are, except those
// into blob files whose live fraction is below BlobGCThreshold, whose
// values are copied to the compaction's own blob file, as are inline
// values of at least ValueSeparationThreshold bytes. The blob files
// written are returned too (their numbers also on error).
func (d *DB) writeCompactionOutputs(c *compact.Compaction, snapshots []base.SeqNum) ([]manifest.FileMetadata, []manifest.BlobFile, error) {
	bo := d.newBlobOutput(d.blobRewriteSet())
	files, err := d.writeCompactionFiles(c, snapshots, bo)
	if err == nil {
		err = bo.finish()
	}
	if err == nil && len(files) > 0 {
		err = vfs.SyncDir(d.fs, d.dirs.sst)
	}
	if err != nil {
		bo.abort()
		var blobs []manifest.BlobFile
		for _, n := range bo.nums {
			blobs = append(blobs, manifest.BlobFile{FileNum: n}) // for removal
		}
		return files, blobs, err
	}
	return files, bo.files, nil
}

// writeCompactionFiles writes the SSTs of writeCompactionOutputs.
func (d *DB) writeCompactionFiles(c *compact.Compaction, snapshots []base.SeqNum, bo *blobOutput) ([]manifest.FileMetadata, error) {
	iter, err := d.newCompactionInputIter(c)
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	rangeDels, err := d.compactionRangeDels(c)
	if err != nil {
		return nil, err
	}
	ci := newCompactionIter(d.cmp, iter, snapshots, c.IsBottommost, rangeDels, d.opts.VisibilityFilter, d.opts.Merger)
	ci.blobs = d.blobs
	target := c.TargetFileSize
	if c.OutputLevel == 0 {
		// An intra-L0 compaction writes one file: L0 files must hold
		// disjoint seqnum ranges for their newest-first order to mean
		// anything, and split outputs would share the run's range.
		target = math.MaxUint64
	}
	out := &compactionOutputs{
		d: d, level: c.OutputLevel, target: target,
		spans: keepRangeDels(rangeDels, snapshots, c.IsBottommost),
		blobs: bo,
	}
	var y yielder
	for ok := ci.First(); ok; ok = ci.Next() {
		y.step()
		if err := out.add(ci.Key(), ci.Value()); err != nil {
			out.abort()
			return out.files, err
		}
	}
	if err := ci.Error(); err != nil {
		out.abort()
		return out.files, err
	}
	if err := out.finish(nil); err != nil {
		return out.files, err
	}
	d.counters.compactionDropped.Add(ci.dropped)
	return out.files, nil
}

// newCompactionInputIter merges the input files of c.
func (d *DB) newCompactionInputIter(c *compact.Compaction) (base.InternalIterator, error) {
	var children []base.InternalIterator
	addFiles := func(level int, files []*manifest.FileMetadata) error {
		if len(files) == 0 {
			return nil
		}
		// Compaction reads bypass the block cache: the inputs are read
		// once, and caching them would evict the blocks readers use.
		if level > 0 {
			l := newLevelIter(d.cmp, d.tables, files)
			l.compaction = true
			children = append(children, l)
			return nil
		}
		for _, f := range files {
			it := new(tableIter)
			if err := it.init(d.tables, f, true); err != nil {
				return err
			}
			children = append(children, it)
		}
		return nil
	}
	err := addFiles(c.StartLevel, c.Inputs)
	if err == nil {
		err = addFiles(c.OutputLevel, c.OutputLevelInputs)
	}
	if err != nil {
		for _, ch := range children {
			ch.Close()
		}
		return nil, err
	}
	return newMergingIter(d.cmp, children), nil
}

// compactionRangeDels gathers the range tombstones of c's inputs.
func (d *DB) compactionRangeDels(c *compact.Compaction) (*rangedel.Set, error) {
	var ts []rangedel.Tombstone
	for _, f := range append(slices.Clone(c.Inputs), c.OutputLevelInputs...) {
		if f.RangeDelCount == 0 {
			continue
		}
		t, err := d.tables.get(f)
		if err != nil {
			return nil, err
		}
		for _, rd := range t.r.RangeDels() { // valid after the reader closes
			ts = append(ts, rangedel.Tombstone{Start: rd.Start, End: rd.End, Seq: rd.Seq})
		}
		t.release()
	}
	return rangedel.Build(d.cmp, ts), nil
}

// keepRangeDels returns the tombstone fragments a compaction writes: in
// each span, the newest seqnum of every snapshot stripe (an older one in
// the same stripe deletes nothing the newer does not), minus those of the
// oldest stripe when the compaction is bottommost (every entry they cover
// was dropped here, and nothing lies below).
func keepRangeDels(s *rangedel.Set, snapshots []base.SeqNum, bottommost bool) []rangedel.Span {
	var out []rangedel.Span
	for _, sp := range s.Spans() {
		var seqs []base.SeqNum
		last := -1
		for _, seq := range sp.Seqs { // descending
			st := stripeOf(snapshots, seq)
			if st == last || (bottommost && st == 0) {
				continue
			}
			last = st
			seqs = append(seqs, seq)
		}
		if len(seqs) > 0 {
			out = append(out, rangedel.Span{Start: sp.Start, End: sp.End, Seqs: seqs})
		}
	}
	return out
}

// compactionOutputs writes a compaction's output files one after another.
// Range tombstone fragments go to the file whose key range holds them:
// file i covers [cut(i-1), cut(i)), where cut(i) is the first key of file
// i+1, and fragments crossing a cut are split there, so the output files of
// the level never overlap.
type compactionOutputs struct {
	d      *DB
	level  int
	target uint64
	spans  []rangedel.Span // fragments still to write, in key order

	w       *sstable.Writer
	num     base.FileNum
	size    uint64 // raw bytes added to w
	lastKey []byte // user key of the last entry added to w
	files   []manifest.FileMetadata
	blobs   *blobOutput
}

func (o *compactionOutputs) add(k base.InternalKey, v []byte) error {
	if o.w != nil && o.size >= o.target && !o.samePrefix(k.UserKey) {
		if err := o.finish(k.UserKey); err != nil {
			return err
		}
	}
	if o.w == nil {
		if err := o.open(); err != nil {
			return err
		}
	}
	k, v, err := o.blobs.add(k, v)
	if err != nil {
		return err
	}
	if err := o.w.Add(k, v); err != nil {
		return err
	}
	o.size += uint64(k.EncodedLen() + len(v))
	o.lastKey = append(o.lastKey[:0], k.UserKey...)
	return nil
}

func (o *compactionOutputs) samePrefix(userKey []byte) bool {
	cmp := o.d.cmp
	return cmp.HasPrefix(userKey, cmp.Prefix(o.lastKey))
}

func (o *compactionOutputs) open() error {
	num, err := o.d.allocTableNum()
	if err != nil {
		return err
	}
	f, err := o.d.fs.Create(o.d.sstPath(num))
	if err != nil {
		return err
	}
	o.num, o.size = num, 0
	o.w = sstable.NewWriter(f, o.d.writerOptions(o.level, num, 0))
	return nil
}

// finish completes the current file, if any, adding the tombstone
// fragments below cut (nil: all that remain). If only fragments remain, it
// writes them to a file of their own.
func (o *compactionOutputs) finish(cut []byte) error {
	if o.w == nil && (cut != nil || len(o.spans) == 0) {
		return nil
	}
	if o.w == nil {
		if err := o.open(); err != nil {
			return err
		}
	}
	if err := o.addFragments(cut); err != nil {
		o.abort()
		return err
	}
	w := o.w
	o.w = nil
	m, err := w.Finish()
	if err != nil {
		o.files = append(o.files, manifest.FileMetadata{FileNum: o.num}) // for removal
		return err
	}
	meta := fileMetadata(o.num, o.level, m)
	meta.BlobRefs = o.blobs.takeRefs()
	o.files = append(o.files, meta)
	return nil
}

// addFragments adds to the current file the fragments below cut, splitting
// the one that crosses it.
func (o *compactionOutputs) addFragments(cut []byte) error {
	cmp := o.d.cmp
	for len(o.spans) > 0 {
		sp := &o.spans[0]
		if cut != nil && cmp.Compare(sp.Start, cut) >= 0 {
			return nil
		}
		end := sp.End
		if cut != nil && cmp.Compare(end, cut) > 0 {
			end = cut
		}
		for _, seq := range sp.Seqs {
			if err := o.w.AddRangeDel(sp.Start, end, seq); err != nil {
				return err
			}
		}
		if cmp.Compare(end, sp.End) < 0 {
			// The rest belongs to the next file. cut aliases the
			// compaction iterator's key, which moves on: copy it.
			sp.Start = append([]byte(nil), end...)
			return nil
		}
		o.spans = o.spans[1:]
	}
	return nil
}

func (o *compactionOutputs) abort() {
	if o.w != nil {
		o.w.Abort()
		o.w = nil
		o.files = append(o.files, manifest.FileMetadata{FileNum: o.num})
	}
}
