package tempest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestDeleteRange checks range deletes against Get, iterators in both
// directions, snapshots, flushes, compactions and a restart.
func TestDeleteRange(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	d := mustOpen(t, "/db", o)
	defer func() { d.Close() }()
	for i := range 100 {
		mustSet(t, d, fmt.Sprintf("k%03d", i), "v", NoSync)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	snap := d.NewSnapshot()
	defer snap.Close()
	if err := d.DeleteRange([]byte("k010"), []byte("k090"), nil); err != nil {
		t.Fatal(err)
	}
	mustSet(t, d, "k050", "after", nil) // newer than the tombstone

	want := []string{}
	for i := range 100 {
		if i < 10 || i >= 90 {
			want = append(want, fmt.Sprintf("k%03d=v", i))
		}
		if i == 50 {
			want = append(want, "k050=after")
		}
	}
	check := func(stage string) {
		t.Helper()
		it, _ := d.NewIter(nil)
		got := scanAll(t, it)
		var back []string
		for ok := it.Last(); ok; ok = it.Prev() {
			back = append(back, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
		}
		it.Close()
		slices.Reverse(back)
		if !slices.Equal(got, want) || !slices.Equal(back, want) {
			t.Fatalf("%s: scan %v\nreverse %v\nwant %v", stage, got, back, want)
		}
		mustNotFound(t, d, "k010")
		mustNotFound(t, d, "k089")
		mustGet(t, d, "k009", "v")
		mustGet(t, d, "k090", "v")
		mustGet(t, d, "k050", "after")
		// The snapshot predates the delete.
		if snap == nil {
			return
		}
		if v, err := snap.Get([]byte("k020")); err != nil || string(v) != "v" {
			t.Fatalf("%s: snapshot get = %q, %v", stage, v, err)
		}
	}
	check("memtable")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check("flushed")
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	check("compacted with a snapshot open")
	snap.Close()
	snap = nil
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	check("compacted")
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	check("reopened")

	for _, bad := range [][2]string{{"b", "a"}, {"a", "a"}} {
		if err := d.DeleteRange([]byte(bad[0]), []byte(bad[1]), nil); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("DeleteRange(%q, %q) = %v", bad[0], bad[1], err)
		}
	}
}
