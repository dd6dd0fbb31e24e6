package importer

import (
	"fmt"
	"path/filepath"

	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// tableWriter cuts a sorted stream of keys into SSTs of about a target
// size in one directory, ready for tempest.DB.Ingest.
type tableWriter struct {
	fs     vfs.FS
	dir    string
	opts   sstable.WriterOptions
	target uint64

	w       *sstable.Writer
	written uint64 // bytes of keys and values added to w
	paths   []string
}

// add appends key=value, starting a new table when the current one has
// reached the target size.
func (t *tableWriter) add(key, value []byte) error {
	if t.w == nil {
		if err := t.start(); err != nil {
			return err
		}
	}
	if err := t.w.Set(key, value); err != nil {
		return err
	}
	t.written += uint64(len(key) + len(value))
	if t.written >= t.target {
		return t.finish()
	}
	return nil
}

func (t *tableWriter) start() error {
	path := filepath.Join(t.dir, fmt.Sprintf("import-%06d.sst", len(t.paths)+1))
	f, err := t.fs.Create(path)
	if err != nil {
		return err
	}
	o := t.opts
	o.FileName = path
	t.w, t.written = sstable.NewWriter(f, o), 0
	t.paths = append(t.paths, path)
	return nil
}

// finish completes the current table (Finish syncs it), if there is one.
func (t *tableWriter) finish() error {
	if t.w == nil {
		return nil
	}
	w := t.w
	t.w = nil
	if _, err := w.Finish(); err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	return nil
}

// abort drops the current table after a failure.
func (t *tableWriter) abort() {
	if t.w != nil {
		t.w.Abort()
		t.w = nil
	}
}
