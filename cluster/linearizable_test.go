package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/testutil"
)

// regInput is one operation on one key of the register model.
type regInput struct {
	key   string
	write bool
	val   string
}

// registerModel is a map of registers, one partition per key; an absent
// key reads as "".
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		m := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regInput).key
			if _, ok := m[k]; !ok {
				keys = append(keys, k)
			}
			m[k] = append(m[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, m[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regInput)
		if in.write {
			return true, in.val
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.write {
			return fmt.Sprintf("set %s %s", in.key, in.val)
		}
		return fmt.Sprintf("get %s -> %q", in.key, output)
	},
}

// history records operations with times from one clock.
type history struct {
	start           time.Time
	mu              sync.Mutex
	ops             []porcupine.Operation
	acked           map[string]bool // values of acknowledged writes
	unknown, failed int
}

func (h *history) now() int64 { return time.Since(h.start).Nanoseconds() }

// do runs one operation through c and records it: a write whose outcome
// is unknown stays pending to the end of time (it may take effect at any
// later moment, or never); a write refused with a redirect error and a
// failed read are left out.
func (h *history) do(c *redis.ClusterClient, client int, in regInput) {
	call := h.now()
	var out string
	var err error
	if in.write {
		err = c.Set(ctx(), in.key, in.val, 0).Err()
	} else {
		out, err = c.Get(ctx(), in.key).Result()
		if errors.Is(err, redis.Nil) {
			out, err = "", nil
		}
	}
	ret := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		if in.write {
			h.acked[in.key+"="+in.val] = true
		}
	case in.write && !notApplied(err):
		ret = math.MaxInt64
		h.unknown++
	default:
		h.failed++
		return
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// startRegisterWorkers starts workers go-redis ClusterClient workers,
// each with a seed drawn from rng, that write (half the time) and read
// keys of keys until the returned stop is called; stop waits for them.
// Every operation is recorded in the history it returns.
func startRegisterWorkers(tc *testCluster, rng *rand.Rand, keys []string, workers int) (h *history, stop func()) {
	h = &history{start: time.Now(), acked: map[string]bool{}}
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		seed := rng.Uint64()
		wg.Go(func() {
			r := testutil.NewRand(seed)
			c := tc.clusterClient()
			for i := 0; !stopped.Load(); i++ {
				k := keys[r.IntN(len(keys))]
				if r.IntN(2) == 0 {
					h.do(c, w, regInput{key: k, write: true, val: fmt.Sprintf("w%d-%d", w, i)})
				} else {
					h.do(c, w, regInput{key: k})
				}
			}
		})
	}
	return h, func() {
		stopped.Store(true)
		wg.Wait()
	}
}

// TestClusterLinearizable: go-redis ClusterClient workers write and read
// a few keys of every shard on a 3-node cluster (3 shards, 3 replicas)
// while the test stops the leader replica of one shard and restarts its
// node, then closes the node leading another shard and restarts it (each
// restart from the node's directory alone). The
// history (with a final read of every key) is linearizable, which also
// says that no acknowledged write was lost; the restarted nodes catch up
// to the same applied index and the same data as the leaders.
func TestClusterLinearizable(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	keys := keysPerShard(&tc.layout, 2)
	const workers = 4
	h, stopWorkers := startRegisterWorkers(tc, rng, keys, workers)
	phase := func(what string) {
		time.Sleep(700 * time.Millisecond)
		t.Log(what)
	}

	phase("stop the leader replica of shard 0")
	first := tc.waitLeader(0)
	if err := tc.nodes[first].StopShard(0); err != nil {
		t.Fatal(err)
	}
	tc.waitLeaders()
	phase("restart that node from its directory")
	tc.stop(first)
	tc.start(first, false)
	tc.waitLeaders()
	phase("close the node leading shard 1")
	second := tc.waitLeader(1)
	tc.stop(second)
	tc.waitLeaders()
	phase("restart it from its directory")
	tc.start(second, false)
	tc.waitLeaders()
	phase("stop the workers")
	stopWorkers()

	c := tc.clusterClient()
	for _, k := range keys {
		h.do(c, workers, regInput{key: k})
	}
	t.Logf("%d operations (%d writes acknowledged, %d of unknown outcome, %d failed)", len(h.ops), len(h.acked), h.unknown, h.failed)
	if len(h.acked) < 20 {
		t.Fatalf("only %d acknowledged writes: the cluster hardly served", len(h.acked))
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, h.ops, 30*time.Second)
	if res != porcupine.Ok {
		dumpHistory(t, info)
		t.Fatalf("history is %v", res)
	}
	tc.waitCaughtUp()
}

// keysPerShard returns n keys of each shard.
func keysPerShard(l *Layout, n int) []string {
	var keys []string
	count := make([]int, l.Shards)
	for i := 0; len(keys) < n*l.Shards; i++ {
		k := fmt.Sprint("key", i)
		s := l.ShardOfSlot(KeySlot([]byte(k)))
		if count[s] < n {
			count[s]++
			keys = append(keys, k)
		}
	}
	return keys
}

// waitCaughtUp waits until every replica of every shard has applied what
// the leader applied and holds the same data.
func (tc *testCluster) waitCaughtUp() {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s := range tc.layout.Shards {
		for {
			err := tc.replicasAgree(s)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				tc.t.Fatalf("shard %d: %v", s, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (tc *testCluster) replicasAgree(s int) error {
	l := tc.leader(s)
	if l < 0 {
		return fmt.Errorf("no leader")
	}
	want, err := shardData(tc.nodes[l], s)
	if err != nil {
		return err
	}
	for _, i := range tc.layout.ShardNodes(s) {
		n := tc.nodes[i]
		if n.shard(s).fsm.applied.Load() < tc.nodes[l].shard(s).fsm.applied.Load() {
			return fmt.Errorf("node %s applied %d < leader's %d", n.id, n.shard(s).fsm.applied.Load(), tc.nodes[l].shard(s).fsm.applied.Load())
		}
		got, err := shardData(n, s)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("node %s holds other data than the leader %s", n.id, tc.nodes[l].id)
		}
	}
	return nil
}

// shardData is the shard's data range on node n, as one byte string.
func shardData(n *Node, s int) ([]byte, error) { return shardDataDB(n.db, s) }

func dumpHistory(t *testing.T, info porcupine.LinearizationInfo) {
	f := t.TempDir() + "/history.html"
	if err := porcupine.VisualizePath(registerModel, info, f); err == nil {
		t.Logf("history visualized in %s", f)
	}
}
