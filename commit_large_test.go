package tempest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestCommitBatchLargerThanMemTable: with the default options, a batch
// may be larger than a memtable (up to MaxBatchSize, 32 MiB, against 8
// MiB memtables). It gets a memtable sized for it, while small writes go
// on from other goroutines; every entry reads back before and after a
// reopen that replays the WAL, and after a flush.
func TestCommitBatchLargerThanMemTable(t *testing.T) {
	fs := vfs.NewMem()
	o := &Options{FS: fs}
	d := mustOpen(t, "/db", o)
	if d.opts.MemTableSize != DefaultMemTableSize || d.opts.MaxValueSize != 16<<20 || d.opts.MaxBatchSize != 32<<20 {
		t.Fatalf("defaults: MemTableSize %d, MaxValueSize %d, MaxBatchSize %d", d.opts.MemTableSize, d.opts.MaxValueSize, d.opts.MaxBatchSize)
	}
	value := func(i, n int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, n) }
	want := map[string][]byte{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() { // small writes meanwhile
		for i := range 2000 {
			k, v := fmt.Sprintf("small/%04d", i), value(i, 100)
			if err := d.Set([]byte(k), v, NoSync); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			want[k] = v
			mu.Unlock()
		}
	})
	// One 16 MiB value, then a batch of 28 MiB in 1 MiB values.
	big := d.NewBatch()
	if err := big.Set([]byte("big/value"), value(0, 16<<20)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Apply(big, Sync); err != nil {
		t.Fatalf("16 MiB value: %v", err)
	}
	many := d.NewBatch()
	batchWant := map[string][]byte{"big/value": value(0, 16<<20)}
	for i := range 28 {
		k, v := fmt.Sprintf("big/%02d", i), value(i, 1<<20-64)
		if err := many.Set([]byte(k), v); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		batchWant[k] = v
	}
	if _, err := d.Apply(many, Sync); err != nil {
		t.Fatalf("28 MiB batch: %v", err)
	}
	wg.Wait()
	for k, v := range batchWant {
		want[k] = v
	}
	check := func(when string) {
		t.Helper()
		for k, v := range want {
			got, err := d.Get([]byte(k))
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("%s: Get(%s) = %d bytes, %v; want %d bytes", when, k, len(got), err, len(v))
			}
		}
	}
	check("before reopen")
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	check("after reopen")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check("after flush")
	mustClose(t, d)
}
