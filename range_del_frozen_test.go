package tempest

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestRangeDelFrozenMemTableGrows checks that a read sees a range
// tombstone that a writer inserts into a memtable after it was frozen: a
// batch written to the WAL before a rotation is inserted afterwards
// (commit_apply.go), so a frozen memtable's tombstones still grow until
// its writers drain, and a read after that batch is published must see
// them. The test holds a writer's place in the memtable, freezes it,
// reads (which a per-readState cache of the frozen memtables' tombstones
// would fill), then adds the writer's tombstone, at a seqnum already
// visible, and reads again through the same readState.
func TestRangeDelFrozenMemTableGrows(t *testing.T) {
	d := mustOpen(t, "/db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)
	if err := d.Set([]byte("a"), []byte("1"), NoSync); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	m := d.mu.mem
	d.mu.Unlock()
	m.writers.Add(1) // a writer still to insert: the flush waits for it
	if err := d.freeze(); err != nil {
		t.Fatal(err)
	}
	tok, err := d.Apply(func() *Batch { b := d.NewBatch(); _ = b.Set([]byte("b"), []byte("2")); return b }(), NoSync)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.Get([]byte("a")); err != nil || string(v) != "1" {
		t.Fatalf("Get(a) before the tombstone = %q, %v", v, err)
	}
	m.addRangeDel([]byte("a"), []byte("b"), tok.seq)
	_, err = d.Get([]byte("a"))
	m.writers.Done()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(a) after a tombstone in the frozen memtable: %v, want ErrNotFound", err)
	}
}
