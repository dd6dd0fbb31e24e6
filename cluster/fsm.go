package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// getter reads the database or a snapshot of it.
type getter interface {
	Get(key []byte) ([]byte, error)
}

// shardFSM is one shard's raft state machine over the node's database.
//
// Invariant: the shard's applied index (the key prefix+'a') is written in
// the same batch as the data of the entry it names, so the data and the
// index never disagree, whatever a crash leaves. A restarted node runs
// raft with NoSnapshotRestoreOnStart and replays the log entries above
// the last snapshot; Apply skips those at or below the applied index, so
// no entry is applied twice.
type shardFSM struct {
	db     *tempest.DB
	prefix []byte
	// scratch is a directory of the shard's own for the files of
	// snapshots being persisted or restored (under the node's tmp
	// directory, which Open empties).
	scratch string
	// restores counts the snapshots restored since the FSM opened.
	restores atomic.Uint64

	applied atomic.Uint64 // the applied index, as stored
	// lastNow is the clock of the newest applied entry (Unix ms), stored
	// beside the applied index. An entry's clock is raised to it, so the
	// shard's clock never goes back when leadership moves to a node whose
	// clock is behind: an expired key stays expired.
	lastNow atomic.Int64

	mu      sync.Mutex
	waiters []applyWaiter // guarded by mu
	broken  atomic.Pointer[error]
}

// applyWaiter is a read waiting for the applied index to reach index.
type applyWaiter struct {
	index uint64
	ch    chan struct{}
}

func openFSM(db *tempest.DB, prefix []byte, scratch string) (*shardFSM, error) {
	f := &shardFSM{db: db, prefix: prefix, scratch: scratch}
	if err := f.loadApplied(); err != nil {
		return nil, err
	}
	return f, nil
}

// loadApplied reads the stored applied index and clock into f.
func (f *shardFSM) loadApplied() error {
	idx, now, err := readApplied(f.db, f.prefix)
	if err != nil {
		return err
	}
	f.lastNow.Store(now)
	f.setApplied(idx)
	return nil
}

// readApplied returns the applied index and clock stored under prefix:
// zero if none.
func readApplied(g getter, prefix []byte) (index uint64, now int64, err error) {
	v, err := g.Get(withSub(prefix, subApplied))
	switch {
	case errors.Is(err, tempest.ErrNotFound):
		return 0, 0, nil
	case err != nil:
		return 0, 0, err
	}
	return decodeApplied(v)
}

// decodeApplied decodes an applied record (appliedRecord).
func decodeApplied(v []byte) (index uint64, now int64, err error) {
	if len(v) != 16 {
		return 0, 0, fmt.Errorf("%w: cluster: applied record of %d bytes", tempest.ErrCorruption, len(v))
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:])), nil
}

// restoring reports whether a restore of an earlier version (which
// replaced the data in several batches under a marker) was cut short: the
// shard's data is then partial and must be restored again.
func (f *shardFSM) restoring() (bool, error) {
	_, err := f.db.Get(withSub(f.prefix, subRestoring))
	if errors.Is(err, tempest.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Apply executes one committed entry (raft.FSM) and returns its
// applyResult.
func (f *shardFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	if l.Index <= f.applied.Load() {
		return failedResult("ERR entry applied before restart")
	}
	if errp := f.broken.Load(); errp != nil {
		return failedResult("CLUSTERDOWN shard failed: " + (*errp).Error())
	}
	res, err := f.apply(l)
	if err != nil {
		// The database failed, or the entry is damaged: this replica
		// stops applying (fail-stop) rather than diverge; reads and
		// writes get CLUSTERDOWN.
		f.broken.Store(&err)
		return failedResult("CLUSTERDOWN shard failed: " + err.Error())
	}
	f.setApplied(l.Index)
	return res
}

// apply runs the entry's command over the shard's keys (an indexed
// batch: each command reads what the previous ones of the entry wrote)
// and commits its writes, the deletes it records and the applied index
// in one synced batch. A command that fails in the engine with
// ErrInvalidArgument (a key or value over a limit: every replica fails
// alike) writes nothing but the applied index; any other engine error
// fails the replica.
func (f *shardFSM) apply(l *raft.Log) (applyResult, error) {
	now, argv, err := decodeEntry(l.Data)
	if err != nil {
		return applyResult{}, err
	}
	now = max(now, f.lastNow.Load())
	b := f.db.NewIndexedBatch()
	tx := &rediscmd.Txn{R: b, B: b, Prefix: withSub(f.prefix, subData), Now: now, Version: l.Index}
	res, err := f.run(tx, argv)
	if err != nil {
		return applyResult{}, err
	}
	switch {
	case tx.Failed && !errors.Is(tx.Err, tempest.ErrInvalidArgument):
		return applyResult{}, tx.Err
	case tx.Failed:
		b = f.db.NewBatch()
		res = failedResult(tx.FailMsg)
	default:
		if err := f.recordDeletes(b, tx, l.Index); err != nil {
			return applyResult{}, err
		}
	}
	if err := b.Set(withSub(f.prefix, subApplied), appliedRecord(l.Index, now)); err != nil {
		return applyResult{}, err
	}
	if _, err := f.db.Apply(b, tempest.Sync); err != nil {
		return applyResult{}, err
	}
	f.lastNow.Store(now)
	return res, nil
}

// setApplied publishes a new applied index and wakes the reads it lets
// through.
func (f *shardFSM) setApplied(idx uint64) {
	f.applied.Store(idx)
	f.mu.Lock()
	defer f.mu.Unlock()
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if w.index <= idx {
			close(w.ch)
		} else {
			keep = append(keep, w)
		}
	}
	f.waiters = keep
}

// appliedCh returns a channel closed once the applied index is >= idx.
func (f *shardFSM) appliedCh(idx uint64) chan struct{} {
	ch := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied.Load() >= idx {
		close(ch)
		return ch
	}
	f.waiters = append(f.waiters, applyWaiter{index: idx, ch: ch})
	return ch
}

// appliedRecord is the stored applied index and clock.
func appliedRecord(index uint64, now int64) []byte {
	return append(putUint64(index), putUint64(uint64(now))...)
}
