package tempest

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

func versioned(row string, ts uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(row), ts)
}

// TestFixedSuffixComparer: with an 8-byte version suffix sorted
// descending, reads see one version per row (the newest visible), a Get of
// row@ts reads the newest version at or before ts, and the bloom filter
// (which hashes the prefix) lets such reads find versions in SSTs.
func TestFixedSuffixComparer(t *testing.T) {
	fs := vfs.NewMem()
	o := &Options{FS: fs, Comparer: FixedSuffixComparer(8)}
	d := mustOpen(t, "/db", o)
	set := func(row string, ts uint64, v string) {
		t.Helper()
		if err := d.Set(versioned(row, ts), []byte(v), nil); err != nil {
			t.Fatal(err)
		}
	}
	set("rowA", 1, "a1")
	set("rowA", 3, "a3")
	set("rowB", 2, "b2")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	set("rowA", 2, "a2") // an older version written later
	set("rowC", 5, "c5")

	check := func() {
		t.Helper()
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, string(it.Value()))
		}
		var back []string
		for ok := it.Last(); ok; ok = it.Prev() {
			back = append(back, string(it.Value()))
		}
		it.Close()
		if !slices.Equal(got, []string{"a3", "b2", "c5"}) {
			t.Fatalf("scan = %v", got)
		}
		slices.Reverse(back)
		if !slices.Equal(back, got) {
			t.Fatalf("reverse scan = %v", back)
		}
		for ts, want := range map[uint64]string{9: "a3", 3: "a3", 2: "a2", 1: "a1"} {
			v, err := d.Get(versioned("rowA", ts))
			if err != nil || string(v) != want {
				t.Fatalf("get rowA@%d = %q, %v; want %q", ts, v, err, want)
			}
		}
		if _, err := d.Get(versioned("rowA", 0)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get rowA@0: %v", err)
		}
		if _, err := d.Get(versioned("rowB", 1)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get rowB@1: %v", err)
		}
	}
	check()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check()
	// A tombstone on the newest version hides the row.
	if err := d.Delete(versioned("rowB", 2), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(versioned("rowB", 9)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted rowB: %v", err)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	defer mustClose(t, d)
	if got := dump(t, d); len(got) != 2 {
		t.Fatalf("after delete and reopen: %v", got)
	}
}
