package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/redistest"
)

// tagPerShard returns, for each shard, a hash tag ("{tN}") whose slot is
// in that shard.
func tagPerShard(l *Layout) []string {
	tags := make([]string, l.Shards)
	for i, found := 0, 0; found < l.Shards; i++ {
		tag := fmt.Sprintf("{t%d}", i)
		if s := l.ShardOfSlot(KeySlot([]byte(tag))); tags[s] == "" {
			tags[s] = tag
			found++
		}
	}
	return tags
}

// clusterPassword is TestClusterCommands' --requirepass.
const clusterPassword = "s3cret"

// TestClusterCommands drives the commands decided in the state machine
// (MSETNX, GETRANGE, EXPIREAT, PEXPIREAT, EXPIRE's NX/XX/GT/LT), MULTI/
// EXEC/WATCH, and SCAN/KEYS/DBSIZE/FLUSHDB on 3 nodes, 3 shards, 3
// replicas that require a password, through go-redis's ClusterClient
// speaking RESP3 (HELLO 3 AUTH), each shard in turn; then every replica
// must hold its leader's data.
func TestClusterCommands(t *testing.T) {
	tc := newTestClusterConfig(t, 3, 3, 3, testRaft, smallDB(), func(c *Config) {
		c.RequirePass = clusterPassword
		c.NoLeaderBalance = true // leaders stay put while ForEachMaster scans
	})
	tc.waitLeaders()
	c := tc.clusterClientWith(func(o *redis.ClusterOptions) { o.Password, o.Protocol = clusterPassword, 3 })
	t.Run("Auth", func(t *testing.T) {
		plain := tc.clusterClient()
		if err := plain.Get(ctx(), "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Errorf("GET without a password = %v, want NOAUTH", err)
		}
		if err := c.Set(ctx(), "k", "v", 0).Err(); err != nil {
			t.Errorf("SET with the password: %v", err)
		}
		if err := c.Get(ctx(), "nokey").Err(); err != redis.Nil {
			t.Errorf("GET nokey in RESP3 = %v, want nil", err)
		}
		// A join (here of a member again, which changes nothing) sends
		// AUTH first.
		n1 := tc.layout.Nodes[0]
		if _, err := askJoin(n1.Addr, n1, "wrong"); err == nil || !strings.Contains(err.Error(), "refused the password") {
			t.Errorf("join with a wrong password: %v", err)
		}
		if l, err := askJoin(n1.Addr, n1, clusterPassword); err != nil || len(l.Nodes) != 3 {
			t.Errorf("join with the password: %v, %v", l, err)
		}
	})
	tags := tagPerShard(&tc.layout)
	t.Run("StateMachine", func(t *testing.T) {
		for _, tag := range tags {
			checkStateMachineCommands(t, c, tag)
		}
		if err := c.MSetNX(ctx(), "a", "1", "b", "2").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Errorf("MSETNX a b = %v, want CROSSSLOT", err)
		}
	})
	t.Run("Transactions", func(t *testing.T) {
		for _, tag := range tags {
			checkTransactions(t, tc, c, tag)
		}
		checkWatchIncrements(t, c, tags[0]+"ctr")
		checkExecAfterTransfer(t, tc, c, tags[1])
	})
	t.Run("Keyspace", func(t *testing.T) {
		tc.waitLeadersKnown()
		checkKeyspace(t, c, keysPerShard(&tc.layout, 25))
		// One node leading every shard: its SCAN cursors cross shards.
		tc.leadAll(0)
		checkKeyspace(t, c, keysPerShard(&tc.layout, 25))
		checkKeyspaceInMulti(t, tc, c, keysPerShard(&tc.layout, 3))
	})
	tc.waitCaughtUp()
}

func checkStateMachineCommands(t *testing.T, c *redis.ClusterClient, tag string) {
	t.Helper()
	k := func(name string) string { return tag + name }
	expect := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s %s = %v, %v; want %v", tag, what, got, err, want)
		}
	}
	ok, err := c.MSetNX(ctx(), k("a"), "1", k("b"), "2").Result()
	expect("MSETNX a b", ok, true, err)
	ok, err = c.MSetNX(ctx(), k("b"), "x", k("c"), "y").Result()
	expect("MSETNX b c", ok, false, err)
	vals, err := c.MGet(ctx(), k("a"), k("b"), k("c")).Result()
	expect("MGET a b c", vals, []any{"1", "2", nil}, err)
	c.Set(ctx(), k("s"), "hello world", 0)
	s, err := c.GetRange(ctx(), k("s"), -5, -1).Result()
	expect("GETRANGE s -5 -1", s, "world", err)
	at := time.Now().Add(100 * time.Second)
	ok, err = c.ExpireAt(ctx(), k("a"), at).Result()
	expect("EXPIREAT a", ok, true, err)
	if ttl, err := c.TTL(ctx(), k("a")).Result(); err != nil || ttl < 90*time.Second || ttl > 100*time.Second {
		t.Errorf("%s TTL a after EXPIREAT +100s = %v, %v", tag, ttl, err)
	}
	ok, err = c.ExpireNX(ctx(), k("a"), time.Hour).Result()
	expect("EXPIRE a NX", ok, false, err)
	ok, err = c.ExpireGT(ctx(), k("a"), time.Hour).Result()
	expect("EXPIRE a GT 3600", ok, true, err)
	ok, err = c.ExpireLT(ctx(), k("a"), 2*time.Hour).Result()
	expect("EXPIRE a LT 7200", ok, false, err)
	ok, err = c.ExpireXX(ctx(), k("b"), time.Hour).Result()
	expect("EXPIRE b XX (no TTL)", ok, false, err)
	ok, err = c.PExpireAt(ctx(), k("b"), time.UnixMilli(1)).Result()
	expect("PEXPIREAT b 1", ok, true, err)
	n, err := c.Exists(ctx(), k("b")).Result()
	expect("EXISTS b after PEXPIREAT in the past", n, 0, err)
	if err := c.Do(ctx(), "EXPIRE", k("a"), "10", "NX", "XX").Err(); err == nil || err.Error() != "ERR NX and XX, GT or LT options at the same time are not compatible" {
		t.Errorf("%s EXPIRE NX XX = %v", tag, err)
	}
}

// leaderClient returns a plain client of the node leading shard s, and
// one of a node that does not lead it.
func (tc *testCluster) leaderClient(t *testing.T, s int) (leader, other *redis.Client) {
	t.Helper()
	tc.waitLeadersKnown()
	l := tc.waitLeader(s)
	mk := func(i int) *redis.Client {
		rc := redis.NewClient(&redis.Options{Addr: tc.layout.Nodes[i].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true, PoolSize: 1, Password: clusterPassword})
		t.Cleanup(func() { rc.Close() })
		return rc
	}
	return mk(l), mk((l + 1) % len(tc.nodes))
}

// checkTransactions: a transaction's commands apply together with their
// replies; a queued command of a slot led elsewhere gets MOVED and EXEC
// EXECABORT; DBSIZE, a command over every led shard, runs inside MULTI; a
// watched key written by another client, or expired since WATCH, makes
// EXEC abort.
func checkTransactions(t *testing.T, tc *testCluster, c *redis.ClusterClient, tag string) {
	t.Helper()
	k := func(name string) string { return tag + name }
	cmds, err := c.TxPipelined(ctx(), func(p redis.Pipeliner) error {
		p.Set(ctx(), k("x"), "1", 0)
		p.Incr(ctx(), k("x"))
		p.Get(ctx(), k("x"))
		p.GetRange(ctx(), k("x"), 0, 0)
		p.MSetNX(ctx(), k("x"), "9", k("y"), "9")
		return nil
	})
	if err != nil || fmt.Sprintf("%d %s %v", cmds[1].(*redis.IntCmd).Val(), cmds[2].(*redis.StringCmd).Val(), cmds[4].(*redis.BoolCmd).Val()) != "2 2 false" {
		t.Errorf("%s MULTI SET INCR GET GETRANGE MSETNX EXEC = %v, %v", tag, cmds, err)
	}
	s := tc.layout.ShardOfSlot(KeySlot([]byte(tag)))
	leader, other := tc.leaderClient(t, s)
	expectRaw(t, other.Options().Addr, [][]string{
		{"AUTH", clusterPassword, "+OK"}, {"MULTI", "+OK"}, {"SET", k("x"), "3", "-MOVED "}, {"EXEC", "-EXECABORT Transaction discarded because of previous errors."},
	})
	expectRaw(t, leader.Options().Addr, [][]string{
		{"AUTH", clusterPassword, "+OK"}, {"MULTI", "+OK"}, {"SET", k("x"), "3", "+QUEUED"}, {"DBSIZE", "+QUEUED"},
		{"EXEC", "*2\r\n+OK\r\n:"}, {"GET", k("x"), "$1\r\n3"},
	})
	var stale error
	err = leader.Watch(ctx(), func(tx *redis.Tx) error {
		c.Set(ctx(), k("x"), "2", 0) // the same value, by another client
		_, err := tx.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			p.Set(ctx(), k("x"), "4", 0)
			return nil
		})
		return err
	}, k("x"))
	if err != redis.TxFailedErr {
		t.Errorf("%s WATCH x, another client's SET x, EXEC = %v, want an aborted transaction", tag, err)
	}
	c.Set(ctx(), k("e"), "v", 150*time.Millisecond)
	err = leader.Watch(ctx(), func(tx *redis.Tx) error {
		time.Sleep(250 * time.Millisecond)
		_, err := tx.TxPipelined(ctx(), func(p redis.Pipeliner) error {
			stale = p.Set(ctx(), k("e"), "w", 0).Err()
			return nil
		})
		return err
	}, k("e"))
	if err != redis.TxFailedErr {
		t.Errorf("%s WATCH e (expiring), EXEC after it expired = %v (queued: %v), want an aborted transaction", tag, err, stale)
	}
}

// checkWatchIncrements: clients increment one counter with WATCH, GET,
// then SET in MULTI/EXEC, retrying aborted transactions; every committed
// transaction counts once, so the counter ends at their number.
func checkWatchIncrements(t *testing.T, c *redis.ClusterClient, key string) {
	t.Helper()
	const workers, each = 3, 6
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for done := 0; done < each; {
				err := c.Watch(ctx(), func(tx *redis.Tx) error {
					n, err := tx.Get(ctx(), key).Int()
					if err != nil && err != redis.Nil {
						return err
					}
					_, err = tx.TxPipelined(ctx(), func(p redis.Pipeliner) error {
						p.Set(ctx(), key, n+1, 0)
						return nil
					})
					return err
				}, key)
				switch err {
				case nil:
					done++
				case redis.TxFailedErr:
				default:
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatalf("WATCH increments: %v", err)
		}
	}
	if n, err := c.Get(ctx(), key).Int(); err != nil || n != workers*each {
		t.Fatalf("counter after %d committed WATCH increments = %d, %v", workers*each, n, err)
	}
}

// expectRaw sends each step's command (all its fields but the last) on
// one connection to addr and requires its raw reply to begin with the
// step's last field.
func expectRaw(t *testing.T, addr string, steps [][]string) {
	t.Helper()
	c := redistest.Dial(t, addr)
	for _, st := range steps {
		args, want := st[:len(st)-1], st[len(st)-1]
		if got := string(c.Do(args...)); !strings.HasPrefix(got, want) {
			t.Errorf("%s %q = %q, want %q...", addr, args, got, want)
		}
	}
}

// checkExecAfterTransfer: a transaction queued on a shard's leader whose
// leadership moves before EXEC is redirected and discarded, as Redis
// Cluster's after a slot moved: nothing of it applies.
func checkExecAfterTransfer(t *testing.T, tc *testCluster, c *redis.ClusterClient, tag string) {
	t.Helper()
	s := tc.layout.ShardOfSlot(KeySlot([]byte(tag)))
	leader, _ := tc.leaderClient(t, s)
	l := tc.waitLeader(s)
	rc := redistest.Dial(t, leader.Options().Addr)
	for _, args := range [][]string{{"AUTH", clusterPassword}, {"MULTI"}, {"SET", tag + "moved", "1"}} {
		if got := string(rc.Do(args...)); got != "+OK\r\n" && got != "+QUEUED\r\n" {
			t.Fatalf("%q = %q", args, got)
		}
	}
	if err := tc.nodes[l].shard(s).raft.LeadershipTransfer().Error(); err != nil {
		t.Fatalf("leadership transfer: %v", err)
	}
	if got := string(rc.Do("EXEC")); !strings.HasPrefix(got, "-MOVED ") && !strings.HasPrefix(got, "-TRYAGAIN ") {
		t.Fatalf("EXEC after the leadership moved = %q, want MOVED or TRYAGAIN", got)
	}
	if got := string(rc.Do("EXEC")); got != "-ERR EXEC without MULTI\r\n" {
		t.Fatalf("second EXEC = %q: the transaction was not discarded", got)
	}
	if err := c.Get(ctx(), tag+"moved").Err(); err != redis.Nil {
		t.Fatalf("GET of the redirected transaction's key = %v, want nil", err)
	}
}

// checkKeyspace: FLUSHDB on every master empties the cluster; then, with
// keys on every shard and one expired key, DBSIZE summed over the
// masters counts the live keys, KEYS and SCAN (a small COUNT, so that
// cursors span shards) on each master return every live key exactly
// once in all, MATCH filters, and FLUSHDB again leaves none.
func checkKeyspace(t *testing.T, c *redis.ClusterClient, keys []string) {
	t.Helper()
	flushAll := func() {
		if err := c.ForEachMaster(ctx(), func(ctx context.Context, m *redis.Client) error { return m.FlushDB(ctx).Err() }); err != nil {
			t.Fatalf("FLUSHDB on every master: %v", err)
		}
	}
	flushAll()
	for _, k := range keys {
		if err := c.Set(ctx(), k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(ctx(), "expired", "v", time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	var mu sync.Mutex
	var size int64
	scanned, listed, matched := map[string]int{}, map[string]int{}, map[string]int{}
	err := c.ForEachMaster(ctx(), func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		all, err := m.Keys(ctx, "*").Result()
		if err != nil {
			return err
		}
		some, err := m.Keys(ctx, "key1*").Result()
		if err != nil {
			return err
		}
		var got []string
		for cursor := uint64(0); ; {
			page, next, err := m.Scan(ctx, cursor, "", 7).Result()
			if err != nil {
				return err
			}
			got, cursor = append(got, page...), next
			if cursor == 0 {
				break
			}
		}
		mu.Lock()
		defer mu.Unlock()
		size += n
		for _, k := range got {
			scanned[k]++
		}
		for _, k := range all {
			listed[k]++
		}
		for _, k := range some {
			matched[k]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("DBSIZE, KEYS and SCAN on every master: %v", err)
	}
	if size != int64(len(keys)) {
		t.Errorf("DBSIZE summed over the masters = %d, want %d", size, len(keys))
	}
	wantMatched := 0
	for _, k := range keys {
		if scanned[k] != 1 || listed[k] != 1 {
			t.Errorf("key %s: scanned %d times, listed by KEYS %d times; want once each", k, scanned[k], listed[k])
		}
		if strings.HasPrefix(k, "key1") {
			wantMatched++
			if matched[k] != 1 {
				t.Errorf("key %s: KEYS key1* returned it %d times", k, matched[k])
			}
		}
	}
	if len(scanned) != len(keys) || len(listed) != len(keys) || len(matched) != wantMatched {
		t.Errorf("SCAN returned %d keys, KEYS * %d, KEYS key1* %d; want %d, %d and %d", len(scanned), len(listed), len(matched), len(keys), len(keys), wantMatched)
	}
	flushAll()
	for _, k := range keys {
		if n, err := c.Exists(ctx(), k).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS %s after FLUSHDB on every master = %d, %v", k, n, err)
		}
	}
}

// leadAll moves the leadership of every shard to node i.
func (tc *testCluster) leadAll(i int) {
	tc.t.Helper()
	me := tc.layout.Nodes[i]
	for s := range tc.layout.Shards {
		for l := tc.waitLeader(s); l != i; l = tc.waitLeader(s) {
			tc.nodes[l].shard(s).raft.LeadershipTransferToServer(raft.ServerID(me.ID), raft.ServerAddress(me.Bus)).Error()
		}
	}
	tc.waitLeadersKnown()
}
