package tempest

// Inserting committed batches into the memtable, and publishing them.
//
// Once a group's batches are in the WAL, the leader hands each of its
// writers the memtable (commitReq.applyTo), puts the batches on
// commit.pending in sequence order, and lets the next group begin. Each
// writer then inserts its own batch, outside commit.mu, at once with the
// others, with the concurrent insertion (memtable.AddConcurrent); a group
// of one batch taken while none is pending is inserted by its leader
// instead, with the single-writer insertion (commitAlone in commit.go).
//
// It then gives back its reservation (memTable.unapplied), leaves
// memTable.writers (a frozen memtable is flushed only once that drains),
// and, under commit.mu, marks its request applied and publishes: it pops
// every applied request from the head of commit.pending, raises
// visibleSeq to each one's sequence number in turn, and marks it done. So
// the batches become visible in sequence order, each only once every
// earlier one is in a memtable, whichever writer finishes first.
//
// A failed insertion breaks an invariant (the memtable was sized for the
// batch): it sets the background error, and from that batch on nothing
// is published or acknowledged (commit.pubErr). The WAL holds the
// batches, so a reopen recovers them.

// applyAndPublishLocked inserts r's batch into r.applyTo and publishes
// what it can. Requires d.commit.mu, which it releases while inserting.
func (d *DB) applyAndPublishLocked(r *commitReq) {
	c := &d.commit
	m := r.applyTo
	c.mu.Unlock()
	err := applyBatch(m, r.batch.data, true)
	m.unapplied.Add(-int64(r.batch.memSize))
	m.writers.Done()
	if err != nil {
		err = d.setBackgroundError(err)
	}
	c.mu.Lock()
	r.applyErr, r.applied = err, true
	d.publishLocked()
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
		r.signal()
	}
	if n == 0 {
		return
	}
	k := copy(c.pending, c.pending[n:])
	clear(c.pending[k:])
	c.pending = c.pending[:k]
	if k == 0 {
		d.wakeHeadLocked()
	}
}
