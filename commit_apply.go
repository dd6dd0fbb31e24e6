package tempest

// Inserting committed batches into the memtable, and publishing them.
//
// Once a batch is in the WAL, its writer puts it on commit.pending (in
// sequence order: the commit lock is held) and releases the lock
// (handOff in commit.go). It then inserts the batch, outside every lock,
// at once with the other writers, with the concurrent insertion
// (memtable.AddConcurrent), gives back its reservation
// (memTable.unapplied), waits for the fsync if it asked for Sync, and
// leaves memTable.writers (a frozen memtable is flushed only once that
// drains). Under commit.mu it marks its request applied and publishes:
// it pops every applied request from the head of commit.pending, raises
// visibleSeq to each one's sequence number in turn, and marks it done. So
// the batches become visible in sequence order, each only once every
// earlier one is in a memtable (and synced, if asked), whichever writer
// finishes first.
//
// A failed insertion breaks an invariant (the memtable was sized for the
// batch), and a failed fsync breaks the WAL: either sets the background
// error, and from that batch on nothing is published or acknowledged
// (commit.pubErr). The WAL holds the batches, so a reopen recovers them.

// applyAndPublish inserts r's batch into m, waits for its fsync if asked,
// publishes what it can, and waits until r is published.
func (d *DB) applyAndPublish(r *commitReq, m *memTable) {
	c := &d.commit
	err := applyBatch(m, r.batch.data, true)
	m.unapplied.Add(-int64(r.batch.memSize))
	if err != nil {
		err = d.setBackgroundError(err)
	} else if r.sync {
		err = d.syncWAL(r)
	}
	m.writers.Done()
	c.mu.Lock()
	r.applyErr, r.applied = err, true
	d.publishLocked()
	for !r.done {
		r.wake.Wait()
	}
	c.mu.Unlock()
}

// publishLocked makes visible the applied requests at the head of
// commit.pending, in order, and marks them done. Requires d.commit.mu.
func (d *DB) publishLocked() {
	c := &d.commit
	n := 0
	for ; n < len(c.pending) && c.pending[n].applied; n++ {
		r := c.pending[n]
		if r.applyErr != nil && c.pubErr == nil {
			c.pubErr = r.applyErr
		}
		if c.pubErr != nil {
			r.err = c.pubErr
		} else {
			d.visibleSeq.Store(uint64(r.seq))
		}
		r.done = true
		r.wake.Signal()
	}
	if n == 0 {
		return
	}
	c.inflight.Add(-int64(n))
	k := copy(c.pending, c.pending[n:])
	clear(c.pending[k:])
	c.pending = c.pending[:k]
	if k == 0 {
		c.drained.Broadcast()
	}
}
