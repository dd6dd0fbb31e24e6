package tempest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// BenchmarkMergeCounter compares incrementing counters with DB.Merge
// (no read) against a Get+Set read-modify-write loop, over 1,000 counters
// with NoSync writes, so that the operands go through flushes and
// compactions and reads resolve them.
func BenchmarkMergeCounter(b *testing.B) {
	const counters = 1000
	for _, mem := range []int{4 << 20, 64 << 20} {
		for _, mode := range []string{"merge", "get-set"} {
			b.Run(fmt.Sprintf("mem=%dMiB/%s", mem>>20, mode), func(b *testing.B) {
				benchMergeCounter(b, mem, mode, counters)
			})
		}
	}
}

// benchMergeCounter increments counters counters, i%counters in turn, by
// Merge or by Get and Set, on a DB with memtables of mem bytes.
func benchMergeCounter(b *testing.B, mem int, mode string, counters uint64) {
	d := openBenchWith(b, &Options{Merger: Uint64AddMerger, MemTableSize: mem})
	var key []byte
	one := u64(1)
	i := uint64(0)
	for b.Loop() {
		key = benchKey(key, i%counters)
		i++
		if mode == "merge" {
			if err := d.Merge(key, one, NoSync); err != nil {
				b.Fatal(err)
			}
			continue
		}
		var n uint64
		switch v, err := d.Get(key); {
		case err == nil:
			n = binary.LittleEndian.Uint64(v)
		case !errors.Is(err, ErrNotFound):
			b.Fatal(err)
		}
		if err := d.Set(key, u64(n+1), NoSync); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Both loops leave the same counts.
	var sum uint64
	for c := range min(i, counters) {
		v, err := d.Get(benchKey(key, c))
		if err != nil {
			b.Fatal(err)
		}
		sum += binary.LittleEndian.Uint64(v)
	}
	if sum != i {
		b.Fatalf("counters sum to %d after %d increments", sum, i)
	}
}
