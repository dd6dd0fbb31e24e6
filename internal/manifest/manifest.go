package manifest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// FilePrefix is the journal file prefix of the manifest: files are named
// "manifest-000003".
const FilePrefix = base.ManifestPrefix

// Manifest records which SSTs make up the LSM and the counters that must
// never go back (file numbers, sequence numbers, the oldest unflushed WAL).
// It is a journal of Edits; every Apply is durable before it takes effect.
//
// All methods are safe for concurrent use.
type Manifest struct {
	cmp *base.Comparer
	// wasCleanClose is the clean-close flag found at Open.
	wasCleanClose bool
	// version is the current Version, replaced after every Apply that
	// changes files.
	version atomic.Pointer[Version]

	mu struct {
		sync.Mutex
		// j's state is read and appended to only with mu held, so an Apply
		// validates and appends against the state it checked.
		j *journal.Journal[*state, *Edit]
		// now is the clock that stamps edits (Edit.Time).
		now func() time.Time
	}
}

// SetClock makes now the clock that stamps edits (Edit.Time); the
// default is time.Now.
func (m *Manifest) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.now = now
}

// Open opens or creates the manifest in dir. cmp orders keys for Versions
// (nil means base.DefaultComparer). If the manifest records a comparer name
// that differs from cmp.Name, Open fails with an error matching
// base.ErrInvalidArgument. A new manifest records no name yet: the
// caller's first edit sets Edit.ComparerName. A damaged manifest, or one
// whose files break the Version invariants, fails with an error matching
// base.ErrCorruption.
func Open(fs vfs.FS, dir string, cmp *base.Comparer, cfg journal.Config) (*Manifest, error) {
	cmp, err := checkComparer(cmp)
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(fs, dir, FilePrefix, newState, Codec{}, cfg)
	if err != nil {
		return nil, err
	}
	return newManifest(j, cmp)
}

// OpenTentative opens the manifest like Open, but writes to or removes no
// file that exists until Commit (see journal.OpenTentative): a caller
// that fails before Commit removes the files that were not in dir before,
// and the manifest is as it was.
func OpenTentative(fs vfs.FS, dir string, cmp *base.Comparer, cfg journal.Config) (*Manifest, error) {
	cmp, err := checkComparer(cmp)
	if err != nil {
		return nil, err
	}
	j, err := journal.OpenTentative(fs, dir, FilePrefix, newState, Codec{}, cfg)
	if err != nil {
		return nil, err
	}
	return newManifest(j, cmp)
}

// Commit ends a tentative open (see OpenTentative).
func (m *Manifest) Commit() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.j.Commit()
}

// checkComparer returns cmp, or the default for nil; it must be named.
func checkComparer(cmp *base.Comparer) (*base.Comparer, error) {
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	if cmp.Name == "" {
		return nil, base.InvalidArgumentf("manifest: comparer has no name")
	}
	return cmp, nil
}

// newManifest checks the state replayed by j and wraps it.
func newManifest(j *journal.Journal[*state, *Edit], cmp *base.Comparer) (*Manifest, error) {
	m := &Manifest{cmp: cmp}
	m.mu.j, m.mu.now = j, time.Now
	if err := m.init(); err != nil {
		_ = j.Close()
		return nil, err
	}
	return m, nil
}

// init checks the replayed state and builds the first Version.
func (m *Manifest) init() error {
	s := m.mu.j.Data()
	if s.comparerName != "" && s.comparerName != m.cmp.Name {
		return base.InvalidArgumentf("manifest: the database uses comparer %q, not %q", s.comparerName, m.cmp.Name)
	}
	v := newVersion(m.cmp, s.sortedFiles())
	if err := v.CheckInvariants(m.cmp); err != nil {
		return base.Corruptionf(m.mu.j.Path(), -1, "%v", err)
	}
	m.version.Store(v)
	m.wasCleanClose = s.cleanClose
	return nil
}

// Apply makes e durable, then applies it. e is copied: the caller may reuse
// it afterwards. From FormatV7 on, Apply stamps the copy with the clock's
// time (Edit.Time; see SetClock), whatever e.Time holds.
//
// An edit that would break an invariant (see state and
// Version.CheckInvariants) fails with an error matching
// base.ErrInvalidArgument and nothing is written. A write or sync failure
// leaves the manifest unchanged and fails this and every later Apply with
// the same error, which matches base.ErrReadOnly.
func (m *Manifest) Apply(e *Edit) error {
	if e == nil {
		return base.InvalidArgumentf("manifest: nil edit")
	}
	e = e.clone()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.j.Data().stampTime(e, m.mu.now().UnixNano())
	var nv *Version
	if len(e.Added) > 0 || len(e.Removed) > 0 {
		if err := m.mu.j.Data().Check(e); err != nil {
			return err
		}
		nv = m.version.Load().withEdit(m.cmp, e)
		if err := nv.CheckInvariants(m.cmp); err != nil {
			return base.InvalidArgumentf("manifest: edit %s: %v", e, err)
		}
	}
	if err := m.mu.j.Append(e); err != nil {
		return err
	}
	if nv != nil {
		m.version.Store(nv)
	}
	return nil
}

// Version returns the current Version. It is immutable, so it stays valid
// (and unchanged) after later edits.
func (m *Manifest) Version() *Version { return m.version.Load() }

// Files returns the live files ordered by file number. The files must not
// be modified.
func (m *Manifest) Files() []*FileMetadata {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().sortedFiles()
}

// NextFileNum returns the file number lease: no number >= it is in use.
func (m *Manifest) NextFileNum() base.FileNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().nextFileNum
}

// LastSeqNum returns the sequence number lease: no sequence number above it
// has been handed out.
func (m *Manifest) LastSeqNum() base.SeqNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().lastSeqNum
}

// VisibleSeqNum returns the newest seqnum recorded as committed (see
// Edit.VisibleSeqNum), 0 if none.
func (m *Manifest) VisibleSeqNum() base.SeqNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().visibleSeqNum
}

// Horizon returns the compaction horizon recorded (see Edit.Horizon), 0
// if none.
func (m *Manifest) Horizon() base.SeqNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().horizon
}

// MinUnflushedLog returns the oldest WAL file number that may hold data not
// yet in an SST.
func (m *Manifest) MinUnflushedLog() base.FileNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().minUnflushedLog
}

// ClosedLog returns the final size and checksum recorded for WAL num, if
// it was recorded closed and is at or above MinUnflushedLog.
func (m *Manifest) ClosedLog(num base.FileNum) (ClosedLog, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.mu.j.Data().closedLogs[num]
	return c, ok
}

// ClosedLogs returns the WALs recorded closed, ordered by file number.
func (m *Manifest) ClosedLogs() []ClosedLog {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().sortedClosedLogs()
}

// LogExpect returns what recovery must require of WAL num from the
// manifest (see wal.Expect): its final size and checksum if it was
// recorded closed, and a complete log if the database was closed cleanly
// and num is at or above MinUnflushedLog (recovery reads it).
func (m *Manifest) LogExpect(num base.FileNum) wal.Expect {
	c, ok := m.ClosedLog(num)
	return wal.Expect{
		Recorded: ok,
		Final:    wal.Final{Size: int64(c.Size), Checksum: c.Checksum},
		Ended:    m.WasCleanClose() && num >= m.MinUnflushedLog(),
	}
}

// Obsolete returns the files recorded obsolete and not yet deleted,
// ordered by file number.
func (m *Manifest) Obsolete() []ObsoleteFile {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().sortedObsolete()
}

// OrphanFloor returns the orphan floor (see Edit.OrphanFloor), 0 if none
// was ever recorded.
func (m *Manifest) OrphanFloor() base.FileNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().orphanFloor
}

// ComparerName returns the name of the comparer the database was created
// with, or "" if no edit has recorded one yet.
func (m *Manifest) ComparerName() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().comparerName
}

// MergerName returns the name of the Merger the database's merge operands
// need, or "" if none is recorded.
func (m *Manifest) MergerName() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().mergerName
}

// WasCleanClose reports whether the last edit found at Open was a clean
// close: the database was closed properly rather than crashing.
func (m *Manifest) WasCleanClose() bool { return m.wasCleanClose }

// Rotate starts a new manifest file holding a snapshot of the state.
func (m *Manifest) Rotate() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Rotate()
}

// JournalFileNum returns the number of the current manifest file.
func (m *Manifest) JournalFileNum() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.FileNum()
}

// ReplayInfo reports what Open found in the manifest journal.
func (m *Manifest) ReplayInfo() journal.ReplayInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.ReplayInfo()
}

// Close closes the manifest. It does not write a clean-close edit: the
// database appends one (Edit.CleanClose) before closing.
func (m *Manifest) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mu.j.Close(); err != nil {
		return fmt.Errorf("manifest: close: %w", err)
	}
	return nil
}
