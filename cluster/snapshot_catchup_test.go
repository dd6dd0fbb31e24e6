package cluster

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// TestClusterSnapshotCatchUp: a follower that is down while the leader
// writes hundreds of entries, snapshots and compacts its log past the
// follower's last entry, catches up through a snapshot install when it
// restarts (its FSM restores a snapshot: the entries it lacks are no
// longer in any log), and ends with the leader's applied index and data;
// writes after the install apply on it too. The nodes' exports are cut
// into 16 KiB files, so the snapshot streams several.
func TestClusterSnapshotCatchUp(t *testing.T) {
	db := &tempest.Options{MemTableSize: 4 << 20, TargetFileSize: 16 << 10}
	tc := newTestClusterWith(t, 3, 1, 3, testRaft, db)
	ids := []string{"n1", "n2", "n3"}
	tc.waitLeaders()
	c := tc.clusterClient()
	// set retries a SET whose outcome is unknown because the shard's
	// leadership moved while it committed (on a loaded machine an
	// election can come at any time): the same SET again is idempotent.
	set := func(k, v string) error {
		for try := 0; ; try++ {
			err := c.Set(ctx(), k, v, 0).Err()
			if err == nil || try == 20 || !strings.Contains(err.Error(), "write outcome unknown") {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	write := func(round string, keys int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, keys)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < keys; i += 8 {
					k := fmt.Sprintf("k%04d", i)
					if err := set(k, round+strings.Repeat("v", 200)); err != nil {
						errs <- fmt.Errorf("SET %s: %w", k, err)
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
	}
	write("a", 50)
	tc.waitMembers(0, ids...)

	f := (tc.waitLeader(0) + 1) % 3 // a follower
	behind := tc.nodes[f].shard(0).raft.LastIndex()
	tc.stop(f)
	// Write until the logs of both other nodes (either may lead when the
	// follower is back) start past the follower's last entry (a snapshot
	// every 64 entries, 32 kept).
	deadline := time.Now().Add(30 * time.Second)
	for round := 0; ; round++ {
		write(fmt.Sprint("b", round), 300)
		first := uint64(1<<64 - 1)
		for i, n := range tc.nodes {
			if i != f {
				fi, err := n.shard(0).logs.FirstIndex()
				if err != nil {
					t.Fatal(err)
				}
				first = min(first, fi)
			}
		}
		if first > behind+1 {
			t.Logf("the other nodes' logs start at %d or later; the follower's ends at %d", first, behind)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a log still starts at %d, the follower's ends at %d", first, behind)
		}
	}

	tc.start(f, false)
	tc.waitMembers(0, ids...)
	if n := tc.nodes[f].shard(0).fsm.restores.Load(); n == 0 {
		t.Fatal("the follower caught up without restoring a snapshot")
	}
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(tc.dirs[f], "snapshots", "shard-0"), 2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	metas, err := snaps.List()
	if err != nil || len(metas) == 0 {
		t.Fatalf("the follower stores no snapshot: %v", err)
	}
	_, rc, err := snaps.Open(metas[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if files := streamFiles(t, stream); len(files) < 2 {
		t.Fatalf("the installed snapshot streams %d files, want several", len(files))
	}
	write("c", 60)
	tc.waitMembers(0, ids...)
	names, err := os.ReadDir(filepath.Join(tc.dirs[f], "tmp", "shard-0"))
	if err != nil && !os.IsNotExist(err) || len(names) != 0 {
		t.Fatalf("the follower's scratch directory holds %d entries (%v)", len(names), err)
	}
}
