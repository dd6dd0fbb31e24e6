package tempest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
)

// BenchmarkTxn measures DB.Update transactions that read two keys and
// write both (a transfer), with NoSync commits, at 1 and 8 goroutines,
// over 100,000 keys (low contention) or 16 (high). A conflict is retried
// and counted; conflicts/op is reported.
func BenchmarkTxn(b *testing.B) {
	for _, goroutines := range []int{1, 8} {
		for _, c := range []struct {
			name string
			keys int
		}{{"low", 100_000}, {"high", 16}} {
			b.Run(fmt.Sprintf("goroutines=%d/contention=%s", goroutines, c.name), func(b *testing.B) {
				benchTxn(b, goroutines, c.keys)
			})
		}
	}
}

func benchTxn(b *testing.B, goroutines, keys int) {
	d := openBench(b)
	var key []byte
	for i := range keys {
		key = benchKey(key, uint64(i))
		if err := d.Set(key, benchValue, NoSync); err != nil {
			b.Fatal(err)
		}
	}
	var next, conflicts atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	b.ResetTimer()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := testutil.NewRand(uint64(g) + 1)
			var k1, k2 []byte
			for next.Add(1) <= int64(b.N) {
				k1 = benchKey(k1, uint64(rng.IntN(keys)))
				k2 = benchKey(k2, uint64(rng.IntN(keys)))
				for {
					err := benchTransfer(d, k1, k2)
					if !errors.Is(err, ErrConflict) {
						if err != nil {
							errc <- err
							return
						}
						break
					}
					conflicts.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errc)
	for err := range errc {
		b.Fatal(err)
	}
	b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/op")
}

func benchTransfer(d *DB, k1, k2 []byte) error {
	t := d.NewTransaction(true)
	defer t.Discard()
	v1, err := t.Get(k1)
	if err != nil {
		return err
	}
	v2, err := t.Get(k2)
	if err != nil {
		return err
	}
	if err := t.Set(k1, v2); err != nil {
		return err
	}
	if err := t.Set(k2, v1); err != nil {
		return err
	}
	_, err = t.Commit(NoSync)
	return err
}
