package cluster

import (
	"errors"
	"time"

	"github.com/hashicorp/raft"
)

// errReadTimeout: the applied index did not catch up in time (leadership
// was probably lost meanwhile).
var errReadTimeout = errors.New("cluster: read timed out waiting for the shard to apply")

// linearize returns once a read of the shard's local state is
// linearizable: it reflects every write acknowledged before the call.
//
// hashicorp/raft v1.7.2 has no read index, and its leader lease is not a
// read lease (a deposed leader may still believe it leads), so:
//
//  1. VerifyLeader: a quorum still follows this node's term, at a moment
//     after the call began. So no other leader committed anything in a
//     newer term before that moment, and by leader completeness every
//     entry committed before the call is in this node's log.
//  2. target = LastIndex(), read after step 1: it is at or above every
//     such entry. (CommitIndex() is not enough: a new leader's commit
//     index lags the entries an earlier leader committed until its own
//     no-op entry commits.)
//  3. Wait until the FSM has applied every command entry at or below
//     target. Entries that are not commands (the leader's no-op,
//     configuration changes) never reach the FSM and change no data, so
//     the wait is for the newest command at or below target, found by
//     walking the log down from target to the applied index (usually one
//     step). If leadership is lost meanwhile that entry may never
//     commit; the wait then times out and the read fails with TRYAGAIN.
//
// The FSM only applies committed entries, so the read sees no write that
// could be rolled back.
func (sh *shard) linearize(timeout time.Duration) error {
	if err := sh.await(sh.raft.VerifyLeader(), timeout); err != nil {
		return err
	}
	target := sh.raft.LastIndex()
	applied := sh.fsm.applied.Load()
	for idx := target; idx > applied; idx-- {
		var l raft.Log
		if err := sh.logs.GetLog(idx, &l); err != nil {
			if errors.Is(err, raft.ErrLogNotFound) {
				continue // compacted: at or below a snapshot, so applied
			}
			return err
		}
		if l.Type != raft.LogCommand {
			continue
		}
		select {
		case <-sh.fsm.appliedCh(idx):
			return nil
		case <-time.After(timeout):
			return errReadTimeout
		case <-sh.stopped:
			return raft.ErrRaftShutdown
		}
	}
	return nil
}

// errAwaitTimeout: a raft future did not resolve in time.
var errAwaitTimeout = errors.New("cluster: raft did not answer in time")

// await waits for a raft future, but no longer than timeout, and not
// past the replica's stop or the node's: a future raft never resolves
// (it happened at shutdown) must not hold a client, nor the node's
// Close, forever. The goroutine left behind ends when the future
// resolves.
func (sh *shard) await(f raft.Future, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-sh.stopped:
		return raft.ErrRaftShutdown
	case <-sh.nodeStop:
		return raft.ErrRaftShutdown
	case <-time.After(timeout):
		return errAwaitTimeout
	}
}
