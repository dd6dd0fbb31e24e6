package tempest

import (
	"slices"
	"sync/atomic"

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
	// flushedSeq: version holds every batch with a seqnum up to it and
	// none above it (d.mu.flushedSeq when the readState was installed).
	flushedSeq base.SeqNum
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
	return d.refReadStateLocked()
}

// refReadStateLocked returns the current readState with a reference the
// caller must release with unref. Without the reference, a readState read
// under d.mu may be released once d.mu is: its memtables freed and its
// files deleted.
func (d *DB) refReadStateLocked() *readState {
	rs := d.mu.readState
	rs.refs.Add(1)
	return rs
}

// loadReadStateAndSeq returns the current readState, with a reference the
// caller must release with unref, and the visible seqnum: the pair a read
// at the latest state reads at. Both are taken under d.mu, in one
// critical section.
//
// Why together: a compaction keeps, below the seqnum that was visible when
// it started (its horizon, raised in startCompactionLocked under d.mu),
// only the newest version of each snapshot stripe; its outputs are exact
// for reads at or above its horizon and at open snapshots, and for no
// other seqnum. A readState lists the outputs of compactions that started
// before it was installed. Read under d.mu, the visible seqnum is at least
// the horizon of every such compaction (the horizon is a visible seqnum
// read earlier under d.mu, and visibleSeq only rises), so the read is at
// a seqnum the readState's files answer exactly. Loaded apart, the seqnum
// may predate a compaction that the readState already shows: the read
// would then miss versions it was entitled to (a stale value, ErrNotFound
// for a present key, a scan mixing two states). And every batch at or
// below that seqnum is in some source of the readState (see readState).
func (d *DB) loadReadStateAndSeq() (*readState, base.SeqNum) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refReadStateLocked(), base.SeqNum(d.visibleSeq.Load())
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
	rs := &readState{d: d, mems: mems, version: d.manifest.Version(), flushedSeq: d.mu.flushedSeq}
	d.checkVersion(rs.version)
	rs.seeks.init(d.opts, rs.version.Levels[0], d.mu.readState)
	rs.refs.Store(1)
	d.files.refVersion(rs.version)
	old := d.mu.readState
	d.mu.readState = rs
	return old
}
