package tempest

// Applying a commit group to the memtable.
//
// Once a group's batches are in the WAL, its entries go into the active
// memtable. A leader that inserted them all alone would leave the other
// cores idle while every writer of the group waits; instead each writer of
// a group of several inserts its own batch, at once, with the memtable's
// concurrent insertion (memtable.AddConcurrent):
//
//  1. the leader, under commit.mu, counts the group's other writers in
//     commit.applying, hands each the memtable (commitReq.applyTo) and
//     wakes it;
//  2. each such writer, woken in runCommit, inserts its batch outside
//     commit.mu, records the outcome and leaves commit.applying;
//  3. the leader inserts the group's first batch, waits for
//     commit.applying, and only then publishes the group's last sequence
//     number.
//
// So the commit invariants hold unchanged: a group is visible only once
// every entry of it is in the memtable, and groups do not overlap (the
// next leader starts after this one has finished), which is also what
// lets a group of one use the single-writer insertion (memtable.Add) with
// its cached splice.
//
// A writer cannot leave before its batch is inserted: it returns only once
// done, which the leader sets after commit.applying.

// minConcurrentApply is the group size from which the writers insert
// their own batches. Below it the handoff costs more than it saves.
const minConcurrentApply = 2

// applyGroup inserts every batch of group into m, and returns the first
// error. Leader only.
func (d *DB) applyGroup(m *memTable, group []*commitReq) error {
	if len(group) < minConcurrentApply {
		for _, r := range group {
			if err := applyBatch(m, r.batch.data, false); err != nil {
				return err
			}
		}
		return nil
	}
	c := &d.commit
	c.mu.Lock()
	c.applying.Add(len(group) - 1)
	for _, r := range group[1:] {
		r.applyTo = m
		r.signal()
	}
	c.mu.Unlock()
	err := applyBatch(m, group[0].batch.data, true)
	c.applying.Wait()
	for _, r := range group[1:] {
		if err == nil {
			err = r.applyErr
		}
		r.applyErr = nil
	}
	return err
}

// applyAsFollowerLocked inserts r's batch into the memtable its leader
// handed it, outside commit.mu, which it releases and takes again.
// Requires d.commit.mu.
func (d *DB) applyAsFollowerLocked(r *commitReq) {
	c := &d.commit
	m := r.applyTo
	r.applyTo = nil
	c.mu.Unlock()
	r.applyErr = applyBatch(m, r.batch.data, true)
	c.applying.Done()
	c.mu.Lock()
}
