package tempest

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestSeekWithOwnKey seeks an iterator to its own Key, and to its own
// Value (which holds the next key), at every position of a table whose
// blocks the cache cannot keep: the seek key must not change while the
// iterator moves.
func TestSeekWithOwnKey(t *testing.T) {
	for _, blockSize := range []int{512, 4096} {
		t.Run(fmt.Sprint(blockSize), func(t *testing.T) { testSeekWithOwnKey(t, blockSize) })
	}
}

func testSeekWithOwnKey(t *testing.T, blockSize int) {
	d := mustOpen(t, "db", &Options{FS: vfs.NewMem(), BlockSize: blockSize, CacheSize: 1})
	defer mustClose(t, d)
	const n = 300
	key := func(i int) string { return fmt.Sprintf("key%05d", i) }
	b := d.NewBatch()
	for i := range n {
		if err := b.Set([]byte(key(i)), []byte(key(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Apply(b, NoSync); err != nil {
		t.Fatal(err)
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
	for ok := it.First(); ok; ok = it.Next() {
		if !it.SeekGE(it.Key()) || string(it.Key()) != key(i) {
			t.Fatalf("SeekGE(own key %s) at %q", key(i), it.Key())
		}
		if i+1 < n {
			if !it.SeekGE(it.Value()) || string(it.Key()) != key(i+1) {
				t.Fatalf("SeekGE(own value %s) at %q", key(i+1), it.Key())
			}
			if !it.SeekLT(it.Key()) || string(it.Key()) != key(i) {
				t.Fatalf("SeekLT(own key %s) at %q, want %s", key(i+1), it.Key(), key(i))
			}
		}
		i++
	}
	if i != n {
		t.Fatalf("iterated %d keys, want %d (err %v)", i, n, it.Error())
	}
}

// TestIteratorClearsOnClose checks that Key and Value stop pointing into
// released memory at Close.
func TestIteratorClearsOnClose(t *testing.T) {
	d := mustOpen(t, "db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)
	mustSet(t, d, "a", "1", NoSync)
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !it.First() {
		t.Fatal("empty")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if it.Key() != nil || it.Value() != nil || it.Valid() {
		t.Fatalf("after Close: key %q value %q valid %v", it.Key(), it.Value(), it.Valid())
	}
}
