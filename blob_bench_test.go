package tempest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/benchvalues"
)

// Benchmarks of reads of separated values (blob files), on the operating
// system's file system: 64 MiB of values of 4 KiB or 64 KiB, flushed into
// blob files with the default threshold and Snappy, made as db_bench makes
// its values (each 100-byte run half random printable bytes and half a
// repeat of them, so that they compress to about half). Each runs with a
// block cache of 64 MiB, which holds most of the values once read
// ("cache64MiB"), and of 4 MiB, where nearly every read misses
// ("cache4MiB"). Run with -benchmem: allocations per read are part of
// what they measure.

// blobBenchBytes is the total of the values a blob benchmark loads.
const blobBenchBytes = 64 << 20

var blobBenchSizes = []int{4 << 10, 64 << 10}

var blobBenchCaches = []int64{64 << 20, 4 << 20}

// runBlobBench runs f for every value size and cache size.
func runBlobBench(b *testing.B, f func(b *testing.B, d *DB, n, size int)) {
	for _, size := range blobBenchSizes {
		for _, c := range blobBenchCaches {
			b.Run(fmt.Sprintf("%dKiB/cache%dMiB", size>>10, c>>20), func(b *testing.B) {
				d, n := loadBlobBench(b, size, c)
				b.ResetTimer()
				f(b, d, n, size)
			})
		}
	}
}

// blobBenchValues returns a buffer of values made as db_bench makes them,
// of at least n bytes.
func blobBenchValues(n int) []byte {
	return benchvalues.Buffer(rand.New(rand.NewPCG(1, 2)), n)
}

// loadBlobBench loads blobBenchBytes of values of size bytes, flushed, and
// returns the DB and the number of keys.
func loadBlobBench(b *testing.B, size int, cacheSize int64) (*DB, int) {
	d := openBenchWith(b, &Options{MemTableSize: 64 << 20, CacheSize: cacheSize})
	n := blobBenchBytes / size
	src := blobBenchValues(1 << 20)
	batch := d.NewBatch()
	var key []byte
	for i := range n {
		key = benchKey(key, uint64(i))
		off := (i * 977) % (len(src) - size)
		batch.Set(key, src[off:off+size])
		if batch.Count() == 64 || i == n-1 {
			if _, err := d.Apply(batch, NoSync); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := d.Flush(); err != nil {
		b.Fatal(err)
	}
	return d, n
}

// BenchmarkBlobGet is Get of a random key whose value is in a blob file.
func BenchmarkBlobGet(b *testing.B) {
	runBlobBench(b, func(b *testing.B, d *DB, n, size int) {
		var key []byte
		b.SetBytes(int64(size))
		for b.Loop() {
			key = benchKey(key, rand.Uint64N(uint64(n)))
			v, err := d.Get(key)
			if err != nil || len(v) != size {
				b.Fatalf("%d bytes, %v", len(v), err)
			}
		}
	})
}

// BenchmarkBlobScan is the "scan" workload over separated values: a new
// iterator, a seek to a random key, 100 steps, each value read.
func BenchmarkBlobScan(b *testing.B) {
	runBlobBench(b, func(b *testing.B, d *DB, n, size int) {
		var key []byte
		b.SetBytes(int64(101 * size))
		for b.Loop() {
			it, err := d.NewIter(nil)
			if err != nil {
				b.Fatal(err)
			}
			key = benchKey(key, rand.Uint64N(uint64(n)))
			ok := it.SeekGE(key)
			for j := 0; ok && j < 100; j++ {
				if len(it.Value()) != size {
					b.Fatalf("value of %d bytes", len(it.Value()))
				}
				ok = it.Next()
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
