package tempest

import (
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// readState is an immutable view of where data lives: the memtables,
// newest first, and the LSM version. Readers load it once and use it for
// the whole read. It is replaced (never mutated) when a memtable is frozen
// or a flush is installed.
//
// Invariant: every batch with seqnum <= visibleSeq is in some source of
// the current readState. A frozen memtable leaves the readState only in
// the same update that adds the SST holding its data.
type readState struct {
	mems    []*memTable // active first, then frozen ones newest first
	version *manifest.Version
}

func (d *DB) loadReadState() *readState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.readState
}

func (d *DB) updateReadStateLocked() {
	mems := make([]*memTable, 0, 1+len(d.mu.imms))
	mems = append(mems, d.mu.mem)
	imms := slices.Clone(d.mu.imms)
	slices.Reverse(imms)
	mems = append(mems, imms...)
	d.mu.readState = &readState{mems: mems, version: d.manifest.Version()}
}

// newInternalIter merges every source of rs.
func (d *DB) newInternalIter(rs *readState) (base.InternalIterator, error) {
	var children []base.InternalIterator
	closeAll := func() {
		for _, c := range children {
			c.Close()
		}
	}
	for _, m := range rs.mems {
		children = append(children, m.NewIter())
	}
	for _, f := range rs.version.Levels[0] {
		r, err := d.tables.get(f)
		if err != nil {
			closeAll()
			return nil, err
		}
		children = append(children, r.NewIter())
	}
	for level := 1; level < manifest.NumLevels; level++ {
		if files := rs.version.Levels[level]; len(files) > 0 {
			children = append(children, newLevelIter(d.cmp, d.tables, files))
		}
	}
	return newMergingIter(d.cmp, children), nil
}
