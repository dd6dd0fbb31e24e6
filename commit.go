package tempest

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
)

// The commit pipeline (group commit, in the manner of LevelDB's writer
// queue).
//
// Each writer appends a commitReq to commit.queue and waits. The writer at
// the head of the queue is the leader: it takes a group of requests from
// the head, releases commit.mu, and for the whole group
//
//  1. makes room in the active memtable (rotating memtable and WAL, and
//     stalling while too many frozen memtables await flush);
//  2. validates each transaction's reads against the history of writes
//     and assigns each batch that passes the next sequence number (one
//     per batch), recording its writes in that history, all in one
//     critical section (sequenceGroup; txn_conflicts.go);
//  3. writes every batch to the WAL with one write system call, so each
//     commit has reached the operating system before it is acknowledged;
//  4. fsyncs the WAL once if any request in the group asked for Sync;
//  5. inserts the entries into the memtable, each writer of a larger group
//     its own batch, all at once (commit_apply.go), and publishes the
//     group's last sequence number as visible;
//
// then marks the group done and wakes its members and the next head, which
// becomes the leader. Each request has its own condition variable (on
// commit.mu), so a finished group wakes only the writers it concerns: with
// many concurrent writers a shared one would wake every waiter at every
// group, each to find it is not yet its turn. Invariants:
//   - WAL order = sequence-number order = the order in which groups are
//     inserted into the memtable (the batches of one group are inserted
//     at once; none is visible before the whole group is published).
//   - A batch is visible to readers only after it reached the OS (and, if
//     any writer in its group asked for Sync, after the fsync).
//   - After any WAL write or sync error no later batch is acknowledged: the
//     error is sticky (ErrReadOnly) and the failed fsync is never retried.

// maxGroupBytes bounds the encoded bytes a leader takes in one group.
const maxGroupBytes = 4 << 20

type commitReq struct {
	batch *Batch
	sync  bool
	// task, if not nil, is run by the leader instead of committing a
	// batch (freezing the active memtable, ratcheting the format version):
	// it runs alone in its group, with no rotation alongside. Its error is
	// the request's.
	task func() error
	// txn, if not nil, is the transaction whose batch this is: the leader
	// commits the batch only if the transaction's reads validate.
	txn  *txnCommit
	done bool // guarded by commit.mu
	// applyTo, when set by the leader (under commit.mu), asks the waiting
	// writer to insert its own batch into that memtable (commit_apply.go).
	applyTo *memTable
	// applyErr is the outcome of that insertion, read by the leader once
	// commit.applying is done.
	applyErr error
	// wake is signalled, under commit.mu, when the request is done or
	// reaches the head of the queue; signaled is set just before.
	wake     sync.Cond
	signaled atomic.Bool
	seq      base.SeqNum
	err      error
}

// commitReqPool recycles commit requests, so that a commit allocates
// nothing: once runCommit returns, neither the queue nor the leader refers
// to the request (the leader finishes with it under commit.mu).
var commitReqPool = sync.Pool{New: func() any { return new(commitReq) }}

func (d *DB) commitBatch(b *Batch, sync bool) (base.SeqNum, error) {
	r := commitReqPool.Get().(*commitReq)
	*r = commitReq{batch: b, sync: sync}
	d.runCommit(r)
	seq, err := r.seq, r.err
	*r = commitReq{}
	commitReqPool.Put(r)
	return seq, err
}

// runCommit queues r and returns when it is done, leading its group if r
// reaches the head of the queue.
func (d *DB) runCommit(r *commitReq) {
	c := &d.commit
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		r.err = ErrClosed
		return
	}
	r.wake.L = &c.mu
	c.queue = append(c.queue, r)
	spun := false
	for !r.done && c.queue[0] != r {
		if r.applyTo != nil {
			d.applyAsFollowerLocked(r)
			spun = false
			continue
		}
		if !spun {
			spun = true
			d.spinForWakeLocked(r)
			continue
		}
		r.wake.Wait()
	}
	if r.done {
		c.mu.Unlock()
		return
	}
	group := d.takeGroupLocked()
	c.mu.Unlock()

	if r.task != nil {
		r.err = r.task()
	} else {
		d.commitGroup(group)
	}

	c.mu.Lock()
	d.finishGroupLocked(group)
	c.mu.Unlock()
}

// finishGroupLocked marks the group done, removes it from the head of the
// queue and wakes its members and the next leader (or, once the queue is
// empty, Close). No member is touched after it is marked done: its owner
// may reuse it as soon as commit.mu is released. Requires d.commit.mu.
func (d *DB) finishGroupLocked(group []*commitReq) {
	c := &d.commit
	// group aliases the head of the queue: mark it before compacting.
	for _, g := range group {
		g.done = true
		g.signal()
	}
	n := copy(c.queue, c.queue[len(group):])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
	if n > 0 {
		c.queue[0].signal()
	} else {
		c.drained.Broadcast()
	}
}

// takeGroupLocked returns the requests at the head of the queue that the
// leader commits together. Requires d.commit.mu (not d.mu).
func (d *DB) takeGroupLocked() []*commitReq {
	q := d.commit.queue
	var bytes, mem uint64
	if q[0].task != nil {
		return q[:1:1]
	}
	n := 0
	for n < len(q) && q[n].task == nil {
		b := q[n].batch
		if n > 0 && (bytes+uint64(b.Len()) > maxGroupBytes || mem+b.memSize > uint64(d.lim.maxBatch)) {
			break
		}
		bytes += uint64(b.Len())
		mem += b.memSize
		n++
	}
	return q[:n:n]
}

// commitGroup runs the leader's steps for group and records each
// request's outcome.
func (d *DB) commitGroup(group []*commitReq) {
	fail := func(err error) {
		for _, r := range group {
			r.err = err
		}
	}
	var mem uint64
	sync := false
	for _, r := range group {
		mem += r.batch.memSize
		sync = sync || r.sync
	}
	m, err := d.makeRoomForWrite(mem)
	if err != nil {
		fail(err)
		return
	}
	if err := d.ensureSeqLease(d.commit.lastSeq + base.SeqNum(len(group))); err != nil {
		fail(d.setBackgroundError(err))
		return
	}
	kept, err := d.sequenceGroup(group)
	if err != nil {
		fail(d.setBackgroundError(err))
		return
	}
	group = kept // fail now fails only these
	defer clear(group)
	if len(group) == 0 {
		return
	}
	last := group[len(group)-1].seq
	payloads := d.commit.payloads[:0]
	var bytes uint64
	for _, r := range group {
		payloads = append(payloads, r.batch.data)
		bytes += uint64(len(r.batch.data))
	}
	d.counters.walBytes.Add(bytes)
	d.commit.payloads = payloads
	defer clear(payloads)
	if err := d.commit.log.WriteRecords(payloads...); err != nil {
		fail(d.setBackgroundError(err))
		return
	}
	d.counters.walRecords.Add(uint64(len(group)))
	if sync {
		if err := d.commit.log.Sync(); err != nil {
			fail(d.setBackgroundError(err))
			return
		}
		d.counters.walSyncs.Add(1)
	}
	if err := d.applyGroup(m, group); err != nil {
		// The memtable was sized for the group; failing here breaks an
		// invariant. The WAL holds the batches, so a reopen recovers them.
		fail(d.setBackgroundError(err))
		return
	}
	d.commit.lastSeq = last
	d.visibleSeq.Store(uint64(last))
}

// sequenceGroup is the critical section of commit: under the conflict
// tracker's lock it validates each transaction of the group against the
// writes committed after its snapshot (the group's earlier batches
// included), gives each batch that may commit the next sequence number,
// and records its writes. It returns those batches, in sequence order (a
// new slice; group's requests that fail validation get ErrConflict). The
// batches sequenced here become visible only after this returns, so a
// transaction starting meanwhile has an older snapshot and finds them in
// the history.
func (d *DB) sequenceGroup(group []*commitReq) ([]*commitReq, error) {
	tr := &d.txns
	tr.mu.Lock()
	defer tr.mu.Unlock()
	kept := d.commit.kept[:0]
	seq := d.commit.lastSeq
	for _, r := range group {
		if r.txn != nil {
			if err := tr.validateLocked(r.txn.seq, r.txn.reads); err != nil {
				r.err = err
				continue
			}
		}
		seq++
		r.seq = seq
		r.batch.stamp(seq)
		if tr.active {
			if err := tr.recordBatchLocked(seq, r.batch); err != nil {
				return nil, err
			}
		}
		kept = append(kept, r)
	}
	d.commit.kept = kept
	return kept, nil
}

// applyBatch inserts the entries of an encoded, stamped batch into m.
func applyBatch(m *memTable, data []byte, concurrent bool) error {
	db, err := decodeBatch(data)
	if err != nil {
		return err
	}
	return db.forEach(func(e batchEntry) error {
		if e.Kind == base.KindRangeDelete {
			m.addRangeDel(e.Key, e.Value, db.Seq)
			return nil
		}
		if e.Kind == base.KindMerge {
			m.merges.Store(true)
		}
		k := base.MakeInternalKey(e.Key, db.Seq, e.Kind)
		if concurrent {
			return m.AddConcurrent(k, e.Value)
		}
		return m.Add(k, e.Value)
	})
}

// signal wakes r's writer. Requires d.commit.mu.
func (r *commitReq) signal() {
	r.signaled.Store(true)
	r.wake.Signal()
}

// commitSpins bounds the yields a writer makes, before it parks, while
// it waits for its group: a group of small batches is done within a few
// microseconds, sooner than a parked goroutine is woken and scheduled.
const commitSpins = 32

// spinForWakeLocked yields, outside commit.mu, until r is signalled or
// commitSpins yields have passed. Requires d.commit.mu, which it releases
// and takes again.
func (d *DB) spinForWakeLocked(r *commitReq) {
	c := &d.commit
	r.signaled.Store(false)
	c.mu.Unlock()
	for i := 0; i < commitSpins && !r.signaled.Load(); i++ {
		runtime.Gosched()
	}
	c.mu.Lock()
}
