package repair

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// batchBytes is the size at which the output applies a batch.
const batchBytes = 1 << 20

// output writes the repaired database through the engine: batches of the
// newest state of each key, in key order, then a flush, so that DST is a
// fresh database the engine made (its manifest, WALs and SSTs are all its
// own, in the current formats). It is built in a temporary directory
// beside DST and renamed to DST once complete and checked, so that DST
// never exists half written, even after a crash.
type output struct {
	fs       vfs.FS
	dst, dir string // dir is the temporary directory
	db       *tempest.DB
	renamed  bool // dir became dst
	b        *tempest.Batch
	// tooLarge is called for an entry the output's limits refuse.
	tooLarge func(key []byte, err error)
}

// tmpSuffix names the directory the output is built in: DST + tmpSuffix.
const tmpSuffix = ".repair-tmp"

// createOutput creates the database that will become dst. Neither dst nor
// its temporary directory may exist.
func createOutput(fs vfs.FS, dst string, opts *tempest.Options, cmp *base.Comparer, tooLarge func([]byte, error)) (*output, error) {
	dir := dst + tmpSuffix
	for _, p := range []string{dst, dir} {
		if _, err := fs.Stat(p); err == nil {
			return nil, base.InvalidArgumentf("repair: %s exists; the output must be a new directory", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	var o tempest.Options
	if opts != nil {
		o = *opts
	} else {
		// Keys up to the engine's limit: a source written with larger
		// memtables may hold keys above the default.
		o.MaxKeySize = tempest.MaxKeySizeLimit
	}
	o.FS, o.Comparer = fs, cmp
	db, err := tempest.Open(dir, &o)
	if err != nil {
		_ = removeAll(fs, dir)
		return nil, err
	}
	return &output{fs: fs, dst: dst, dir: dir, db: db, b: db.NewBatch(), tooLarge: tooLarge}, nil
}

func (o *output) set(key, value []byte) error {
	return o.add(key, func() error { return o.b.Set(key, value) })
}

func (o *output) del(key []byte) error {
	return o.add(key, func() error { return o.b.Delete(key) })
}

// add adds an entry with fn. A full batch is applied first; an entry too
// large for an empty batch is reported and skipped.
func (o *output) add(key []byte, fn func() error) error {
	err := fn()
	if err != nil && errors.Is(err, tempest.ErrInvalidArgument) && !o.b.Empty() {
		if err := o.apply(); err != nil {
			return err
		}
		err = fn()
	}
	if err != nil {
		if !errors.Is(err, tempest.ErrInvalidArgument) {
			return err
		}
		o.tooLarge(key, err)
		return nil
	}
	if o.b.Len() >= batchBytes {
		return o.apply()
	}
	return nil
}

// apply commits the batch without waiting for an fsync: finish makes
// everything durable with a flush.
func (o *output) apply() error {
	if o.b.Empty() {
		return nil
	}
	if _, err := o.db.Apply(o.b, tempest.NoSync); err != nil {
		return fmt.Errorf("repair: writing %s: %w", o.dir, err)
	}
	o.b.Reset()
	return nil
}

// finish applies the last batch, flushes every memtable to SSTs, checks
// the new database (every level invariant and block checksum), closes it
// and renames it to DST.
func (o *output) finish() error {
	err := o.apply()
	if err == nil {
		err = o.db.Flush()
	}
	if err == nil {
		err = o.db.Check()
	}
	if cerr := o.db.Close(); err == nil {
		err = cerr
	}
	o.db = nil
	if err == nil {
		if err = o.fs.Rename(o.dir, o.dst); err == nil {
			o.renamed = true
		}
	}
	if err == nil {
		err = vfs.SyncDir(o.fs, filepath.Dir(o.dst))
	}
	if err != nil {
		return fmt.Errorf("repair: finishing %s: %w", o.dst, err)
	}
	return nil
}

// abort closes the database, if open, and removes what was written:
// the temporary directory, or DST if the rename happened.
func (o *output) abort() error {
	if o.db != nil {
		_ = o.db.Close()
		o.db = nil
	}
	if o.renamed {
		return removeAll(o.fs, o.dst)
	}
	return removeAll(o.fs, o.dir)
}

// removeAll removes path and everything under it.
func removeAll(fs vfs.FS, path string) error {
	info, err := fs.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		names, err := fs.List(path)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := removeAll(fs, fs.PathJoin(path, name)); err != nil {
				return err
			}
		}
	}
	return fs.Remove(path)
}
