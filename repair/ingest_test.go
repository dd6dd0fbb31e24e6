package repair

import (
	"context"
	"maps"
	"path/filepath"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// TestRepairIngested: repair reads an ingested SST at the global seqnum
// the manifest records, so its values still shadow the older versions
// below it (read at seqnum 0 they would lose to them) and its range
// tombstone deletes them.
func TestRepairIngested(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	db, err := tempest.Open(src, &tempest.Options{})
	must(t, err)
	want := map[string]string{}
	for _, k := range []string{"a", "b", "c", "d"} {
		must(t, db.Set([]byte(k), []byte("old-"+k), nil))
		want[k] = "old-" + k
	}
	must(t, db.Compact(context.Background(), nil, nil))
	in := filepath.Join(t.TempDir(), "in.sst")
	f, err := vfs.Default.Create(in)
	must(t, err)
	w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: tempest.DefaultComparer})
	must(t, w.DeleteRange([]byte("c"), []byte("d")))
	must(t, w.Set([]byte("b"), []byte("new-b")))
	_, err = w.Finish()
	must(t, err)
	_, err = db.Ingest([]string{in})
	must(t, err)
	want["b"] = "new-b"
	delete(want, "c")
	must(t, db.Close())
	if got := readDB(t, src); !maps.Equal(got, want) {
		t.Fatalf("before the repair: %v, want %v", got, want)
	}
	_, dst := repairChecked(t, src)
	if got := readDB(t, dst); !maps.Equal(got, want) {
		t.Fatalf("repaired: %v, want %v", got, want)
	}
}
