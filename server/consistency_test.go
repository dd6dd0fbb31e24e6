package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/testutil"
)

// TestExecAtomic: writers move one unit between two keys in MULTI/EXEC
// while readers MGET both; every read sees the sum unchanged, so no
// reader saw half a transaction.
func TestExecAtomic(t *testing.T) {
	s := startTempest(t, Config{AppendFsync: FsyncEverySec})
	ctx := context.Background()
	setup := goRedis(t, s, 2)
	setup.MSet(ctx, "x", 1000, "y", 0)
	var stop atomic.Bool
	var wg, readers sync.WaitGroup
	errs := make(chan error, 8)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := goRedis(t, s, 2)
			for i := 0; i < 200; i++ {
				_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.DecrBy(ctx, "x", 1)
					p.IncrBy(ctx, "y", 1)
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var reads atomic.Int64
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			c := goRedis(t, s, 3)
			for !stop.Load() {
				v, err := c.MGet(ctx, "x", "y").Result()
				if err != nil {
					errs <- err
					return
				}
				var x, y int
				fmt.Sscan(v[0].(string), &x)
				fmt.Sscan(v[1].(string), &y)
				if x+y != 1000 {
					errs <- fmt.Errorf("MGET saw x=%d y=%d: half a transaction", x, y)
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := setup.MGet(ctx, "x", "y").Val(); v[0] != "600" || v[1] != "400" {
		t.Fatalf("after 400 transfers: x, y = %v, want 600, 400", v)
	}
	t.Logf("%d consistent reads during the transfers", reads.Load())
}

// TestScanStable: a SCAN with a small COUNT, while other clients add and
// delete keys, returns every key present for the whole scan at least
// once; an unknown cursor restarts from the first key.
func TestScanStable(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	s := startTempest(t, Config{AppendFsync: FsyncEverySec})
	ctx := context.Background()
	c := goRedis(t, s, 2)
	stable := map[string]bool{}
	var mset []any
	for i := range 300 {
		k := fmt.Sprintf("s%05d", rng.IntN(100000))
		stable[k] = true
		mset = append(mset, k, i)
	}
	c.MSet(ctx, mset...)
	var churn sync.WaitGroup
	var stop atomic.Bool
	churn.Add(1)
	go func() {
		defer churn.Done()
		w := goRedis(t, s, 2)
		for i := 0; !stop.Load(); i++ {
			k := fmt.Sprintf("s%05d-tmp%d", i*7919%100000, i)
			w.Set(ctx, k, i, 0)
			if i%2 == 0 {
				w.Del(ctx, k)
			}
		}
	}()
	seen := map[string]bool{}
	var cursor uint64
	calls := 0
	for {
		keys, next, err := c.Scan(ctx, cursor, "", int64(1+rng.IntN(20))).Result()
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, k := range keys {
			seen[k] = true
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	stop.Store(true)
	churn.Wait()
	for k := range stable {
		if !seen[k] {
			t.Fatalf("SCAN (%d calls) missed %s, present throughout", calls, k)
		}
	}
	// A made-up cursor scans from the first key.
	first, _, err := c.Scan(ctx, 0, "", 1).Result()
	if err != nil || len(first) != 1 {
		t.Fatalf("SCAN 0 COUNT 1: %v, %v", first, err)
	}
	keys, _, err := c.Scan(ctx, 12345, "", 1).Result()
	if err != nil || len(keys) != 1 || keys[0] != first[0] {
		t.Fatalf("SCAN with an unknown cursor: %v, %v; want the first key %s", keys, err, first[0])
	}
}
