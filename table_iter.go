package tempest

import (
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// tableIter is an iterator over one SST that holds the table's reader
// open (a table cache reference) until it is closed.
type tableIter struct {
	sstable.Iter
	t *cachedTable
}

// init positions nothing: it takes a reference to f's table and sets the
// iterator up over it, as a compaction's input if compaction is set
// (sstable.Reader.InitCompactionIter).
func (it *tableIter) init(tables *tableCache, f *manifest.FileMetadata, compaction bool) error {
	t, err := tables.get(f)
	if err != nil {
		return err
	}
	it.t = t
	if compaction {
		t.r.InitCompactionIter(&it.Iter)
	} else {
		t.r.InitIter(&it.Iter)
	}
	return nil
}

// Close closes the iterator, then releases the table.
func (it *tableIter) Close() error {
	err := it.Iter.Close()
	if it.t != nil {
		it.t.release()
		it.t = nil
	}
	return err
}

// reset drops the iterator's references once it is closed, keeping its
// buffers.
func (it *tableIter) reset() {
	it.Iter.Reset()
	it.t = nil
}
