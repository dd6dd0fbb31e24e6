package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// writeCompactionOutputs merges c's inputs through a compactionIter and
// writes the survivors to new SSTs of c.OutputLevel, starting a new file
// once the current one reaches c.TargetFileSize — but only between
// prefixes, so that all versions of a logical key stay in one file of the
// level. It returns the files written (also on error, so the caller can
// remove them).
func (d *DB) writeCompactionOutputs(c *compact.Compaction, snapshots []base.SeqNum) ([]manifest.FileMetadata, error) {
	iter, err := d.newCompactionInputIter(c)
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	ci := newCompactionIter(d.cmp, iter, snapshots, c.IsBottommost)
	out := &compactionOutputs{d: d, level: c.OutputLevel, target: c.TargetFileSize}
	for ok := ci.First(); ok; ok = ci.Next() {
		if err := out.add(ci.Key(), ci.Value()); err != nil {
			out.abort()
			return out.files, err
		}
	}
	if err := ci.Error(); err != nil {
		out.abort()
		return out.files, err
	}
	if err := out.finish(); err != nil {
		return out.files, err
	}
	if len(out.files) > 0 {
		if err := syncDir(d.fs, d.dirs.sst); err != nil {
			return out.files, err
		}
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
		if level > 0 {
			children = append(children, newLevelIter(d.cmp, d.tables, files))
			return nil
		}
		for _, f := range files {
			r, err := d.tables.get(f)
			if err != nil {
				return err
			}
			children = append(children, r.NewIter())
		}
		return nil
	}
	err := addFiles(c.StartLevel, c.Inputs)
	if err == nil {
		err = addFiles(c.OutputLevel, c.Outputs)
	}
	if err != nil {
		for _, ch := range children {
			ch.Close()
		}
		return nil, err
	}
	return newMergingIter(d.cmp, children), nil
}

// compactionOutputs writes a compaction's output files one after another.
type compactionOutputs struct {
	d      *DB
	level  int
	target uint64

	w       *sstable.Writer
	num     base.FileNum
	size    uint64 // raw bytes added to w
	lastKey []byte // user key of the last entry added to w
	files   []manifest.FileMetadata
}

func (o *compactionOutputs) add(k base.InternalKey, v []byte) error {
	if o.w != nil && o.size >= o.target && !o.samePrefix(k.UserKey) {
		if err := o.finish(); err != nil {
			return err
		}
	}
	if o.w == nil {
		if err := o.open(); err != nil {
			return err
		}
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
	return cmp.ComparePrefix(cmp.Prefix(userKey), cmp.Prefix(o.lastKey)) == 0
}

func (o *compactionOutputs) open() error {
	num, err := o.d.allocFileNum()
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

// finish completes the current file, if any.
func (o *compactionOutputs) finish() error {
	if o.w == nil {
		return nil
	}
	w := o.w
	o.w = nil
	m, err := w.Finish()
	if err != nil {
		o.files = append(o.files, manifest.FileMetadata{FileNum: o.num}) // for removal
		return err
	}
	o.files = append(o.files, fileMetadata(o.num, o.level, m))
	return nil
}

func (o *compactionOutputs) abort() {
	if o.w != nil {
		o.w.Abort()
		o.w = nil
		o.files = append(o.files, manifest.FileMetadata{FileNum: o.num})
	}
}

// fileMetadata describes a finished SST for the manifest.
func fileMetadata(num base.FileNum, level int, m sstable.Meta) manifest.FileMetadata {
	return manifest.FileMetadata{
		FileNum:       num,
		Level:         level,
		Size:          m.Size,
		Checksum:      m.Checksum,
		Smallest:      m.Smallest,
		Largest:       m.Largest,
		SmallestSeq:   m.SmallestSeq,
		LargestSeq:    m.LargestSeq,
		EntryCount:    m.EntryCount,
		DeletionCount: m.DeletionCount,
	}
}
