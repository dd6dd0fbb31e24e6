package tempest

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestSnapshotExport: Snapshot.Export writes the range as the snapshot
// reads it. A snapshot is taken of a DB holding the range across its
// memtable, L0 and deeper levels; then the range is overwritten,
// deleted in part, compacted and flushed. The snapshot's export,
// ingested into an empty DB, holds exactly the snapshot's pairs of the
// range (checked against the model as of the snapshot), in several
// files; the DB's own Export at the same moment holds the current pairs.
// A closed snapshot exports nothing (ErrClosed).
func TestSnapshotExport(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	fs := vfs.NewMem()
	d := mustOpen(t, "/a", ingestOptions(fs))
	defer mustClose(t, d)
	model := modelState{}
	fillSpread(t, d, rng, model, "before")
	snap := d.NewSnapshot()
	atSnap := model.clone()
	fillSpread(t, d, rng, model, "after")
	if err := d.DeleteRange([]byte("k100"), []byte("k150"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range model.sortedKeys([]byte("k100"), []byte("k150")) {
		delete(model, k)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	mustSet(t, d, "k050", "newest", nil)
	model["k050"] = "newest"

	lower, upper := []byte("k040"), []byte("k300")
	for _, c := range []struct {
		name   string
		export func(lower, upper []byte, dest string) ([]string, error)
		want   modelState
	}{
		{"snapshot", snap.Export, atSnap},
		{"db", d.Export, model},
	} {
		dest := "/export-" + c.name
		paths, err := c.export(lower, upper, dest)
		if err != nil {
			t.Fatalf("%s export: %v", c.name, err)
		}
		want := modelState{}
		for _, k := range c.want.sortedKeys(lower, upper) {
			want[k] = c.want[k]
		}
		if len(paths) < 2 {
			t.Fatalf("%s export: %d files, want several (%d keys)", c.name, len(paths), len(want))
		}
		e := mustOpen(t, "/b-"+c.name, ingestOptions(fs))
		if _, err := e.Ingest(paths); err != nil {
			t.Fatalf("%s export: ingest: %v", c.name, err)
		}
		if got := dump(t, e); !maps.Equal(got, want) {
			t.Fatalf("%s export holds %d keys, want %d\n got %v\nwant %v", c.name, len(got), len(want), got, want)
		}
		mustClose(t, e)
	}
	if maps.Equal(atSnap, model) {
		t.Fatal("the writes after the snapshot changed nothing: the test proves nothing")
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Export(lower, upper, "/export-closed"); !errors.Is(err, ErrClosed) {
		t.Fatalf("export of a closed snapshot: %v, want ErrClosed", err)
	}
	if _, err := fs.Stat("/export-closed"); err == nil {
		t.Fatal("the refused export left its destination")
	}
	t.Logf("%d keys at the snapshot, %d now", len(atSnap), len(model))
}
