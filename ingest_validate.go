package tempest

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
)

// ingestFile is one SST of an ingestion: an external file, validated, or
// the range tombstone of IngestAndReplace, written by the DB.
type ingestFile struct {
	path string // the external file; "" for the tombstone file
	// props are the file's properties as written: every seqnum 0.
	props    sstable.Properties
	size     uint64
	checksum uint64
	// num is the file's number in the DB once linked, level its level
	// once placed.
	num   base.FileNum
	level int
}

// lower returns the smallest user key of f.
func (f *ingestFile) lower() []byte { return f.props.Smallest.UserKey }

// upper returns the largest user key of f, and whether it is exclusive
// (the end of a range tombstone).
func (f *ingestFile) upper() ([]byte, bool) {
	return f.props.Largest.UserKey, f.props.Largest.Kind() == base.KindRangeDelete &&
		f.props.Largest.SeqNum() == base.SeqNumMax
}

// validateIngestFiles opens and checks every file before anything
// changes: each one must pass validateIngestFile, and no two may
// overlap. If bounds is not nil, every file must lie within [lower,
// upper). Errors match ErrInvalidArgument (a file that cannot be
// ingested as it is: missing, of another comparer, written with
// seqnums, empty, overlapping another) or ErrCorruption (a damaged file).
func (d *DB) validateIngestFiles(paths []string, bounds *keySpan) ([]*ingestFile, error) {
	files := make([]*ingestFile, 0, len(paths))
	for _, p := range paths {
		f, err := d.validateIngestFile(p)
		if err != nil {
			return nil, fmt.Errorf("tempest: ingest %s: %w", p, err)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b *ingestFile) int { return d.cmp.Compare(a.lower(), b.lower()) })
	for i := 1; i < len(files); i++ {
		a, b := files[i-1], files[i]
		hi, exclusive := a.upper()
		if c := d.cmp.Compare(b.lower(), hi); c < 0 || (c == 0 && !exclusive) {
			return nil, base.InvalidArgumentf("tempest: ingest: %s and %s overlap", a.path, b.path)
		}
	}
	if bounds == nil {
		return files, nil
	}
	for _, f := range files {
		hi, exclusive := f.upper()
		c := d.cmp.Compare(hi, bounds.upper)
		if d.cmp.Compare(f.lower(), bounds.lower) < 0 || c > 0 || (c == 0 && !exclusive) {
			return nil, base.InvalidArgumentf("tempest: ingest: %s holds keys outside [%s, %s)",
				f.path, d.cmp.Format(bounds.lower), d.cmp.Format(bounds.upper))
		}
	}
	return files, nil
}

// validateIngestFile checks one external SST: it opens with the DB's
// comparer (the name recorded must be the comparer's), every block's
// checksum and the key order verify (VerifyChecksums), it holds
// something, only at seqnum 0 (a file written with Set, Delete and
// DeleteRange), and each user key at most once. It returns the file's
// description with its whole-file checksum.
func (d *DB) validateIngestFile(path string) (*ingestFile, error) {
	f, err := d.fs.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := sstable.Open(f, size, sstable.ReaderOptions{Comparer: d.cmp, FileName: path})
	if err != nil {
		return nil, err // Open closed f
	}
	defer r.Close()
	if err := r.VerifyChecksums(); err != nil {
		return nil, err
	}
	p := r.Properties()
	switch {
	case p.EntryCount == 0 && p.RangeDelCount == 0:
		return nil, base.InvalidArgumentf("the table holds nothing")
	case p.SmallestSeq != 0 || p.LargestSeq != 0:
		return nil, base.InvalidArgumentf("the table holds seqnums [%d, %d]: an ingested table is written "+
			"with sstable.Writer Set, Delete and DeleteRange, at seqnum 0", p.SmallestSeq, p.LargestSeq)
	}
	if err := distinctUserKeys(r, d.cmp); err != nil {
		return nil, err
	}
	sum, err := r.FileChecksum()
	if err != nil {
		return nil, err
	}
	return &ingestFile{path: path, props: p, size: uint64(size), checksum: sum}, nil
}

// distinctUserKeys checks that r holds each user key once: read at one
// seqnum, two entries of a key would be one version twice. It also
// refuses blob handles, which would name blob files of another database.
func distinctUserKeys(r *sstable.Reader, cmp *base.Comparer) error {
	it := r.NewIter()
	var prev []byte
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if k.Kind() == base.KindBlobValue {
			it.Close()
			return base.InvalidArgumentf("key %s holds a blob handle: an ingested table holds its values inline", cmp.Format(k.UserKey))
		}
		if n > 0 && cmp.Equal(prev, k.UserKey) {
			it.Close()
			return base.InvalidArgumentf("key %s appears more than once", cmp.Format(k.UserKey))
		}
		prev = append(prev[:0], k.UserKey...)
		n++
	}
	return it.Close()
}

// keySpan is the user-key range [lower, upper).
type keySpan struct{ lower, upper []byte }
