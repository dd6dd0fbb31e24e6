//go:build unix

package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/internal/testutil"
)

// procCluster is a cluster of child processes (TestMain's child mode).
type procCluster struct {
	t      *testing.T
	layout Layout
	dirs   []string
	procs  []*exec.Cmd
}

func (pc *procCluster) start(i int, first bool) {
	pc.t.Helper()
	cc := childConfig{Dir: pc.dirs[i]}
	if first {
		cc.NodeID, cc.Layout = pc.layout.Nodes[i].ID, &pc.layout
	}
	b, _ := json.Marshal(cc)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	out, err := cmd.StdoutPipe()
	if err != nil {
		pc.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	pc.procs[i] = cmd
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		for {
			if _, err := out.Read(make([]byte, 512)); err != nil {
				return
			}
		}
	}()
	select {
	case l := <-line:
		if l != "ready\n" {
			pc.t.Fatalf("node %d: %q", i, l)
		}
	case <-time.After(30 * time.Second):
		pc.t.Fatalf("node %d not ready after 30s", i)
	}
}

func (pc *procCluster) kill(i int) {
	if p := pc.procs[i]; p != nil {
		p.Process.Kill() // SIGKILL
		p.Wait()
		pc.procs[i] = nil
	}
}

// leaderID asks node i which node leads the shard holding slot; "" if
// unknown or unreachable.
func (pc *procCluster) leaderID(i, slot int) string {
	rc := redis.NewClient(&redis.Options{Addr: pc.layout.Nodes[i].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	slots, err := rc.ClusterSlots(ctx()).Result()
	if err != nil {
		return ""
	}
	for _, s := range slots {
		if s.Start <= slot && slot <= s.End && len(s.Nodes) > 0 {
			info, _ := rc.ClusterInfo(ctx()).Result()
			if strings.Contains(info, "cluster_state:ok") {
				return s.Nodes[0].ID
			}
		}
	}
	return ""
}

// TestClusterProcessKill: three node processes (3 shards, 3 replicas);
// go-redis ClusterClient workers write and read while the test SIGKILLs
// the process leading shard 0, waits for a new leader, and restarts the
// process from its directory alone; then the same for shard 1. The history is linearizable (no
// acknowledged write lost) and the restarted node catches up: its stale
// reads (READONLY) come to match the final values.
func TestClusterProcessKill(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	pc := &procCluster{t: t, layout: Layout{Shards: 3, Replicas: 3}}
	root := t.TempDir()
	for i := range 3 {
		pc.layout.Nodes = append(pc.layout.Nodes, NodeInfo{
			ID:   fmt.Sprint("p", i+1),
			Addr: fmt.Sprint("127.0.0.1:", redistest.FreePort(t)),
			Bus:  fmt.Sprint("127.0.0.1:", redistest.FreePort(t)),
		})
		pc.dirs = append(pc.dirs, filepath.Join(root, fmt.Sprint("p", i+1)))
	}
	pc.procs = make([]*exec.Cmd, 3)
	t.Cleanup(func() {
		for i := range pc.procs {
			pc.kill(i)
		}
	})
	for i := range 3 {
		pc.start(i, true)
	}
	// waitLeader asks node asker for the leader of shard s, other than
	// node not.
	waitLeader := func(asker, s int, not string) string {
		slot, _ := pc.layout.SlotRange(s)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if id := pc.leaderID(asker, slot); id != "" && id != not {
				return id
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no leader of shard %d (other than %q) after 20s", s, not)
		return ""
	}
	waitLeader(0, 0, "")

	tc := &testCluster{t: t, layout: pc.layout}
	keys := keysPerShard(&pc.layout, 2)
	const workers = 4
	h, stopWorkers := startRegisterWorkers(tc, rng, keys, workers)
	// Kill the leader of shard 0, then that of shard 1 (which may be the
	// same node), each restarted from its directory.
	var killed []int
	for s := range 2 {
		time.Sleep(700 * time.Millisecond)
		leader := waitLeader(2, s, "")
		i := pc.layout.NodeIndex(leader)
		t.Logf("SIGKILL node %s, leader of shard %d", leader, s)
		pc.kill(i)
		t.Logf("new leader of shard %d: %s", s, waitLeader((i+1)%3, s, leader))
		time.Sleep(700 * time.Millisecond)
		t.Logf("restart node %s from its directory", leader)
		pc.start(i, false)
		killed = append(killed, i)
	}
	time.Sleep(700 * time.Millisecond)
	stopWorkers()

	c := tc.clusterClient()
	final := map[string]string{}
	for _, k := range keys {
		before := len(h.ops)
		h.do(c, workers, regInput{key: k})
		if len(h.ops) == before {
			t.Fatalf("final GET %s failed", k)
		}
		final[k] = h.ops[len(h.ops)-1].Output.(string)
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
	// The restarted nodes' own replicas catch up.
	deadline := time.Now().Add(20 * time.Second)
	for _, i := range killed {
		pc.waitReadOnly(i, keys, final, deadline)
	}
}

// waitReadOnly waits until node i's own replicas (READONLY reads) hold
// the final values.
func (pc *procCluster) waitReadOnly(i int, keys []string, final map[string]string, deadline time.Time) {
	t := pc.t
	rc := redis.NewClient(&redis.Options{Addr: pc.layout.Nodes[i].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer rc.Close()
	if err := rc.ReadOnly(ctx()).Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		for {
			got, err := rc.Get(ctx(), k).Result()
			if err == redis.Nil {
				got, err = "", nil
			}
			if err == nil && got == final[k] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("restarted node %d: GET %s = %q, %v; the cluster says %q", i, k, got, err, final[k])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
