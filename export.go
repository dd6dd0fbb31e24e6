package tempest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// exportTempSuffix names the sibling directory an export is built in
// before it is renamed to its destination.
const exportTempSuffix = ".export-tmp"

// Export writes the live entries of [lower, upper) (nil bounds: unbounded)
// as of one snapshot, taken when it is called, as SSTs in destDir, and
// returns their paths in key order. Each user key appears once, with the
// value a read at the snapshot returns (Get, an Iterator); deleted keys
// and range tombstones are not written. The files are written with
// sstable.Writer's Set, in the database's Comparer order and SST format,
// values inline, and cut at about Options.TargetFileSize, only between
// logical keys (prefixes): they are ready for Ingest or IngestAndReplace,
// here or in another database with the same Comparer.
//
// destDir must not exist: the files are built in destDir+".export-tmp",
// synced, and the directory renamed into place, so a failure (which
// removes it) leaves nothing behind. An empty range gives an empty
// destDir and no paths. Export reads only: a read-only DB exports.
func (d *DB) Export(lower, upper []byte, destDir string) ([]string, error) {
	return d.export(lower, upper, destDir, d.NewIter)
}

// Export is DB.Export at the snapshot: it writes the live entries of
// [lower, upper) that a read at s returns, whatever was committed after
// s. The snapshot must be open (ErrClosed otherwise).
func (s *Snapshot) Export(lower, upper []byte, destDir string) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.db.export(lower, upper, destDir, s.NewIter)
}

// export writes what iterators from newIter read in [lower, upper) into
// destDir (Export).
func (d *DB) export(lower, upper []byte, destDir string, newIter func(*IterOptions) (*Iterator, error)) ([]string, error) {
	if lower != nil && upper != nil && d.cmp.Compare(lower, upper) > 0 {
		return nil, base.InvalidArgumentf("tempest: export: lower bound %s after upper bound %s",
			d.cmp.Format(lower), d.cmp.Format(upper))
	}
	if err := d.checkExportDest(destDir); err != nil {
		return nil, err
	}
	it, err := newIter(&IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	tmp := destDir + exportTempSuffix
	if err := vfs.RemoveAll(d.fs, tmp); err != nil {
		return nil, err
	}
	names, err := d.writeExport(it, tmp, destDir)
	if err != nil {
		_ = vfs.RemoveAll(d.fs, tmp)
		return nil, fmt.Errorf("tempest: export to %s: %w", destDir, err)
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = d.fs.PathJoin(destDir, n)
	}
	return paths, nil
}

// checkExportDest requires destDir not to exist.
func (d *DB) checkExportDest(destDir string) error {
	if destDir == "" {
		return base.InvalidArgumentf("tempest: export: empty destination")
	}
	_, err := d.fs.Stat(destDir)
	switch {
	case err == nil:
		return base.InvalidArgumentf("tempest: export: %s exists", destDir)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	return nil
}

// writeExport writes the entries of it into files in tmp, syncs them and
// tmp, renames tmp to destDir and syncs its parent. It returns the file
// names, in key order.
func (d *DB) writeExport(it *Iterator, tmp, destDir string) ([]string, error) {
	if err := d.fs.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	var (
		names []string
		w     *sstable.Writer
		bytes uint64
		prev  []byte
	)
	finish := func() error {
		if w == nil {
			return nil
		}
		_, err := w.Finish() // syncs and closes the file
		w = nil
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if w != nil && bytes >= d.opts.TargetFileSize && !d.cmp.HasPrefix(k, d.cmp.Prefix(prev)) {
			if err := finish(); err != nil {
				return nil, err
			}
		}
		if w == nil {
			name := fmt.Sprintf("%06d.sst", len(names)+1)
			f, err := d.fs.Create(d.fs.PathJoin(tmp, name))
			if err != nil {
				return nil, err
			}
			w = sstable.NewWriter(f, d.exportWriterOptions(d.fs.PathJoin(destDir, name)))
			names, bytes = append(names, name), 0
		}
		if err := w.Set(k, it.Value()); err != nil {
			w.Abort()
			return nil, err
		}
		bytes += uint64(len(k) + len(it.Value()))
		prev = append(prev[:0], k...)
	}
	if err := it.Error(); err != nil {
		if w != nil {
			w.Abort()
		}
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if err := vfs.SyncDir(d.fs, tmp); err != nil {
		return nil, err
	}
	if err := d.fs.Rename(tmp, destDir); err != nil {
		return nil, err
	}
	return names, vfs.SyncDir(d.fs, filepath.Dir(destDir))
}

// exportWriterOptions configures the writer of an exported file: the
// options of the bottom level's files, with no file number (the file is
// numbered by the database that ingests it).
func (d *DB) exportWriterOptions(name string) sstable.WriterOptions {
	o := d.writerOptions(NumLevels-1, 0, 0)
	o.FileName = name
	return o
}
