package tempest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// Benchmarks run on the operating system's file system (b.TempDir), with
// 16-byte keys and 100-byte values.

func benchKey(buf []byte, i uint64) []byte {
	buf = append(buf[:0], "key-"...)
	return binary.BigEndian.AppendUint64(append(buf, "\x00\x00\x00\x00"...), i)
}

var benchValue = make([]byte, 100)

func openBench(b *testing.B) *DB { return openBenchWith(b, &Options{}) }

func openBenchWith(b *testing.B, o *Options) *DB {
	o.FS = vfs.Default
	d, err := Open(b.TempDir(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func BenchmarkSetNoSync(b *testing.B) {
	d := openBench(b)
	var key []byte
	b.SetBytes(116)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		key = benchKey(key, rand.Uint64())
		if err := d.Set(key, benchValue, NoSync); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSetSync(b *testing.B, writers int) {
	d := openBench(b)
	var n atomic.Int64
	var wg sync.WaitGroup
	per := b.N/writers + 1
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var key []byte
			for i := range per {
				key = benchKey(key, uint64(w)<<32|uint64(i))
				if err := d.Set(key, benchValue, Sync); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	st := d.walStats()
	if st.syncs > 0 {
		b.ReportMetric(float64(st.records)/float64(st.syncs), "commits/fsync")
	}
}

func BenchmarkSetSync1(b *testing.B)  { benchSetSync(b, 1) }
func BenchmarkSetSync16(b *testing.B) { benchSetSync(b, 16) }

// loadBench fills a DB with n keys; flushed moves them to an SST.
func loadBench(b *testing.B, n int, flushed bool) *DB {
	return loadBenchWith(b, n, flushed, &Options{})
}

func loadBenchWith(b *testing.B, n int, flushed bool, o *Options) *DB {
	d := openBenchWith(b, o)
	batch := d.NewBatch()
	var key []byte
	for i := range n {
		key = benchKey(key, uint64(i))
		batch.Set(key, benchValue)
		if batch.Count() == 1000 || i == n-1 {
			if _, err := d.Apply(batch, NoSync); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if flushed {
		if err := d.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

func benchGet(b *testing.B, flushed bool) { benchGetWith(b, flushed, &Options{}) }

func benchGetWith(b *testing.B, flushed bool, o *Options) {
	const n = 100_000
	d := loadBenchWith(b, n, flushed, o)
	var key []byte
	b.ResetTimer()
	for b.Loop() {
		key = benchKey(key, rand.Uint64N(n))
		if _, err := d.Get(key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetMemtable(b *testing.B) { benchGet(b, false) }
func BenchmarkGetSST(b *testing.B)      { benchGet(b, true) }

// BenchmarkGetSSTCached reads from an SST whose blocks all fit in the
// block cache: the CPU cost of a point read without I/O or decoding.
func BenchmarkGetSSTCached(b *testing.B) { benchGetWith(b, true, &Options{CacheSize: 64 << 20}) }

func BenchmarkIterScan(b *testing.B) {
	const n = 100_000
	d := loadBench(b, n, true)
	b.SetBytes(116)
	b.ResetTimer()
	it, err := d.NewIter(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer it.Close()
	it.First()
	for b.Loop() {
		if !it.Next() {
			it.First()
		}
	}
	if err := it.Error(); err != nil {
		b.Fatal(err)
	}
}

var _ = fmt.Sprintf

// BenchmarkScan100 is the "scan" workload: a new iterator, a seek to a
// random key, 100 steps.
func BenchmarkScan100(b *testing.B) {
	const n = 100_000
	d := loadBench(b, n, true)
	var key []byte
	b.ResetTimer()
	for b.Loop() {
		it, err := d.NewIter(nil)
		if err != nil {
			b.Fatal(err)
		}
		key = benchKey(key, rand.Uint64N(n))
		ok := it.SeekGE(key)
		for j := 0; ok && j < 100; j++ {
			ok = it.Next()
		}
		if err := it.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
