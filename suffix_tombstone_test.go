package tempest

import (
	"context"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// Under a Comparer with version suffixes a point tombstone is a version:
// row@5 deleted hides row@2 from reads at versions 5 and up, before and
// after a bottommost compaction, and even a row@2 written after the
// compaction. Reads at versions below 5 see row@2.
func TestSuffixTombstoneSurvivesCompaction(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	o.Comparer = FixedSuffixComparer(8)
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	mustSet := func(k []byte, v string) {
		t.Helper()
		if err := d.Set(k, []byte(v), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	want := func(stage string, ts uint64, v string) {
		t.Helper()
		got, err := d.Get(versioned("row", ts))
		switch {
		case v == "" && !errors.Is(err, ErrNotFound):
			t.Fatalf("%s: Get(row@%d) = %q, %v; want not found", stage, ts, got, err)
		case v != "" && (err != nil || string(got) != v):
			t.Fatalf("%s: Get(row@%d) = %q, %v; want %q", stage, ts, got, err, v)
		}
	}
	mustSet(versioned("row", 2), "old")
	if err := d.Delete(versioned("row", 5), NoSync); err != nil {
		t.Fatal(err)
	}
	want("before compaction", 9, "")
	want("before compaction", 3, "old")
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	want("after compaction", 9, "")
	want("after compaction", 3, "old")
	mustSet(versioned("row", 2), "rewritten") // an older version, written later
	want("older version written later", 9, "")
	want("older version written later", 2, "rewritten")
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	want("compacted again", 9, "")
	want("compacted again", 2, "rewritten")
}

// A Get whose first candidate is a point tombstone deleted by a newer
// range tombstone looks past both: an older version of the prefix written
// after the range tombstone shows through.
func TestGetPastCoveredPointTombstone(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	o.Comparer = FixedSuffixComparer(8)
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	if err := d.Delete(versioned("b", 3), NoSync); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteRange(versioned("b", 3), []byte("c"), NoSync); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(versioned("b", 2), []byte("v2"), NoSync); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"memtable", "flushed"} {
		if got, err := d.Get(versioned("b", 3)); err != nil || string(got) != "v2" {
			t.Fatalf("%s: Get(b@3) = %q, %v; want v2", stage, got, err)
		}
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !it.First() || string(it.Value()) != "v2" {
			t.Fatalf("%s: scan starts at %q=%q, %v; want b@2=v2", stage, it.Key(), it.Value(), it.Error())
		}
		it.Close()
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// A bottom file holding only point tombstones is not dropped under a
// suffix comparer: they hide versions of their prefixes written later.
func TestSuffixTombstoneOnlyFileKept(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	o.Comparer = FixedSuffixComparer(8)
	o.Scheduler = InlineScheduler{}
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	for _, row := range []string{"a", "b", "c"} {
		if err := d.Delete(versioned(row, 5), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	// Let the picker look again (a flush of one more write), as the
	// automatic path would.
	if err := d.Set([]byte("z"), []byte("z"), NoSync); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"a", "b", "c"} {
		if err := d.Set(versioned(row, 2), []byte("later"), NoSync); err != nil {
			t.Fatal(err)
		}
		if v, err := d.Get(versioned(row, 9)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%s@9) = %q, %v; want not found (hidden by %s@5's tombstone)", row, v, err, row)
		}
	}
}
