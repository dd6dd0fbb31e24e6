package cluster

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tempestdb/tempest"
)

// storedOn reports which nodes of tc hold a stored value (live or
// expired) of key in their databases, read directly, and fails the test
// on any other error than not found.
func (tc *testCluster) storedOn(key string) []int {
	tc.t.Helper()
	s := tc.layout.ShardOfSlot(KeySlot([]byte(key)))
	var on []int
	for _, i := range tc.layout.ShardNodes(s) {
		_, err := tc.nodes[i].db.Get(withSub(shardPrefix(s), subData, []byte(key)...))
		switch {
		case err == nil:
			on = append(on, i)
		case !errors.Is(err, tempest.ErrNotFound):
			tc.t.Fatalf("node %d: get %s: %v", i, key, err)
		}
	}
	return on
}

// TestClusterExpirySweep: keys set with a short PX on a 3-node cluster
// (3 shards, 3 replicas) leave every replica's database soon after they
// expire, through the shards' leaders' sweep entries; keys without
// expiry stay on every replica.
func TestClusterExpirySweep(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	c := tc.clusterClient()
	var expiring, kept []string
	for i := range 30 {
		k := fmt.Sprint("exp", i)
		if err := c.Set(ctx(), k, "v", 200*time.Millisecond).Err(); err != nil {
			t.Fatalf("SET %s PX 200: %v", k, err)
		}
		expiring = append(expiring, k)
	}
	for i := range 10 {
		k := fmt.Sprint("keep", i)
		if err := c.Set(ctx(), k, "v", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		kept = append(kept, k)
	}
	// Until every follower has applied the last SET, a kept key may be
	// missing on one: wait for both.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, missing := 0, 0
		for _, k := range expiring {
			left += len(tc.storedOn(k))
		}
		for _, k := range kept {
			missing += 3 - len(tc.storedOn(k))
		}
		if left == 0 && missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after SET PX 200: %d replicas of expired keys still stored, %d replicas of keys without expiry missing", left, missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, k := range kept {
		if v, err := c.Get(ctx(), k).Result(); err != nil || v != "v" {
			t.Fatalf("GET %s = %q, %v", k, v, err)
		}
	}
	var swept int64
	for _, n := range tc.nodes {
		swept += n.expired.Load()
	}
	if swept == 0 || swept > int64(len(expiring)) {
		t.Fatalf("the leaders' sweep entries deleted %d keys, want 1 to %d", swept, len(expiring))
	}
}
