package tempest

import (
	"slices"
	"sync/atomic"

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
//
// A readState is reference counted: the DB holds one reference while it is
// current, and every read holds one for its duration (an Iterator until
// Close). The files of its version stay on disk until the last reference
// to the last readState naming them is released (see file_refs.go).
type readState struct {
	d       *DB
	refs    atomic.Int32
	mems    []*memTable // active first, then frozen ones newest first
	version *manifest.Version
	// rangeDels are the fragmented tombstones of mems[1:] and version.
	rangeDels immutableRangeDels
	// seeks counts what iterator seeks paid for version's L0 files (see
	// read_compaction.go).
	seeks l0SeekCounter
}

// loadReadState returns the current readState with a reference the
// caller must release with unref.
func (d *DB) loadReadState() *readState {
	d.mu.Lock()
	defer d.mu.Unlock()
	rs := d.mu.readState
	rs.refs.Add(1)
	return rs
}

// unref releases a reference; the last one releases the version's files
// and the memtables.
func (rs *readState) unref() {
	if rs.refs.Add(-1) == 0 {
		rs.d.files.unrefVersion(rs.version)
		for _, m := range rs.mems {
			m.unref()
		}
	}
}

// updateReadStateLocked installs a readState for the current memtables and
// version. It returns the previous one, whose reference the caller must
// release (with unref) after unlocking d.mu, since releasing it may delete
// files.
func (d *DB) updateReadStateLocked() *readState {
	mems := make([]*memTable, 0, 1+len(d.mu.imms))
	mems = append(mems, d.mu.mem)
	imms := slices.Clone(d.mu.imms)
	slices.Reverse(imms)
	mems = append(mems, imms...)
	for _, m := range mems {
		m.ref()
	}
	rs := &readState{d: d, mems: mems, version: d.manifest.Version()}
	d.checkVersion(rs.version)
	rs.seeks.init(d.opts, rs.version.Levels[0], d.mu.readState)
	rs.refs.Store(1)
	d.files.refVersion(rs.version)
	old := d.mu.readState
	d.mu.readState = rs
	return old
}
