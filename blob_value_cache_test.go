package tempest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// blobReadsFS counts the reads of blob files.
type blobReadsFS struct {
	vfs.FS
	reads atomic.Int64
}

func (fs *blobReadsFS) Open(name string) (vfs.File, error) {
	f, err := fs.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".blob") {
		return f, err
	}
	return &blobReadsFile{File: f, fs: fs}, nil
}

type blobReadsFile struct {
	vfs.File
	fs *blobReadsFS
}

func (f *blobReadsFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.reads.Add(1)
	return f.File.ReadAt(p, off)
}

// randomValue returns n bytes that do not compress (a raw block).
func randomValue(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// TestBlobValueCache: a separated value read once, raw or compressed, is
// served from the block cache afterwards: Get, the iterator, a keys-only
// iterator's ValueAndErr and a snapshot's Get read no blob block again,
// and return the same bytes.
func TestBlobValueCache(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	fs := &blobReadsFS{FS: vfs.NewMem()}
	d := mustOpen(t, "db", blobOptions(fs))
	defer mustClose(t, d)
	want := map[string]string{}
	for i := range 20 {
		k := fmt.Sprintf("k%03d", i)
		v := bigValue(k, 0, 300+i*50) // compresses
		if i%2 == 1 {
			v = randomValue(rng, 300+i*50) // stored raw
		}
		mustSet(t, d, k, v, nil)
		want[k] = v
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	// Get never adds a value to the cache (blobCache.readCached); an
	// iterator adds one on its second miss (blobCache.admit).
	for k, v := range want {
		mustGet(t, d, k, v)
	}
	for range 2 {
		start := fs.reads.Load()
		for k, v := range want {
			iterGet(t, d, k, v)
		}
		if n := fs.reads.Load() - start; n < int64(len(want)) {
			t.Fatalf("%d blob reads for %d values read by an iterator: a first read cached them", n, len(want))
		}
	}
	before := fs.reads.Load()
	for k, v := range want {
		mustGet(t, d, k, v)
	}
	snap := d.NewSnapshot()
	defer snap.Close()
	for k, v := range want {
		got, err := snap.Get([]byte(k))
		if err != nil || string(got) != v {
			t.Fatalf("snapshot get %s: %d bytes, %v", k, len(got), err)
		}
	}
	for _, o := range []*IterOptions{nil, {KeysOnly: true}} {
		it, err := d.NewIter(o)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.ValueAndErr()
			if err != nil || string(v) != want[string(it.Key())] {
				t.Fatalf("iterator (%+v) at %s: %d bytes, %v", o, it.Key(), len(v), err)
			}
			n++
		}
		if err := it.Close(); err != nil || n != len(want) {
			t.Fatalf("iterator (%+v): %d keys, %v", o, n, err)
		}
	}
	if n := fs.reads.Load() - before; n != 0 {
		t.Fatalf("%d blob reads after every value was read once, want 0", n)
	}
}

// TestBlobValueCacheSmall scans back and forth over values many times the
// size of a tiny block cache, which evicts them as the iterator moves:
// each value stays valid and right until the next positioning call.
func TestBlobValueCacheSmall(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	fs := vfs.NewMem()
	o := blobOptions(fs)
	o.CacheSize = 32 << 10
	d := mustOpen(t, "db", o)
	defer mustClose(t, d)
	var keys, values []string
	for i := range 200 {
		k := fmt.Sprintf("k%03d", i)
		v := bigValue(k, 0, 1000+rng.IntN(3000))
		if rng.IntN(2) == 0 {
			v = randomValue(rng, 1000+rng.IntN(3000))
		}
		mustSet(t, d, k, v, nil)
		keys, values = append(keys, k), append(values, v)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	i := 0
	ok := it.First()
	for step := 0; step < 2000; step++ {
		if !ok || string(it.Key()) != keys[i] || !bytes.Equal(it.Value(), []byte(values[i])) {
			t.Fatalf("step %d: at %q (valid %t), want %s and its value; %v", step, it.Key(), ok, keys[i], it.Error())
		}
		switch {
		case i == len(keys)-1 || (i > 0 && rng.IntN(3) == 0):
			ok, i = it.Prev(), i-1
		default:
			ok, i = it.Next(), i+1
		}
	}
}

// TestBlobValueCacheDamage: a damaged block is never cached: every read of
// it, through Get, a snapshot, the iterator and ValueAndErr, in any order
// and again, is ErrCorruption naming the file, while the values beside it
// read right.
func TestBlobValueCacheDamage(t *testing.T) {
	fs := vfs.NewMem()
	path := blobDB(t, fs)
	flipByte(t, fs, path, 10) // in k000's block
	d := mustOpen(t, "db", blobOptions(fs))
	defer mustClose(t, d)
	snap := d.NewSnapshot()
	defer snap.Close()
	for round := range 2 {
		what := func(s string) string { return fmt.Sprintf("round %d: %s", round, s) }
		it, _ := d.NewIter(&IterOptions{KeysOnly: true})
		if !it.First() {
			t.Fatal(what("keys-only iterator empty"))
		}
		_, err := it.ValueAndErr()
		wantBlobCorruption(t, err, path, what("ValueAndErr"))
		it.Close()
		it, _ = d.NewIter(nil)
		if it.SeekGE([]byte("k000")) {
			t.Fatalf("%s: iterator at %s over the damaged value", what("iterator"), it.Key())
		}
		wantBlobCorruption(t, it.Error(), path, what("iterator"))
		it.Close()
		_, err = d.Get([]byte("k000"))
		wantBlobCorruption(t, err, path, what("get"))
		_, err = snap.Get([]byte("k000"))
		wantBlobCorruption(t, err, path, what("snapshot get"))
		mustGet(t, d, "k001", bigValue("k001", 0, 300))
	}
}

// TestBlobValueCacheEvict: the values of a blob file leave the block cache
// when the file becomes obsolete: at once when no read holds its reader,
// else when the last read releases it (a read may add a value after the
// eviction).
func TestBlobValueCacheEvict(t *testing.T) {
	fs := vfs.NewMem()
	blobDB(t, fs)
	d := mustOpen(t, "db", blobOptions(fs))
	defer mustClose(t, d)
	num := blobFileNums(t, fs, "db")[0]
	cached := func() bool {
		h, ok := d.cache.c.Get(d.tables.cacheID, uint64(num), 0)
		h.Release()
		return ok
	}
	iterGet(t, d, "k000", bigValue("k000", 0, 300)) // its block is at offset 0
	if cached() {
		t.Fatal("a value read once is in the block cache")
	}
	mustGet(t, d, "k000", bigValue("k000", 0, 300))
	if cached() {
		t.Fatal("Get added a value to the block cache")
	}
	iterGet(t, d, "k000", bigValue("k000", 0, 300)) // cached on the second miss
	if !cached() {
		t.Fatal("the value read is not in the block cache")
	}
	d.blobs.evict(num)
	if cached() {
		t.Fatal("an obsolete file's value is still cached")
	}
	iterGet(t, d, "k000", bigValue("k000", 0, 300)) // reopens the reader
	b, err := d.blobs.get(num)                      // a read in flight
	if err != nil {
		t.Fatal(err)
	}
	d.blobs.evict(num)
	iterGet(t, d, "k000", bigValue("k000", 0, 300)) // cached again
	if !cached() {
		t.Fatal("the value read is not in the block cache")
	}
	b.release()
	if cached() {
		t.Fatal("an obsolete file's value is still cached after its last reader went")
	}
}

// iterGet reads key's value through an iterator positioned on it, and
// checks it is want.
func iterGet(t *testing.T, d *DB, key, want string) {
	t.Helper()
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.SeekGE([]byte(key)) || string(it.Key()) != key {
		t.Fatalf("iterator: %s not found: %v", key, it.Error())
	}
	if v, err := it.ValueAndErr(); err != nil || string(v) != want {
		t.Fatalf("iterator at %s: %d bytes, %v", key, len(v), err)
	}
}
