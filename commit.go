package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/wal"
)

// The commit pipeline, in the manner of Pebble's: each writer prepares
// its own batch under the commit lock, then inserts it into the memtable
// at once with the others, and batches are published in sequence order.
//
// A writer takes commit.writeMu, which makes it the commit leader (the
// one goroutine that writes the WAL and rotates the memtable), and
//
//  1. makes room in the active memtable (rotating memtable and WAL, and
//     stalling while too many frozen memtables await flush), counting
//     the memory of batches prepared but not yet inserted (memTable.fits);
//  2. validates a transaction's reads against the history of writes and
//     assigns the batch the next sequence number, recording its writes in
//     that history, in one critical section (sequence; txn_conflicts.go);
//  3. writes the batch to the WAL (a copy into the mapped log, or write
//     system calls), so each commit has reached the operating system
//     before it is acknowledged;
//
// appends the batch to commit.pending and releases the lock, so the next
// writer prepares while this one
//
//  4. inserts its batch into the memtable (commit_apply.go);
//  5. if it asked for Sync, waits for an fsync of the WAL that covers its
//     record: writers waiting at once share one (wal.Writer.SyncTo), the
//     group commit of synced writes;
//  6. marks it applied and publishes: it pops every applied batch from
//     the head of commit.pending, raising visibleSeq to each in turn, and
//     wakes their writers; a writer whose batch an earlier one still
//     holds back waits to be published by another.
//
// A writer that finds no other writer and no batch pending (a lone
// writer) inserts its batch under the lock instead, with the
// single-writer insertion and its cached splice, fsyncs there if asked,
// and publishes at once (commitAlone). A task (freezing the memtable, an
// ingest, a format ratchet) takes the lock and runs once commit.pending
// is empty: it sees every earlier batch visible, and no batch is prepared
// while it runs.
//
// sync.Mutex lets a running writer take the lock ahead of parked ones,
// so under load the writers that are running keep committing without a
// switch to a parked goroutine per batch (its starvation mode bounds how
// long a parked writer waits).
//
// Invariants:
//   - WAL order = sequence-number order = commit.pending order = the order
//     in which batches become visible. Batches are inserted in any order,
//     but none is visible before every earlier one is.
//   - A batch is visible to readers only after it reached the OS (and, if
//     its writer asked for Sync, after an fsync covering it), and only
//     once all its entries are in the memtable.
//   - A frozen memtable is flushed only once every batch written to its
//     WAL is in it (memTable.writers).
//   - After any WAL write or sync error no later batch is acknowledged: the
//     error is sticky (ErrReadOnly) and the failed fsync is never retried.
//     After a failed insertion or fsync, no batch from it on is
//     acknowledged or made visible (commit.pubErr).

type commitReq struct {
	batch *Batch
	sync  bool
	// task, if not nil, is run by the leader instead of committing a
	// batch (freezing the active memtable, ratcheting the format version),
	// once no batch is pending. Its error is the request's.
	task func() error
	// txn, if not nil, is the transaction whose batch this is: the leader
	// commits the batch only if the transaction's reads validate.
	txn *txnCommit
	// log and logEnd are the WAL the batch went to and the offset after
	// its record, for the fsync of a synced batch.
	log    *wal.Writer
	logEnd int64
	// applied is set (under commit.mu) once the batch is inserted (and
	// synced, if asked); applyErr is the outcome.
	applied  bool
	applyErr error
	done     bool // guarded by commit.mu
	// wake is signalled, under commit.mu, when the request is done.
	wake sync.Cond
	seq  base.SeqNum
	err  error
}

// commitReqPool recycles commit requests, so that a commit allocates
// nothing: once runCommit returns, nothing refers to the request (its
// publisher finishes with it under commit.mu).
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

// runCommit runs r, a batch or a task, and returns when it is done.
func (d *DB) runCommit(r *commitReq) {
	c := &d.commit
	c.arrived.Add(1)
	defer c.arrived.Add(-1)
	c.writeMu.Lock()
	if c.closed {
		c.writeMu.Unlock()
		r.err = ErrClosed
		return
	}
	if r.task != nil {
		d.waitDrained()
		r.err = r.task()
		c.writeMu.Unlock()
		return
	}
	m := d.prepare(r)
	switch {
	case m == nil:
		c.writeMu.Unlock()
	case c.inflight.Load() == 0 && c.arrived.Load() == 1:
		d.commitAlone(r, m)
		c.writeMu.Unlock()
	default:
		d.handOff(r, m)
		c.writeMu.Unlock()
		d.applyAndPublish(r, m)
	}
}

// waitDrained waits until no batch is pending: every batch prepared is
// visible (or failed). Leader only.
func (d *DB) waitDrained() {
	c := &d.commit
	c.mu.Lock()
	for len(c.pending) > 0 {
		c.drained.Wait()
	}
	c.mu.Unlock()
}

// prepare runs the leader's steps for r's batch up to the WAL, and returns
// the memtable the batch goes into, or nil (r.err set) if it may not
// commit. Leader only.
func (d *DB) prepare(r *commitReq) *memTable {
	m, err := d.makeRoomForWrite(r.batch.memSize)
	if err != nil {
		r.err = err
		return nil
	}
	if err := d.ensureSeqLease(d.commit.lastSeq + 1); err != nil {
		r.err = d.setBackgroundError(err)
		return nil
	}
	if err := d.sequence(r); err != nil {
		r.err = d.setBackgroundError(err)
		return nil
	}
	if r.err != nil {
		return nil // a conflict: nothing was written
	}
	// The sequence number is taken: whatever follows, the next batch's
	// comes after it.
	d.commit.lastSeq = r.seq
	log := d.commit.log
	d.counters.walBytes.Add(uint64(len(r.batch.data)))
	if err := log.WriteRecords(r.batch.data); err != nil {
		r.err = d.setBackgroundError(err)
		return nil
	}
	d.counters.walRecords.Add(1)
	r.log, r.logEnd = log, log.Size()
	return m
}

// commitAlone commits r's prepared batch while no other writer is in the
// pipeline and no batch is pending: it fsyncs if asked, inserts the batch
// with the single-writer insertion and its cached splice, and publishes
// it, all under the commit lock, so no other writer inserts meanwhile and
// the memtable is not frozen under it. This is the path of a lone writer,
// for which handing the batch over would only cost. Leader only.
func (d *DB) commitAlone(r *commitReq, m *memTable) {
	if r.sync {
		if err := d.syncWAL(r); err != nil {
			r.err = err
			return
		}
	}
	if err := applyBatch(m, r.batch.data, false); err != nil {
		// The memtable was sized for the batch: a broken invariant. The
		// WAL holds the batch, so a reopen recovers it.
		r.err = d.setBackgroundError(err)
		return
	}
	d.visibleSeq.Store(uint64(r.seq))
}

// handOff puts r's prepared batch on commit.pending and reserves its
// place in m, before the leader lets the next batch be prepared. Leader
// only.
func (d *DB) handOff(r *commitReq, m *memTable) {
	c := &d.commit
	m.writers.Add(1)
	m.unapplied.Add(int64(r.batch.memSize))
	c.inflight.Add(1)
	c.mu.Lock()
	r.wake.L = &c.mu
	c.pending = append(c.pending, r)
	c.mu.Unlock()
}

// syncWAL waits for an fsync of the WAL that covers r's record, sharing
// it with the writers waiting at once. A failure is the DB's background
// error.
func (d *DB) syncWAL(r *commitReq) error {
	ran, err := r.log.SyncTo(r.logEnd)
	if ran {
		d.counters.walSyncs.Add(1)
	}
	if err != nil {
		return d.setBackgroundError(err)
	}
	return nil
}

// sequence is the critical section of commit: under the conflict
// tracker's lock it validates r's transaction, if any, against the writes
// committed after its snapshot (r.err = ErrConflict if it fails), gives
// r's batch the next sequence number, and records its writes. The batch
// becomes visible only after this returns, so a transaction starting
// meanwhile has an older snapshot and finds it in the history. An error
// is a broken invariant.
func (d *DB) sequence(r *commitReq) error {
	tr := &d.txns
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if r.txn != nil {
		if err := tr.validateLocked(r.txn.seq, r.txn.reads); err != nil {
			r.err = err
			return nil
		}
	}
	seq := d.commit.lastSeq + 1
	r.seq = seq
	r.batch.stamp(seq)
	if tr.active {
		return tr.recordBatchLocked(seq, r.batch)
	}
	return nil
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
