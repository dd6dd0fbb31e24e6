package tempest

import (
	"cmp"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/internal/manifest"
)

// defaultValueSeparationThreshold is Options.ValueSeparationThreshold's
// default (docs/decisions.md, "Value separation threshold").
const defaultValueSeparationThreshold = 1024

// blobOutput writes the blob file of one flush or compaction: the values
// it separates (at least threshold bytes long) and, in a compaction, the
// values of blob files it rewrites (rewrite). It counts, per SST being
// written, the bytes of each blob file the SST's handles name.
//
// Its file number is in flight from allocation until the edit recording
// the file is applied (or the file is removed), as an SST's.
type blobOutput struct {
	d         *DB
	threshold int // 0: separate nothing
	// rewrite are the blob files whose values are copied to the output
	// (their live fraction is below BlobGCThreshold).
	rewrite map[base.FileNum]bool
	w       *blob.Writer
	files   []manifest.BlobFile
	nums    []base.FileNum // every number allocated, for removal
	refs    map[base.FileNum]uint64
	handle  []byte
	value   []byte
}

// newBlobOutput returns the blob output of a flush or compaction: one
// that separates values when the format version allows it and the
// threshold is on.
func (d *DB) newBlobOutput(rewrite map[base.FileNum]bool) *blobOutput {
	o := &blobOutput{d: d, rewrite: rewrite, refs: make(map[base.FileNum]uint64)}
	if d.formatRules().blobs && d.opts.ValueSeparationThreshold > 0 {
		o.threshold = d.opts.ValueSeparationThreshold
	}
	return o
}

// add returns the entry to write to the SST for k and v: a value of at
// least threshold bytes moved to the blob file, a handle of a blob file
// being rewritten moved to the new one, anything else as it is. It
// counts the handle it returns.
func (o *blobOutput) add(k base.InternalKey, v []byte) (base.InternalKey, []byte, error) {
	switch k.Kind() {
	case base.KindSet:
		if o.threshold == 0 || len(v) < o.threshold {
			return k, v, nil
		}
		return o.write(k, v)
	case base.KindBlobValue:
		h, err := blob.DecodeHandle(v, o.d.blobPath(0))
		if err != nil {
			return k, nil, err
		}
		if !o.rewrite[h.FileNum] {
			o.refs[h.FileNum] += h.ValueLen
			return k, v, nil
		}
		o.value, err = o.d.blobs.read(v, o.value[:0])
		if err != nil {
			return k, nil, err
		}
		return o.write(k, o.value)
	}
	return k, v, nil
}

// write appends v to the blob file and returns k as a blob entry with
// its handle.
func (o *blobOutput) write(k base.InternalKey, v []byte) (base.InternalKey, []byte, error) {
	if o.w == nil {
		if err := o.open(); err != nil {
			return k, nil, err
		}
	}
	h, err := o.w.Add(v)
	if err != nil {
		return k, nil, err
	}
	o.refs[h.FileNum] += h.ValueLen
	o.handle = h.Append(o.handle[:0])
	return base.MakeInternalKey(k.UserKey, k.SeqNum(), base.KindBlobValue), o.handle, nil
}

func (o *blobOutput) open() error {
	num, err := o.d.allocTableNum()
	if err != nil {
		return err
	}
	o.nums = append(o.nums, num)
	f, err := o.d.fs.Create(o.d.blobPath(num))
	if err != nil {
		return err
	}
	compress := o.d.opts.Compression != NoCompression
	o.w = blob.NewWriter(f, num, compress)
	return nil
}

// takeRefs returns the blob references of the SST just finished, ordered
// by blob file, and starts counting the next SST's.
func (o *blobOutput) takeRefs() []manifest.BlobRef {
	if len(o.refs) == 0 {
		return nil
	}
	out := make([]manifest.BlobRef, 0, len(o.refs))
	for n, b := range o.refs {
		out = append(out, manifest.BlobRef{FileNum: n, Bytes: b})
	}
	slices.SortFunc(out, func(a, b manifest.BlobRef) int { return cmp.Compare(a.FileNum, b.FileNum) })
	clear(o.refs)
	return out
}

// finish completes the blob file, if one was started, and fsyncs it; the
// caller syncs the directory (with the SSTs').
func (o *blobOutput) finish() error {
	if o.w == nil {
		return nil
	}
	w := o.w
	o.w = nil
	size, err := w.Finish()
	if err != nil {
		return err
	}
	o.files = append(o.files, manifest.BlobFile{FileNum: o.nums[len(o.nums)-1], Size: size, ValueBytes: w.ValueBytes()})
	return nil
}

// abort closes an unfinished blob file (the caller removes its number
// with the SSTs').
func (o *blobOutput) abort() {
	if o.w != nil {
		o.w.Abort()
		o.w = nil
	}
}
