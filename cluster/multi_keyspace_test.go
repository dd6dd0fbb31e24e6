package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/internal/resp"
)

// briefReply renders a reply for comparison: null as "nil", an array as
// its elements in brackets (sorted if sorted: KEYS and SCAN list keys in
// shard order, redis-server in its own), anything else as its text.
func briefReply(v resp.Value, sorted bool) string {
	switch {
	case v.Null:
		return "nil"
	case v.Kind != '*':
		return v.Str
	}
	elems := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		elems[i] = briefReply(e, true)
	}
	if sorted {
		slices.Sort(elems)
	}
	return "[" + strings.Join(elems, " ") + "]"
}

// appliedOn returns the applied index of each shard on node i.
func (tc *testCluster) appliedOn(i int) []uint64 {
	out := make([]uint64, tc.layout.Shards)
	for s := range out {
		out[s] = tc.nodes[i].shard(s).fsm.applied.Load()
	}
	return out
}

// checkKeyspaceInMulti, with node 0 leading every shard and keys on
// each: SCAN, KEYS, DBSIZE and FLUSHDB inside MULTI run over every led
// shard, in their places in EXEC's reply. A read queued before the
// transaction's first key command sees none of it; one queued after a
// key command sees all of it (the documented difference from
// redis-server: the DBSIZE between FLUSHDB and SET counts the later
// SET). FLUSHDB is one entry per shard; a WATCH abort flushes no shard;
// a transaction without keys runs in order.
func checkKeyspaceInMulti(t *testing.T, tc *testCluster, c *redis.ClusterClient, keys []string) {
	t.Helper()
	tc.leadAll(0)
	tag := tagPerShard(&tc.layout)[0]
	rc := redistest.Dial(t, tc.layout.Nodes[0].Addr)
	exec := func(want string, cmds ...[]string) {
		t.Helper()
		rc.Do("MULTI")
		for _, args := range cmds {
			if got := string(rc.Do(args...)); got != "+QUEUED\r\n" {
				t.Fatalf("%q inside MULTI = %q", args, got)
			}
		}
		v, _, err := resp.Parse(rc.Do("EXEC"))
		if got := briefReply(v, false); err != nil || got != want {
			t.Errorf("MULTI %q EXEC =\n %s, %v; want\n %s", cmds, got, err, want)
		}
	}
	setAll := func() {
		for _, k := range keys {
			if err := c.Set(ctx(), k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	rc.Do("AUTH", clusterPassword)
	setAll()
	sorted := slices.Sorted(slices.Values(keys))
	all, n := "["+strings.Join(sorted, " ")+"]", len(keys)
	exec(fmt.Sprintf("[%d %s [0 %s] OK OK 1 OK 1 [%sb]]", n, all, all, tag),
		[]string{"DBSIZE"}, []string{"KEYS", "*"}, []string{"SCAN", "0", "COUNT", "1000"},
		[]string{"SET", tag + "a", "1"}, []string{"FLUSHDB"}, []string{"DBSIZE"}, []string{"SET", tag + "b", "2"},
		[]string{"DBSIZE"}, []string{"KEYS", "*"})
	if got := string(rc.Do("DBSIZE")); got != ":1\r\n" {
		t.Errorf("DBSIZE after the transaction = %q, want 1 (%sb)", got, tag)
	}

	setAll()
	before := tc.appliedOn(0)
	if got := string(rc.Do("FLUSHDB")); got != "+OK\r\n" {
		t.Fatalf("FLUSHDB = %q", got)
	}
	for s, a := range tc.appliedOn(0) {
		if a != before[s]+1 {
			t.Errorf("shard %d: FLUSHDB took it from index %d to %d, want one entry", s, before[s], a)
		}
	}

	setAll()
	rc.Do("SET", tag+"b", "1")
	rc.Do("WATCH", tag+"b")
	c.Set(ctx(), tag+"b", "3", 0)
	exec("nil", []string{"FLUSHDB"}, []string{"DBSIZE"})
	if got, want := string(rc.Do("DBSIZE")), fmt.Sprintf(":%d\r\n", n+1); got != want {
		t.Errorf("DBSIZE after a FLUSHDB that WATCH aborted = %q, want %q", got, want)
	}
	exec("[OK 0]", []string{"FLUSHDB"}, []string{"DBSIZE"})
}
