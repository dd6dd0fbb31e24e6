package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sixEnv turns on TestClusterSixNodes; benchEnv sets the requests of
// each redis-benchmark run in it.
const (
	sixEnv   = "TEMPEST_CLUSTER_SIX"
	benchEnv = "TEMPEST_CLUSTER_BENCH_REQUESTS"
)

// TestClusterSixNodes (TEMPEST_CLUSTER_SIX=1): a 6-node cluster with 6
// shards and 3 replicas. Keys written through ClusterClient spread so
// that each node holds about half of them (3 of the 6 shards); every
// replica catches up. Then, if redis-benchmark is installed, it runs
// with --cluster against this cluster and against a 3-node one (3
// shards, 3 replicas) and both runs are logged side by side.
func TestClusterSixNodes(t *testing.T) {
	if os.Getenv(sixEnv) == "" {
		t.Skipf("the 6-node cluster runs with %s=1", sixEnv)
	}
	// hashicorp/raft's default timeouts: the short ones of the other
	// tests let a loaded machine call elections, and redis-benchmark
	// gives up when a shard's leader moves to a node that led nothing
	// when it started.
	six := newTestClusterRaft(t, 6, 6, 3, nil)
	six.waitLeaders()
	const keys = 3000
	c := six.clusterClient()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < keys; k += 8 {
				if err := c.Set(ctx(), fmt.Sprint("key", k), k, 0).Err(); err != nil {
					errs <- fmt.Errorf("SET key%d: %w", k, err)
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
	six.waitCaughtUp()
	for i, n := range six.nodes {
		held := 0
		for _, s := range six.layout.NodeShards(i) {
			count, err := shardKeys(n, s)
			if err != nil {
				t.Fatal(err)
			}
			held += count
		}
		frac := float64(held) / keys
		t.Logf("node %s holds %d of %d keys (%.2f)", n.id, held, keys, frac)
		if frac < 0.4 || frac > 0.6 {
			t.Errorf("node %s holds %.2f of the keys, want about half", n.id, frac)
		}
	}

	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Log("redis-benchmark not installed: no throughput run")
		return
	}
	requests := 2000
	if v := os.Getenv(benchEnv); v != "" {
		if requests, err = strconv.Atoi(v); err != nil {
			t.Fatalf("%s=%q: %v", benchEnv, v, err)
		}
	}
	three := newTestClusterRaft(t, 3, 3, 3, nil)
	three.waitLeaders()
	for _, tc := range []*testCluster{three, six} {
		// redis-benchmark --cluster learns the masters once: a leadership
		// that moves to a node that led nothing at its start fails it.
		tc.waitPreferredLeaders("before redis-benchmark")
		_, port := hostPort(tc.layout.Nodes[0].Addr)
		args := []string{"--cluster", "-h", "127.0.0.1", "-p", strconv.FormatInt(port, 10),
			"-t", "set,get", "-n", strconv.Itoa(requests), "-c", "8", "-q"}
		start := time.Now()
		out, err := exec.Command(bench, args...).CombinedOutput()
		text := string(out)
		if err != nil || !strings.Contains(text, "SET:") || !strings.Contains(text, "GET:") {
			t.Fatalf("redis-benchmark %q: %v\n%s", args, err, text)
		}
		// redis-benchmark refetches the slots after each MOVED (a
		// leadership change under load): count those lines.
		var kept []string
		refetches := 0
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "slots configuration changed") {
				refetches++
			} else {
				kept = append(kept, line)
			}
		}
		t.Logf("%d nodes, %d shards, redis-benchmark %q (%v, %d slot refetches):\n%s", len(tc.nodes), tc.layout.Shards, args,
			time.Since(start).Round(time.Millisecond), refetches, strings.Join(kept, "\n"))
	}
}

// shardKeys counts the keys of shard s on node n.
func shardKeys(n *Node, s int) (int, error) {
	p := shardPrefix(s)
	count := 0
	for _, err := range n.db.All(withSub(p, subData), withSub(p, subData+1)) {
		if err != nil {
			return 0, err
		}
		count++
	}
	return count, nil
}
