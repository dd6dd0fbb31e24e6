package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// TestClusterCommands drives the commands decided in the state machine
// (MSETNX, GETRANGE, EXPIREAT, PEXPIREAT, EXPIRE's NX/XX/GT/LT), MULTI/
// EXEC/WATCH, and SCAN/KEYS/DBSIZE/FLUSHDB on 3 nodes, 3 shards, 3
// replicas through go-redis's ClusterClient, each shard in turn; then
// every replica must hold its leader's data.
func TestClusterCommands(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	c := tc.clusterClient()
	tags := tagPerShard(&tc.layout)
	t.Run("StateMachine", func(t *testing.T) {
		for _, tag := range tags {
			checkStateMachineCommands(t, c, tag)
		}
		if err := c.MSetNX(ctx(), "a", "1", "b", "2").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Errorf("MSETNX a b = %v, want CROSSSLOT", err)
		}
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
