package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func goRedis(t *testing.T, s *Server, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr().String(), Protocol: proto, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestGoRedis drives the commands through go-redis in RESP2 and RESP3,
// plainly and in a pipeline.
func TestGoRedis(t *testing.T) {
	s := startTempest(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := goRedis(t, s, proto)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(c.FlushDB(ctx).Err())
			must(c.Set(ctx, "a", "1", 0).Err())
			if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
				t.Fatalf("GET a = %q, %v", v, err)
			}
			if _, err := c.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET missing: %v, want redis.Nil", err)
			}
			if n, err := c.IncrBy(ctx, "a", 41).Result(); err != nil || n != 42 {
				t.Fatalf("INCRBY = %d, %v", n, err)
			}
			must(c.Set(ctx, "e", "x", time.Minute).Err())
			if d, err := c.TTL(ctx, "e").Result(); err != nil || d < 59*time.Second || d > time.Minute {
				t.Fatalf("TTL = %v, %v", d, err)
			}
			if ok, err := c.SetNX(ctx, "e", "y", 0).Result(); err != nil || ok {
				t.Fatalf("SETNX existing = %v, %v", ok, err)
			}
			vals, err := c.MGet(ctx, "a", "e", "missing").Result()
			if err != nil || vals[0] != "42" || vals[1] != "x" || vals[2] != nil {
				t.Fatalf("MGET = %v, %v", vals, err)
			}
			if n, err := c.Append(ctx, "e", "yz").Result(); err != nil || n != 3 {
				t.Fatalf("APPEND = %d, %v", n, err)
			}
			if v, err := c.GetRange(ctx, "e", 1, -1).Result(); err != nil || v != "yz" {
				t.Fatalf("GETRANGE = %q, %v", v, err)
			}
			if ok, err := c.ExpireGT(ctx, "e", time.Hour).Result(); err != nil || !ok {
				t.Fatalf("EXPIRE GT = %v, %v", ok, err)
			}
			if ok, err := c.Persist(ctx, "e").Result(); err != nil || !ok {
				t.Fatalf("PERSIST = %v, %v", ok, err)
			}
			keys, err := c.Keys(ctx, "*").Result()
			if err != nil || len(keys) != 2 {
				t.Fatalf("KEYS = %v, %v", keys, err)
			}
			if n, err := c.DBSize(ctx).Result(); err != nil || n != 2 {
				t.Fatalf("DBSIZE = %d, %v", n, err)
			}
			if v, err := c.GetDel(ctx, "e").Result(); err != nil || v != "xyz" {
				t.Fatalf("GETDEL = %q, %v", v, err)
			}
			cfg, err := c.ConfigGet(ctx, "appendonly").Result()
			if err != nil || cfg["appendonly"] != "yes" {
				t.Fatalf("CONFIG GET = %v, %v", cfg, err)
			}
			info, err := c.Info(ctx, "keyspace").Result()
			if err != nil || info == "" {
				t.Fatalf("INFO = %q, %v", info, err)
			}

			// A pipeline of 100 commands: replies in order.
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 50 {
					p.Set(ctx, "p"+strconv.Itoa(i), i, 0)
					p.Incr(ctx, "pc")
				}
				return nil
			})
			if err != nil || len(cmds) != 100 {
				t.Fatalf("pipeline: %d replies, %v", len(cmds), err)
			}
			if n := cmds[99].(*redis.IntCmd).Val(); n != 50 {
				t.Fatalf("last INCR in the pipeline = %d, want 50", n)
			}
			// MULTI/EXEC through TxPipelined.
			res, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "tx", "1", 0)
				p.Incr(ctx, "tx")
				p.Get(ctx, "tx")
				return nil
			})
			if err != nil || res[2].(*redis.StringCmd).Val() != "2" {
				t.Fatalf("TxPipelined: %v, %v", res, err)
			}
			// SCAN visits every key.
			seen := map[string]bool{}
			var cursor uint64
			for {
				var ks []string
				ks, cursor, err = c.Scan(ctx, cursor, "p*", 7).Result()
				must(err)
				for _, k := range ks {
					seen[k] = true
				}
				if cursor == 0 {
					break
				}
			}
			if len(seen) != 51 { // p0..p49 and pc
				t.Fatalf("SCAN MATCH p*: %d keys, want 51", len(seen))
			}
		})
	}
}

// TestGoRedisWatchConflict: WATCH from one client, a write from another
// between WATCH and EXEC, and EXEC fails with TxFailedErr; then many
// clients increment one counter with WATCH retries, and no increment is
// lost.
func TestGoRedisWatchConflict(t *testing.T) {
	s := startTempest(t, Config{})
	ctx := context.Background()
	a, b := goRedis(t, s, 2), goRedis(t, s, 3)
	if err := a.Set(ctx, "w", "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		if _, err := tx.Get(ctx, "w").Result(); err != nil {
			return err
		}
		if err := b.Set(ctx, "w", "other", 0).Err(); err != nil { // the conflict
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a conflicting write: %v, want TxFailedErr", err)
	}
	if v := a.Get(ctx, "w").Val(); v != "other" {
		t.Fatalf("w = %q, want the other client's write", v)
	}
	// Expiry of a watched key aborts too.
	a.Set(ctx, "we", "1", 300*time.Millisecond)
	err = a.Watch(ctx, func(tx *redis.Tx) error {
		time.Sleep(400 * time.Millisecond)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "we", "2", 0)
			return nil
		})
		return err
	}, "we")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a watched key expired: %v, want TxFailedErr", err)
	}

	const workers, each = 4, 25
	a.Set(ctx, "ctr", "0", 0)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := goRedis(t, s, 2)
			for i := 0; i < each; {
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, "ctr").Int()
					if err != nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, "ctr", n+1, 0)
						return nil
					})
					return err
				}, "ctr")
				switch {
				case err == nil:
					i++
				case errors.Is(err, redis.TxFailedErr):
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, _ := a.Get(ctx, "ctr").Int(); n != workers*each {
		t.Fatalf("ctr = %d, want %d: an optimistic transaction was lost", n, workers*each)
	}
}
