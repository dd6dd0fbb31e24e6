package tempest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// blobDB returns a closed database in fs holding k000..k009 separated
// into one blob file, and that file's path.
func blobDB(t *testing.T, fs vfs.FS) string {
	t.Helper()
	d := mustOpen(t, "db", blobOptions(fs))
	writeBlobKeys(t, d, 0, 10, 0)
	mustClose(t, d)
	nums := blobFileNums(t, fs, "db")
	if len(nums) != 1 {
		t.Fatalf("blob files %v, want one", nums)
	}
	return fs.PathJoin("db", base.SSTDir, base.MakeFilename(base.FileTypeBlob, nums[0]))
}

// wantBlobCorruption requires err to be ErrCorruption naming path.
func wantBlobCorruption(t *testing.T, err error, path, what string) {
	t.Helper()
	if !errors.Is(err, ErrCorruption) || !strings.Contains(err.Error(), path) {
		t.Fatalf("%s: %v, want ErrCorruption naming %s", what, err, path)
	}
}

// TestBlobDamage: a missing or truncated blob file fails Open (rows B2,
// B3); a flipped bit in a value fails the read of that value, through
// Get, the iterator's Error and ValueAndErr, and Check, never as an
// empty value; Check finds a reference that no longer resolves.
func TestBlobDamage(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		fs := vfs.NewMem()
		path := blobDB(t, fs)
		if err := fs.Remove(path); err != nil {
			t.Fatal(err)
		}
		_, err := Open("db", blobOptions(fs))
		wantBlobCorruption(t, err, path, "open")
	})
	t.Run("truncated", func(t *testing.T) {
		fs := vfs.NewMem()
		path := blobDB(t, fs)
		truncateFile(t, fs, path, 100)
		_, err := Open("db", blobOptions(fs))
		wantBlobCorruption(t, err, path, "open")
	})
	t.Run("flipped", func(t *testing.T) {
		fs := vfs.NewMem()
		path := blobDB(t, fs)
		flipByte(t, fs, path, 10) // in the first value, k000's
		d := mustOpen(t, "db", blobOptions(fs))
		defer mustClose(t, d)
		_, err := d.Get([]byte("k000"))
		wantBlobCorruption(t, err, path, "get")
		mustGet(t, d, "k001", bigValue("k001", 0, 300))
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if it.First() {
			t.Fatalf("iterator positioned at %s over a damaged value", it.Key())
		}
		wantBlobCorruption(t, it.Error(), path, "iterator")
		it.Close()
		it, _ = d.NewIter(&IterOptions{KeysOnly: true})
		if !it.First() || it.ValueLen() != 300 {
			t.Fatalf("keys-only first: valid %t, value length %d", it.Valid(), it.ValueLen())
		}
		v, err := it.ValueAndErr()
		if v != nil {
			t.Fatalf("ValueAndErr returned %d bytes with %v", len(v), err)
		}
		wantBlobCorruption(t, err, path, "ValueAndErr")
		wantBlobCorruption(t, it.Error(), path, "Error after ValueAndErr")
		it.Close()
		wantBlobCorruption(t, d.Check(), path, "check")
	})
	t.Run("dangling", func(t *testing.T) {
		fs := vfs.NewMem()
		path := blobDB(t, fs)
		d := mustOpen(t, "db", blobOptions(fs))
		defer mustClose(t, d)
		if err := fs.Remove(path); err != nil { // gone under the open DB
			t.Fatal(err)
		}
		wantBlobCorruption(t, d.Check(), path, "check")
	})
}

// truncateFile cuts path to n bytes.
func truncateFile(t *testing.T, fs vfs.FS, path string, n int) {
	t.Helper()
	data, err := vfs.ReadFile(fs, path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data[:n]); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// blobCountingFS counts blob files opened.
type blobCountingFS struct {
	vfs.FS
	opens atomic.Int64
}

func (fs *blobCountingFS) Open(name string) (vfs.File, error) {
	if strings.HasSuffix(name, ".blob") {
		fs.opens.Add(1)
	}
	return fs.FS.Open(name)
}

// TestBlobKeysOnly: a keys-only scan never opens a blob file and gives
// every value's length; asking for a value reads it.
func TestBlobKeysOnly(t *testing.T) {
	fs := &blobCountingFS{FS: vfs.NewMem()}
	blobDB(t, fs)
	d := mustOpen(t, "db", blobOptions(fs))
	defer mustClose(t, d)
	mustSet(t, d, "k100", "small", nil)
	fs.opens.Store(0)
	it, err := d.NewIter(&IterOptions{KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		want := 300
		if string(it.Key()) == "k100" {
			want = len("small")
		}
		if it.ValueLen() != want {
			t.Fatalf("%s: ValueLen %d, want %d", it.Key(), it.ValueLen(), want)
		}
		n++
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		n++
	}
	if n != 22 || fs.opens.Load() != 0 {
		t.Fatalf("keys-only scans: %d keys, %d blob files opened", n, fs.opens.Load())
	}
	if !it.SeekGE([]byte("k003")) || string(it.Value()) != bigValue("k003", 0, 300) {
		t.Fatalf("value of k003 read on demand: %.30q", it.Value())
	}
	if fs.opens.Load() != 1 {
		t.Fatalf("%d blob files opened, want 1", fs.opens.Load())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBlobFormatVersion: values are separated only from format version 5
// on; a database of version 4 separates nothing until ratcheted, then
// separates, and reads both kinds.
func TestBlobFormatVersion(t *testing.T) {
	fs := vfs.NewMem()
	o := blobOptions(fs)
	o.FormatVersion = FormatVersion4
	d := mustOpen(t, "db", o)
	defer func() { mustClose(t, d) }()
	writeBlobKeys(t, d, 0, 10, 0)
	if n := blobFileNums(t, fs, "db"); len(n) != 0 {
		t.Fatalf("version 4 wrote blob files %v", n)
	}
	if err := d.RatchetFormatVersion(FormatVersion5); err != nil {
		t.Fatal(err)
	}
	writeBlobKeys(t, d, 10, 10, 0)
	if n := blobFileNums(t, fs, "db"); len(n) != 1 {
		t.Fatalf("after the ratchet to 5: blob files %v, want one", n)
	}
	mustClose(t, d)
	d = mustOpen(t, "db", blobOptions(fs))
	if d.FormatVersion() != FormatVersion5 {
		t.Fatalf("format version %d", d.FormatVersion())
	}
	for i := range 20 {
		k := fmt.Sprintf("k%03d", i)
		mustGet(t, d, k, bigValue(k, 0, 300))
	}
}

// TestBlobCheckpointExport: a checkpoint carries the blob files its SSTs
// name, and opens and reads on its own; Export writes values inline (an
// ingest, which refuses blob handles, takes its files).
func TestBlobCheckpointExport(t *testing.T) {
	fs := vfs.NewMem()
	blobDB(t, fs)
	d := mustOpen(t, "db", blobOptions(fs))
	if _, err := d.Checkpoint("ck"); err != nil {
		t.Fatal(err)
	}
	paths, err := d.Export(nil, nil, "exp")
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	if err := vfs.RemoveAll(fs, "db"); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, "ck", blobOptions(fs))
	defer mustClose(t, c)
	if len(blobFileNums(t, fs, "ck")) != 1 {
		t.Fatal("the checkpoint holds no blob file")
	}
	e := mustOpen(t, "imp", blobOptions(fs))
	defer mustClose(t, e)
	if _, err := e.Ingest(paths); err != nil {
		t.Fatalf("ingest of the export: %v", err)
	}
	for i := range 10 {
		k := fmt.Sprintf("k%03d", i)
		mustGet(t, c, k, bigValue(k, 0, 300))
		mustGet(t, e, k, bigValue(k, 0, 300))
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestBlobTTLFilter: a TTL filter reads the timestamp of a separated value
// from its handle: expired separated values vanish from reads, and a
// compaction drops them without opening a blob file.
func TestBlobTTLFilter(t *testing.T) {
	clock := &fakeClock{}
	clock.ns.Store(int64(time.Hour))
	fs := &blobCountingFS{FS: vfs.NewMem()}
	o := blobOptions(fs)
	o.Clock = clock
	o.VisibilityFilter = &TTLFilter{TTL: time.Minute, Clock: clock}
	o.BlobGCThreshold = -1 // no rewriting: a compaction reads no value
	d := mustOpen(t, "db", o)
	defer mustClose(t, d)
	long := strings.Repeat("v", 300)
	for i := range 20 {
		if err := d.Set([]byte(fmt.Sprintf("k%03d", i)), stamped(clock.Now(), long), nil); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(30 * time.Second)
	if err := d.Set([]byte("fresh"), stamped(clock.Now(), long), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(blobFileNums(t, fs, "db")) == 0 {
		t.Fatal("nothing separated")
	}
	clock.advance(45 * time.Second) // the 20 expired, "fresh" not
	got := dump(t, d)
	if len(got) != 1 || !strings.HasSuffix(got["fresh"], long) {
		t.Fatalf("after expiry: %d keys", len(got))
	}
	fs.opens.Store(0)
	if err := d.Compact(context.Background(), nil, []byte("z")); err != nil {
		t.Fatal(err)
	}
	if n := fs.opens.Load(); n != 0 {
		t.Fatalf("the compaction opened %d blob files", n)
	}
	if m := d.Metrics(); m.Blobs.LiveBytes != uint64(len(long)+8) {
		t.Fatalf("%d live blob bytes after the compaction, want %d (the fresh value's)", m.Blobs.LiveBytes, len(long)+8)
	}
}
