// Package rafttest holds what the tests of raft-based packages share: a
// small deterministic FSM, a fast raft configuration, and waits.
package rafttest

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// FSM folds every distinct command it applies into a count and a hash
// chain, so two FSMs that applied the same commands in the same order
// compare equal. A command applied again is ignored (every replica
// ignores it alike), which makes ApplyAll's retries safe: the count is
// the number of distinct commands committed.
type FSM struct {
	mu    sync.Mutex
	state FSMState
	seen  map[string]bool // guarded by mu; not part of snapshots
}

// FSMState is what an FSM has applied.
type FSMState struct {
	Count uint64 // commands applied
	Hash  uint64 // FNV-1a over the previous hash and each command
	Index uint64 // the raft index of the last entry applied
}

// Apply implements raft.FSM; it returns the new count.
func (f *FSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state.Index = l.Index
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	if f.seen[string(l.Data)] {
		return f.state.Count
	}
	f.seen[string(l.Data)] = true
	h := fnv.New64a()
	h.Write(binary.BigEndian.AppendUint64(nil, f.state.Hash))
	h.Write(l.Data)
	f.state.Count++
	f.state.Hash = h.Sum64()
	return f.state.Count
}

// State returns what f has applied.
func (f *FSM) State() FSMState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// Snapshot implements raft.FSM.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) { return snapshot{f.State()}, nil }

// Restore implements raft.FSM.
func (f *FSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	var b [24]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = FSMState{binary.BigEndian.Uint64(b[:]), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])}
	return nil
}

type snapshot struct{ s FSMState }

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	b := binary.BigEndian.AppendUint64(nil, s.s.Count)
	b = binary.BigEndian.AppendUint64(b, s.s.Hash)
	b = binary.BigEndian.AppendUint64(b, s.s.Index)
	if _, err := sink.Write(b); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (snapshot) Release() {}

// Config returns a raft configuration for node id with timeouts short
// enough for tests on a loaded machine, and a logger that prints only
// errors.
func Config(id string) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(id)
	c.HeartbeatTimeout = 500 * time.Millisecond
	c.ElectionTimeout = 500 * time.Millisecond
	c.LeaderLeaseTimeout = 250 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.Logger = hclog.New(&hclog.LoggerOptions{Name: id, Level: hclog.Error})
	return c
}

// WaitLeader waits up to timeout for one of nodes to be a leader that
// has committed an entry of its term (a barrier), so that it is not
// deposed at once by a rival of the same election, and returns it; it
// fails the test otherwise.
func WaitLeader(t testing.TB, timeout time.Duration, nodes ...*raft.Raft) *raft.Raft {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if n != nil && n.State() == raft.Leader && n.Barrier(time.Second).Error() == nil {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no leader elected within %v", timeout)
	return nil
}

// WaitFor polls cond every 10 ms for up to timeout; it fails the test
// with what if cond never holds.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ApplyAll applies n commands named prefix-i through the leader of
// nodes, all in flight at once, and waits for each. A command that fails
// because leadership moved is applied again through the next leader
// (FSM ignores a command it has applied). Any other error fails the test.
func ApplyAll(t testing.TB, nodes []*raft.Raft, prefix string, n int) {
	t.Helper()
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	for round := 0; len(pending) > 0; round++ {
		if round == 10 {
			t.Fatalf("%d commands of %s not applied after %d leader changes", len(pending), prefix, round)
		}
		leader := WaitLeader(t, 20*time.Second, nodes...)
		futures := make([]raft.ApplyFuture, len(pending))
		for j, i := range pending {
			futures[j] = leader.Apply([]byte(prefix+"-"+strconv.Itoa(i)), 5*time.Second)
		}
		var again []int
		for j, f := range futures {
			switch err := f.Error(); {
			case err == nil:
			case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
				errors.Is(err, raft.ErrEnqueueTimeout), errors.Is(err, raft.ErrLeadershipTransferInProgress):
				again = append(again, pending[j])
			default:
				t.Fatalf("apply %s-%d: %v", prefix, pending[j], err)
			}
		}
		pending = again
	}
}
