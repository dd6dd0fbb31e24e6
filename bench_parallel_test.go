package tempest

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkSetNoSyncParallel8 sets random keys from eight goroutines at
// once, more than the cores: the commit pipeline's concurrent path (each
// writer prepares under the commit lock, then inserts at once with the
// others).
func BenchmarkSetNoSyncParallel8(b *testing.B) {
	d := openBench(b)
	b.SetBytes(116)
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var key []byte
		for pb.Next() {
			key = benchKey(key, rand.Uint64())
			if err := d.Set(key, benchValue, NoSync); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
