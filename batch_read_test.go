package tempest

import (
	"errors"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestBatchReadErrors: a plain batch cannot be read, and an indexed batch
// of a closed DB reports ErrClosed.
func TestBatchReadErrors(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	plain := d.NewBatch()
	if err := plain.Set([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Get([]byte("a")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Get on a plain batch: %v, want ErrInvalidArgument", err)
	}
	if it, err := plain.NewIter(nil); !errors.Is(err, ErrInvalidArgument) || it != nil {
		t.Fatalf("NewIter on a plain batch: %v, %v; want ErrInvalidArgument", it, err)
	}
	var nilBatch *Batch
	if _, err := nilBatch.Get([]byte("a")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Get on a nil batch: %v, want ErrInvalidArgument", err)
	}

	b := d.NewIndexedBatch()
	if err := b.Set([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get([]byte("a")); err != nil || string(v) != "1" {
		t.Fatalf("Get = %q, %v; want 1", v, err)
	}
	mustClose(t, d)
	if _, err := b.Get([]byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if _, err := b.NewIter(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewIter after Close: %v, want ErrClosed", err)
	}
}

// TestIndexedBatchSnapshotAndReset: an iterator keeps the batch as it was
// when created, across later writes and a Reset of the batch, and the
// batch's DeleteRange hides the DB's keys and the batch's earlier writes
// in its range, not its later ones; Apply leaves the same.
func TestIndexedBatchSnapshotAndReset(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	defer mustClose(t, d)
	mustSet(t, d, "a", "db-a", NoSync)
	mustSet(t, d, "c", "db-c", NoSync)
	b := d.NewIndexedBatch()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Set([]byte("b"), []byte("batch-b")))
	must(b.DeleteRange([]byte("a"), []byte("z")))
	must(b.Set([]byte("d"), []byte("batch-d")))
	if b.Count() != 2 {
		t.Fatalf("Count = %d, want 2 (the DeleteRange dropped the Set of b)", b.Count())
	}
	for _, k := range []string{"a", "b", "c"} {
		if v, err := b.Get([]byte(k)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get %q = %q, %v; want ErrNotFound", k, v, err)
		}
	}
	it, err := b.NewIter(nil)
	must(err)
	defer it.Close()
	want := []string{"d=batch-d"}
	if got := scanAll(t, it); !slices.Equal(got, want) {
		t.Fatalf("scan = %v, want %v", got, want)
	}
	must(b.Set([]byte("e"), []byte("later")))
	b.Reset()
	// Would overwrite d's entry in a reused buffer.
	must(b.Set([]byte("b"), []byte("XXXXXXXXXXXXXXXXXXXX")))
	if got := scanAll(t, it); !slices.Equal(got, want) {
		t.Fatalf("scan after Reset = %v, want %v", got, want)
	}
	if v, err := b.Get([]byte("a")); err != nil || string(v) != "db-a" {
		t.Fatalf("Get after Reset = %q, %v; want db-a", v, err)
	}
	b.Reset()
	must(b.Set([]byte("b"), []byte("batch-b")))
	must(b.DeleteRange([]byte("a"), []byte("z")))
	must(b.Set([]byte("d"), []byte("batch-d")))
	if _, err := d.Apply(b, NoSync); err != nil {
		t.Fatal(err)
	}
	all, err := d.NewIter(nil)
	must(err)
	defer all.Close()
	if got := scanAll(t, all); !slices.Equal(got, want) {
		t.Fatalf("scan after Apply = %v, want %v", got, want)
	}
}
