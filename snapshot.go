package tempest

import (
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
)

// Snapshot is a consistent, read-only view of the DB at one sequence
// number. It sees exactly the batches committed at or before it. Close it
// when done: an open snapshot keeps the versions it can see from being
// compacted away.
type Snapshot struct {
	db     *DB
	seq    base.SeqNum
	closed atomic.Bool
	// list links, guarded by db.mu
	prev, next *Snapshot
}

// snapshotList is a doubly linked list of open snapshots ordered by
// creation (and so by seqnum, except for NewSnapshotAt, which may insert
// older ones; the list stays ordered by seq: see pushLocked).
type snapshotList struct {
	root Snapshot
}

func (l *snapshotList) init() { l.root.next, l.root.prev = &l.root, &l.root }

// pushLocked inserts s, keeping the list sorted by seq.
func (l *snapshotList) pushLocked(s *Snapshot) {
	at := l.root.prev
	for at != &l.root && at.seq > s.seq {
		at = at.prev
	}
	s.prev, s.next = at, at.next
	at.next.prev = s
	at.next = s
}

func (l *snapshotList) removeLocked(s *Snapshot) {
	s.prev.next = s.next
	s.next.prev = s.prev
	s.prev, s.next = nil, nil
}

// hasLocked reports whether a snapshot at seq is open: compactions keep
// what it sees, so a new snapshot may read at seq too.
func (l *snapshotList) hasLocked(seq base.SeqNum) bool {
	for s := l.root.next; s != &l.root; s = s.next {
		if s.seq == seq {
			return true
		}
	}
	return false
}

// earliestLocked returns the smallest open snapshot seqnum, or ok=false.
func (l *snapshotList) earliestLocked() (base.SeqNum, bool) {
	if l.root.next == &l.root {
		return 0, false
	}
	return l.root.next.seq, true
}

// NewSnapshot returns a snapshot of the current state. It returns nil if
// the DB is closed.
func (d *DB) NewSnapshot() *Snapshot {
	if d.closed.Load() {
		return nil
	}
	s := &Snapshot{db: d}
	d.mu.Lock()
	// Under d.mu, so no compaction can start between reading the seqnum and
	// registering the snapshot.
	s.seq = base.SeqNum(d.visibleSeq.Load())
	d.mu.snapshots.pushLocked(s)
	d.mu.Unlock()
	return s
}

// NewSnapshotAt returns a snapshot that reads exactly at t: it sees the
// batch t names and every batch committed before it, and nothing after.
// t must come from this DB: a token newer than anything committed gives
// ErrInvalidArgument.
func (d *DB) NewSnapshotAt(t WriteToken) (*Snapshot, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	if t.seq > base.SeqNum(d.visibleSeq.Load()) {
		return nil, base.InvalidArgumentf("%s is newer than every committed batch", t)
	}
	s := &Snapshot{db: d, seq: t.seq}
	d.mu.Lock()
	defer d.mu.Unlock()
	if t.seq < d.mu.horizon && !d.mu.snapshots.hasLocked(t.seq) {
		return nil, base.InvalidArgumentf("%s is older than the compaction horizon %d: versions it saw may be gone", t, uint64(d.mu.horizon))
	}
	d.mu.snapshots.pushLocked(s)
	return s, nil
}

// SeqNum returns the sequence number the snapshot reads at.
func (s *Snapshot) SeqNum() uint64 { return uint64(s.seq) }

// Token returns a WriteToken for the snapshot's sequence number.
func (s *Snapshot) Token() WriteToken { return WriteToken{seq: s.seq} }

func (s *Snapshot) check() error {
	if s == nil || s.closed.Load() || s.db.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Get returns the value of key visible at the snapshot, or ErrNotFound.
func (s *Snapshot) Get(key []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rs := s.db.loadReadState()
	defer rs.unref()
	return s.db.getAt(rs, key, s.seq)
}

// NewIter returns an iterator at the snapshot.
func (s *Snapshot) NewIter(o *IterOptions) (*Iterator, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.db.newIter(s.db.loadReadState(), s.seq, o, nil)
}

// Close releases the snapshot. A second Close returns ErrClosed.
func (s *Snapshot) Close() error {
	if s == nil || !s.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	s.db.mu.Lock()
	s.db.mu.snapshots.removeLocked(s)
	s.db.mu.Unlock()
	// Versions and files the snapshot held back may now be dropped.
	s.db.maybeScheduleCompaction()
	return nil
}
