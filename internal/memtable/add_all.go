package memtable

import (
	"slices"

	"github.com/tempestdb/tempest/internal/base"
)

// Entry is one entry of AddAll.
type Entry struct {
	Key   base.InternalKey
	Value []byte
}

// AddAll adds entries as Add does, one after the other, in ascending
// order: it sorts entries in place first, stably, so that of two equal
// internal keys the later is still added later and ends first in the
// list, where Add in the given order would put it. Each search then
// starts from the splice of the entry before (findSpliceFromLast) and
// spans only the gap between the two, so a large batch of random keys
// costs a fraction of the cache misses of as many Adds in random order.
// An error (ErrArenaFull) leaves the entries before it added. Writer only.
func (m *Memtable) AddAll(entries []Entry) error {
	slices.SortStableFunc(entries, func(a, b Entry) int { return m.cmp.CompareInternal(a.Key, b.Key) })
	for i := range entries {
		if err := m.Add(entries[i].Key, entries[i].Value); err != nil {
			return err
		}
	}
	return nil
}
