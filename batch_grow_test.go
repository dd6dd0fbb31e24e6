package tempest

import (
	"bytes"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// TestBatchGrowsByDoubling builds a batch of 64 values of 64 KiB: its
// buffer doubles as it fills (append would grow it by a quarter, in four
// times as many copies), never past MaxBatchSize unless an entry needs
// it, and the batch decodes to what was set.
func TestBatchGrowsByDoubling(t *testing.T) {
	lim := &limits{maxKey: 1 << 10, maxValue: 1 << 20, maxBatch: 3 << 20, cmp: base.DefaultComparer}
	b := newBatch(lim)
	value := bytes.Repeat([]byte{0xab}, 64<<10)
	grows, last := 0, cap(b.data)
	var keys []string
	for i := 0; ; i++ {
		key := []byte{byte(i >> 8), byte(i)}
		if err := b.Set(key, value); err != nil {
			break // the batch is full
		}
		keys = append(keys, string(key))
		if c := cap(b.data); c != last {
			if c < 2*last && c < lim.maxBatch {
				t.Fatalf("the buffer grew from %d to %d bytes, less than twice", last, c)
			}
			grows, last = grows+1, c
		}
	}
	// 256 bytes to 3 MiB: 14 doublings, then one to the limit.
	if grows > 15 || last > lim.maxBatch {
		t.Fatalf("%d reallocations, to a capacity of %d for a limit of %d", grows, last, lim.maxBatch)
	}
	b.stamp(1)
	db, err := decodeBatch(b.data)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	if err := db.forEach(func(e batchEntry) error {
		if string(e.Key) != keys[i] || !bytes.Equal(e.Value, value) {
			t.Fatalf("entry %d: key %q with %d bytes", i, e.Key, len(e.Value))
		}
		i++
		return nil
	}); err != nil || i != len(keys) {
		t.Fatalf("decoded %d entries of %d (%v)", i, len(keys), err)
	}
}

// BenchmarkBatchSetLarge builds a fresh batch of 64 values of 64 KiB per
// operation (a first batch of fillbatch at equal-64 settings).
func BenchmarkBatchSetLarge(b *testing.B) {
	lim := &limits{maxKey: 1 << 10, maxValue: 16 << 20, maxBatch: 32 << 20, cmp: base.DefaultComparer}
	value := bytes.Repeat([]byte{0xab}, 64<<10)
	key := make([]byte, 16)
	b.SetBytes(64 * int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		batch := newBatch(lim)
		for i := range 64 {
			key[0] = byte(i)
			if err := batch.Set(key, value); err != nil {
				b.Fatal(err)
			}
		}
	}
}
