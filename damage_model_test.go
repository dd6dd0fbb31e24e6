package tempest

import (
	"maps"
	"slices"
)

// The damage matrix (damage_matrix_test.go) keeps its model in a
// faultOracle (fault_oracle_test.go): the commits in order, each value
// naming its commit. This file adds what the matrix needs on top: range
// deletions and the list of every key a commit touched.

// applyDeleteRange commits a batch that deletes [start, end) and then
// sets the keys in writes (which must lie outside the range), recording
// the range as deletions of the keys the state holds in it.
func (o *faultOracle) applyDeleteRange(d *DB, sync bool, start, end string, writes ...string) error {
	live := o.stateAt(len(o.commits))
	b, i := o.batch(d, writes...)
	for k := range o.commits[i] {
		if start <= k && k < end {
			panic("applyDeleteRange: a write inside the deleted range")
		}
	}
	for k := range live {
		if start <= k && k < end {
			o.commits[i][k] = nil
		}
	}
	// The writes lie outside the range, so the order of the range and
	// the sets within the batch does not matter.
	if err := b.DeleteRange([]byte(start), []byte(end)); err != nil {
		return err
	}
	return o.commit(d, b, i, sync)
}

// commit applies b, the batch of commit i, and records the outcome as
// apply does.
func (o *faultOracle) commit(d *DB, b *Batch, i int, sync bool) error {
	if _, err := d.Apply(b, &WriteOptions{Sync: sync}); err != nil {
		return err
	}
	o.acked = i + 1
	if sync {
		o.synced = o.acked
	}
	return nil
}

// keys returns, sorted, every key that some commit set or deleted.
func (o *faultOracle) keys() []string {
	set := map[string]bool{}
	for _, c := range o.commits {
		for k := range c {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
