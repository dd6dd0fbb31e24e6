package tempest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// writeBlobKeys sets keys [0, n) to bigValue(key, version, 300) and
// flushes.
func writeBlobKeys(t *testing.T, d *DB, from, n, version int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		k := fmt.Sprintf("k%03d", i)
		mustSet(t, d, k, bigValue(k, version, 300), nil)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

// liveBlobFiles returns the blob files the manifest holds live.
func liveBlobFiles(d *DB) []base.FileNum {
	var out []base.FileNum
	for _, b := range d.manifest.BlobFiles() {
		out = append(out, b.FileNum)
	}
	return out
}

// TestBlobGCWithReaders rewrites a blob file whose values are mostly
// overwritten while a snapshot and an iterator still read it: both read
// the old values throughout; the manifest drops the file at once, and
// the file is deleted only when the last reader lets go.
func TestBlobGCWithReaders(t *testing.T) {
	fs := vfs.NewMem()
	o := blobOptions(fs)
	o.BlobGCThreshold = 0.6
	d := mustOpen(t, "db", o)
	defer mustClose(t, d)
	writeBlobKeys(t, d, 0, 20, 0)
	if err := d.Compact(context.Background(), nil, []byte("z")); err != nil {
		t.Fatal(err)
	}
	first := liveBlobFiles(d)
	if len(first) != 1 {
		t.Fatalf("blob files %v, want one", first)
	}
	it, err := d.NewIter(nil) // reads the first blob file
	if err != nil {
		t.Fatal(err)
	}
	snap := d.NewSnapshot()
	defer snap.Close()
	writeBlobKeys(t, d, 0, 15, 1) // 15 of 20 values dead, once compacted
	if err := d.Compact(context.Background(), nil, []byte("z")); err != nil {
		t.Fatal(err)
	}
	// The snapshot keeps the old versions: the file is still live.
	if !slices.Contains(liveBlobFiles(d), first[0]) {
		t.Fatalf("blob file %s dropped while a snapshot names its values", first[0])
	}
	snapWant := map[string]string{}
	for i := range 20 {
		k := fmt.Sprintf("k%03d", i)
		snapWant[k] = bigValue(k, 0, 300)
	}
	snap.Close()
	// The next compaction (of a new write) drops the old versions; then,
	// with no call, a blob-rewrite compaction copies the live values into
	// a new blob file: no SST names the old file any more.
	writeBlobKeys(t, d, 19, 1, 2)
	if err := d.Compact(context.Background(), nil, []byte("z")); err != nil {
		t.Fatal(err)
	}
	waitCompactions(t, d)
	if slices.Contains(liveBlobFiles(d), first[0]) {
		t.Fatalf("blob file %s still live after its last references moved: %v", first[0], liveBlobFiles(d))
	}
	if !slices.Contains(blobFileNums(t, fs, "db"), first[0]) {
		t.Fatalf("blob file %s deleted while an iterator reads it", first[0])
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if want := snapWant[string(it.Key())]; string(it.Value()) != want {
			t.Fatalf("iterator: %s = %.30q, want %.30q", it.Key(), it.Value(), want)
		}
		n++
	}
	if err := it.Close(); err != nil || n != 20 {
		t.Fatalf("iterator read %d keys: %v", n, err)
	}
	if slices.Contains(blobFileNums(t, fs, "db"), first[0]) {
		t.Fatalf("blob file %s not deleted after the last reader closed", first[0])
	}
	for i := range 20 {
		k := fmt.Sprintf("k%03d", i)
		v := 0
		switch {
		case i < 15:
			v = 1
		case i == 19:
			v = 2
		}
		mustGet(t, d, k, bigValue(k, v, 300))
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestBlobSpaceReclaimed overwrites the same keys twelve times with no
// manual compaction or GC call: once the engine settles, the first blob
// files are gone and the blob files hold at most 4× the newest values
// (at most two versions named per key, each blob file at least half live;
// without reclaiming, 13×).
func TestBlobSpaceReclaimed(t *testing.T) {
	fs := vfs.NewMem()
	o := blobOptions(fs)
	d := mustOpen(t, "db", o)
	defer mustClose(t, d)
	writeBlobKeys(t, d, 0, 40, 0)
	first := liveBlobFiles(d)
	for round := 1; round <= 12; round++ {
		writeBlobKeys(t, d, 0, 40, round)
	}
	waitCompactions(t, d)
	bm := d.Metrics().Blobs
	size, values := bm.Bytes, bm.ValueBytes
	live := uint64(40 * 300)
	if bm.LiveBytes < live || bm.LiveBytes > values {
		t.Errorf("metrics: %d live blob bytes, want within [%d, %d]", bm.LiveBytes, live, values)
	}
	for i := range 40 {
		k := fmt.Sprintf("k%03d", i)
		mustGet(t, d, k, bigValue(k, 12, 300))
	}
	t.Logf("blob files %v: %d bytes holding %d value bytes, %d live", liveBlobFiles(d), size, values, live)
	// A settled LSM may still name an older version of each key (an L0
	// file not yet due for compaction over the base level's), and a blob
	// file at least half live is kept: at most 4× the newest values.
	if values > 4*live {
		t.Errorf("blob files hold %d value bytes for %d live: space not reclaimed", values, live)
	}
	for _, n := range first {
		if slices.Contains(blobFileNums(t, fs, "db"), n) {
			t.Errorf("first blob file %s still on disk", n)
		}
	}
}
