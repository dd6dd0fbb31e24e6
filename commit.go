package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
)

// The commit pipeline: group commit for the WAL (in the manner of
// LevelDB's writer queue), then each writer inserting its own batch into
// the memtable and publishing in sequence order (in the manner of
// Pebble's commit pipeline).
//
// Each writer appends a commitReq to commit.queue and waits. The writer at
// the head of the queue is the leader: it takes a group of requests from
// the head, releases commit.mu, and for the whole group
//
//  1. makes room in the active memtable (rotating memtable and WAL, and
//     stalling while too many frozen memtables await flush), counting
//     the memory of groups written but not yet inserted (memTable.fits);
//  2. validates each transaction's reads against the history of writes
//     and assigns each batch that passes the next sequence number (one
//     per batch), recording its writes in that history, all in one
//     critical section (sequenceGroup; txn_conflicts.go);
//  3. writes every batch to the WAL with one write system call, so each
//     commit has reached the operating system before it is acknowledged;
//  4. fsyncs the WAL once if any request in the group asked for Sync;
//
// then, under commit.mu, appends the group's batches to commit.pending,
// removes the group from the queue and wakes the next head, which leads
// the next group while this one is inserted. Each writer of the group
// then, outside commit.mu,
//
//  5. inserts its own batch into the memtable (commit_apply.go), and
//  6. marks it applied and publishes: it pops every applied batch from
//     the head of commit.pending, raising visibleSeq to each in turn, and
//     wakes their writers; a writer whose batch an earlier one still
//     holds back waits to be published by another.
//
// Each request has its own condition variable (on commit.mu), so a
// finished group wakes only the writers it concerns. A task (freezing the
// memtable, an ingest, a format ratchet) runs alone in its group, once
// commit.pending is empty: it sees every earlier batch visible.
// Invariants:
//   - WAL order = sequence-number order = commit.pending order = the order
//     in which batches become visible. Batches are inserted in any order,
//     but none is visible before every earlier one is.
//   - A batch is visible to readers only after it reached the OS (and, if
//     any writer in its group asked for Sync, after the fsync), and only
//     once all its entries are in the memtable.
//   - A frozen memtable is flushed only once every batch written to its
//     WAL is in it (memTable.writers).
//   - After any WAL write or sync error no later batch is acknowledged: the
//     error is sticky (ErrReadOnly) and the failed fsync is never retried.
//     After a failed insertion (a broken invariant) no batch from it on is
//     acknowledged or made visible (commit.pubErr).

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
	// applyTo, set by the leader (under commit.mu) once the group is in
	// the WAL, is the memtable the writer inserts its batch into
	// (commit_apply.go); applied is set (under commit.mu) once it has.
	applyTo *memTable
	applied bool
	// applyErr is the outcome of that insertion.
	applyErr error
	// wake is signalled, under commit.mu, when the request is done, is
	// handed its memtable, reaches the head of the queue, or (for a task
	// at the head) when commit.pending empties.
	wake sync.Cond
	seq  base.SeqNum
	err  error
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
	d.waitLocked(r, func() bool { return r.done || r.applyTo != nil || c.queue[0] == r })
	if !r.done && r.applyTo == nil {
		d.leadLocked(r)
	}
	if r.applyTo != nil {
		d.applyAndPublishLocked(r)
		d.waitLocked(r, func() bool { return r.done })
	}
	c.mu.Unlock()
}

// waitLocked waits until cond holds. Requires d.commit.mu, which it
// releases while waiting. (Yielding before parking, which saves a wakeup
// when the wait is short, costs more than it saves once writers outnumber
// the cores: the yields take the time of the writers inserting.)
func (d *DB) waitLocked(r *commitReq, cond func() bool) {
	for !cond() {
		r.wake.Wait()
	}
}

// leadLocked runs r's group as its leader: a task alone, once every
// earlier batch is visible; batches up to the WAL (commitGroup), after
// which the next head leads while this group is inserted. Requires
// d.commit.mu, which it releases while working.
func (d *DB) leadLocked(r *commitReq) {
	c := &d.commit
	if r.task != nil {
		d.waitLocked(r, func() bool { return len(c.pending) == 0 })
	}
	group := d.takeGroupLocked()
	alone := r.task == nil && len(group) == 1 && len(c.pending) == 0
	c.mu.Unlock()
	var m *memTable
	switch {
	case r.task != nil:
		r.err = r.task()
	case alone:
		d.commitAlone(group)
	default:
		m = d.commitGroup(group)
	}
	c.mu.Lock()
	if alone && r.err == nil {
		d.visibleSeq.Store(uint64(r.seq))
	}
	d.endGroupLocked(group, m)
}

// commitAlone commits a group of one batch taken while no other batch is
// pending: its leader inserts it, with the single-writer insertion and its
// cached splice, before it lets the next group begin, so that no other
// writer inserts meanwhile and the memtable is not frozen under it. This is
// the path of a lone writer, for which handing the batch over would only
// cost.
func (d *DB) commitAlone(group []*commitReq) {
	r := group[0]
	m := d.commitGroup(group)
	if m == nil {
		return
	}
	if err := applyBatch(m, r.batch.data, false); err != nil {
		// The memtable was sized for the batch: a broken invariant. The
		// WAL holds the batch, so a reopen recovers it.
		r.err = d.setBackgroundError(err)
	}
}

// endGroupLocked removes the group from the head of the queue and wakes
// the next head (or, once nothing is queued or pending, Close). A request
// that failed is done; the others, written to the WAL, are pending and
// handed m to insert their batches into. No request marked done is
// touched afterwards: its owner may reuse it as soon as commit.mu is
// released. Requires d.commit.mu.
func (d *DB) endGroupLocked(group []*commitReq, m *memTable) {
	c := &d.commit
	var handed, mem int64
	for _, g := range group {
		if m == nil || g.err != nil {
			g.done = true
			g.signal()
			continue
		}
		handed, mem = handed+1, mem+int64(g.batch.memSize)
		g.applyTo = m
		c.pending = append(c.pending, g)
		g.signal() // it runs once commit.mu is released
	}
	if handed > 0 {
		m.writers.Add(int(handed))
		m.unapplied.Add(mem)
	}
	// group aliases the head of the queue: done with it before compacting.
	n := copy(c.queue, c.queue[len(group):])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
	d.wakeHeadLocked()
}

// wakeHeadLocked wakes the head of the queue, or Close once the queue and
// commit.pending are both empty. Requires d.commit.mu.
func (d *DB) wakeHeadLocked() {
	c := &d.commit
	switch {
	case len(c.queue) > 0:
		c.queue[0].signal()
	case len(c.pending) == 0:
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

// commitGroup runs the leader's steps for group up to the WAL, and
// returns the memtable its batches go into, or nil if none may commit.
// Each request that fails gets its error.
func (d *DB) commitGroup(group []*commitReq) *memTable {
	fail := func(err error) *memTable {
		for _, r := range group {
			r.err = err
		}
		return nil
	}
	var mem uint64
	sync := false
	for _, r := range group {
		mem += r.batch.memSize
		sync = sync || r.sync
	}
	m, err := d.makeRoomForWrite(mem)
	if err != nil {
		return fail(err)
	}
	if err := d.ensureSeqLease(d.commit.lastSeq + base.SeqNum(len(group))); err != nil {
		return fail(d.setBackgroundError(err))
	}
	kept, err := d.sequenceGroup(group)
	if err != nil {
		return fail(d.setBackgroundError(err))
	}
	group = kept // fail now fails only these
	defer clear(group)
	if len(group) == 0 {
		return nil
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
	// The sequence numbers are taken: whatever follows, the next group's
	// come after them.
	d.commit.lastSeq = last
	if err := d.commit.log.WriteRecords(payloads...); err != nil {
		return fail(d.setBackgroundError(err))
	}
	d.counters.walRecords.Add(uint64(len(group)))
	if sync {
		if err := d.commit.log.Sync(); err != nil {
			return fail(d.setBackgroundError(err))
		}
		d.counters.walSyncs.Add(1)
	}
	return m
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
	r.wake.Signal()
}
