package tool

import (
	"strings"
	"sync/atomic"

	"github.com/tempestdb/tempest/vfs"
)

// countingFS counts the bytes read from SST files, so that commands that
// read a whole database (db check, dump) can report progress against the
// total size of its SSTs without the engine knowing about it.
type countingFS struct {
	vfs.FS
	read *atomic.Int64
}

// Open opens name; reads from an SST are counted.
func (c countingFS) Open(name string) (vfs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".sst") {
		return f, err
	}
	return countingFile{File: f, read: c.read}, nil
}

type countingFile struct {
	vfs.File
	read *atomic.Int64
}

func (f countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.read.Add(int64(n))
	return n, err
}
