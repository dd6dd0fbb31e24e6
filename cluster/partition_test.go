package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/hashicorp/raft"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/testutil"
)

// isolate cuts node i off from every other node (on node i's own bus
// Mux, which is enough: see raftmux), or heals it.
func (tc *testCluster) isolate(i int, on bool) {
	for j, nd := range tc.layout.Nodes {
		if j == i {
			continue
		}
		if on {
			tc.nodes[i].mux.Cut(nd.Bus)
		} else {
			tc.nodes[i].mux.Heal(nd.Bus)
		}
	}
}

// TestClusterPartition: the node leading shard 0 is cut off from the
// others (the cluster bus's fault switch) while ClusterClient workers
// run. The cut-off node acknowledges
// no write (a client talking to it directly gets none), the other two
// elect leaders and go on acknowledging writes; after healing, the
// history is linearizable and every replica catches up.
func TestClusterPartition(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	keys := keysPerShard(&tc.layout, 2)
	const workers = 4
	h, stopWorkers := startRegisterWorkers(tc, rng, keys, workers)
	time.Sleep(500 * time.Millisecond)
	victim := tc.waitLeader(0)
	id := tc.layout.Nodes[victim].ID
	t.Logf("cut node %s (leader of shard 0) off", id)
	tc.isolate(victim, true)

	// A client of the cut-off node alone: none of its writes is
	// acknowledged; they enter the history as of unknown outcome.
	direct := redis.NewClient(&redis.Options{Addr: tc.layout.Nodes[victim].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true, ReadTimeout: 10 * time.Second})
	defer direct.Close()
	h.mu.Lock()
	ackedBefore := len(h.acked)
	h.mu.Unlock()
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		k := keys[i%len(keys)]
		val := fmt.Sprint("minority-", i)
		call := h.now()
		err := direct.Set(ctx(), k, val, 0).Err()
		if err == nil {
			// Acknowledged within the lease before the node noticed
			// the cut only if it was still a quorum's leader: it was
			// not, the cut was already in place.
			t.Fatalf("the cut-off node acknowledged SET %s %s", k, val)
		}
		if !notApplied(err) {
			h.mu.Lock()
			h.ops = append(h.ops, porcupine.Operation{ClientId: workers + 1, Input: regInput{key: k, write: true, val: val}, Call: call, Return: 1 << 62})
			h.mu.Unlock()
		}
	}
	tc.waitMajorityLeaders(victim)
	time.Sleep(500 * time.Millisecond)
	h.mu.Lock()
	during := len(h.acked) - ackedBefore
	h.mu.Unlock()
	if during == 0 {
		t.Fatal("the majority acknowledged no write while the node was cut off")
	}
	t.Logf("heal; %d writes acknowledged meanwhile", during)
	tc.isolate(victim, false)
	tc.waitLeaders()
	time.Sleep(500 * time.Millisecond)
	stopWorkers()

	c := tc.clusterClient()
	for _, k := range keys {
		h.do(c, workers, regInput{key: k})
	}
	t.Logf("%d operations (%d writes acknowledged, %d of unknown outcome, %d failed)", len(h.ops), len(h.acked), h.unknown, h.failed)
	res, info := porcupine.CheckOperationsVerbose(registerModel, h.ops, 30*time.Second)
	if res != porcupine.Ok {
		dumpHistory(t, info)
		t.Fatalf("history is %v", res)
	}
	tc.waitCaughtUp()
}

// waitMajorityLeaders waits until every shard has a leader other than
// node cut.
func (tc *testCluster) waitMajorityLeaders(cut int) {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for s := range tc.layout.Shards {
			led := false
			for i, n := range tc.nodes {
				if i != cut && n.shard(s).running() && n.shard(s).raft.State() == raft.Leader {
					led = true
				}
			}
			ok = ok && led
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.t.Fatal("the majority has no leader for every shard after 20s")
}
