package manifest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// state is the manifest's replayable state machine
// (journal.Replayable[*Edit]).
//
// Invariants, enforced by Check (and so by Apply, and on replay):
//   - the comparer name, once set, never changes; nor does the merger
//     name, which only a database of FormatV4 or later records;
//   - NextFileNum, LastSeqNum and MinUnflushedLog only rise: an edit
//     carrying a lower value than the current one is rejected, not ignored,
//     because it can only come from a bug or a damaged manifest;
//   - LastSeqNum <= base.SeqNumMax and MinUnflushedLog <= NextFileNum;
//   - a removed file is live, at the level the removal names, and is removed
//     at most once per edit;
//   - an added file has a valid level, SmallestSeq <= LargestSeq <=
//     base.SeqNumMax, DeletionCount <= EntryCount, a number below
//     NextFileNum (after the edit), not live once the edit's removals
//     are applied, and not obsolete;
//   - a closed log is below NextFileNum, at or above MinUnflushedLog
//     (after the edit), and recorded once;
//   - an obsolete file has a valid kind, a number below NextFileNum, is
//     not already obsolete, and is not live after the edit (an SST) or
//     is below MinUnflushedLog after the edit (a WAL);
//   - a deleted file is obsolete before the edit, and named once;
//   - the format version only rises, and is at most FormatNewest (a
//     newer one fails with base.ErrFormatVersion);
//   - an edit time (Edit.Time) and a history appear only from FormatV7
//     on; the time is not negative and never goes back; a history
//     appears only in the first edit of a state (a snapshot).
//
// NextFileNum is persisted explicitly, in every edit that raises it and in
// the snapshot, rather than derived from the live files: removing the file
// with the highest number and rotating the journal therefore cannot bring
// an old number back.
type state struct {
	// visibleSeqNum and horizon only rise (Edit.VisibleSeqNum, Horizon).
	visibleSeqNum, horizon base.SeqNum
	files                  map[base.FileNum]*FileMetadata
	comparerName           string
	mergerName             string
	nextFileNum            base.FileNum
	lastSeqNum             base.SeqNum
	minUnflushedLog        base.FileNum
	// cleanClose is true iff the last applied edit had CleanClose set.
	cleanClose bool
	// closedLogs are the closed WALs at or above minUnflushedLog.
	closedLogs map[base.FileNum]ClosedLog
	// obsolete are the files that may still exist and may be deleted.
	obsolete map[base.FileNum]FileKind
	// orphanFloor only rises (Edit.OrphanFloor).
	orphanFloor base.FileNum
	// format is the recorded format version (Edit.FormatVersion), 0 if
	// none; see formatVersion.
	format uint32
	blobState
	// lastTime is the time of the last edit with one (Edit.Time), 0 if
	// none.
	lastTime int64
	// levels are the live files' count and bytes per level.
	levels [NumLevels]LevelSize
	// history is the last HistoryLimit edits that changed tables
	// (HistoryEntry).
	history history
}

func newState() *state {
	return &state{
		files:      make(map[base.FileNum]*FileMetadata),
		closedLogs: make(map[base.FileNum]ClosedLog),
		obsolete:   make(map[base.FileNum]FileKind),
		blobState: blobState{
			blobs:    make(map[base.FileNum]BlobFile),
			blobRefs: make(map[base.FileNum]int),
		},
	}
}

func invariantf(format string, args ...any) error {
	return base.InvalidArgumentf("manifest: "+format, args...)
}

// Check reports whether e can be applied, without changing the state. Its
// errors match base.ErrInvalidArgument.
func (s *state) Check(e *Edit) error {
	if e == nil {
		return invariantf("nil edit")
	}
	next, minLog, err := s.checkCounters(e)
	if err != nil {
		return err
	}
	removed, err := s.checkRemoved(e)
	if err != nil {
		return err
	}
	if err := s.checkAdded(e, next, removed); err != nil {
		return err
	}
	if e.OrphanFloor > next {
		return invariantf("OrphanFloor %s is beyond NextFileNum %s", e.OrphanFloor, next)
	}
	if err := s.checkClosedLogs(e, next, minLog); err != nil {
		return err
	}
	if err := s.checkObsolete(e, next, minLog, removed); err != nil {
		return err
	}
	if err := s.checkBlobs(e, next); err != nil {
		return err
	}
	if err := s.checkTime(e); err != nil {
		return err
	}
	return s.checkDeleted(e)
}

// checkCounters checks e's format version, comparer and counters, and
// returns NextFileNum and MinUnflushedLog as they would be after e.
func (s *state) checkCounters(e *Edit) (next, minLog base.FileNum, _ error) {
	if err := checkFormatVersion(e.FormatVersion); err != nil {
		return 0, 0, err
	}
	if e.FormatVersion != 0 && e.FormatVersion < s.format {
		return 0, 0, invariantf("format version %d would go back from %d", e.FormatVersion, s.format)
	}
	if e.ComparerName != "" && s.comparerName != "" && e.ComparerName != s.comparerName {
		return 0, 0, invariantf("comparer %q cannot change to %q", s.comparerName, e.ComparerName)
	}
	if e.MergerName != "" && s.mergerName != "" && e.MergerName != s.mergerName {
		return 0, 0, invariantf("merger %q cannot change to %q", s.mergerName, e.MergerName)
	}
	if e.MergerName != "" && max(s.format, e.FormatVersion) < FormatV4 {
		return 0, 0, invariantf("merger name needs format version %d", FormatV4)
	}
	next = s.nextFileNum
	if e.NextFileNum != 0 {
		if e.NextFileNum < next {
			return 0, 0, invariantf("NextFileNum %s would go back from %s", e.NextFileNum, next)
		}
		next = e.NextFileNum
	}
	if e.LastSeqNum != 0 {
		if e.LastSeqNum < s.lastSeqNum {
			return 0, 0, invariantf("LastSeqNum %d would go back from %d", uint64(e.LastSeqNum), uint64(s.lastSeqNum))
		}
		if !e.LastSeqNum.Valid() {
			return 0, 0, invariantf("LastSeqNum %d exceeds the maximum sequence number", uint64(e.LastSeqNum))
		}
	}
	minLog = s.minUnflushedLog
	if e.MinUnflushedLog != 0 {
		if e.MinUnflushedLog < minLog {
			return 0, 0, invariantf("MinUnflushedLog %s would go back from %s", e.MinUnflushedLog, minLog)
		}
		minLog = e.MinUnflushedLog
	}
	if minLog > next {
		return 0, 0, invariantf("MinUnflushedLog %s is beyond NextFileNum %s", minLog, next)
	}
	return next, minLog, nil
}

// checkRemoved checks e's removed files and returns their set.
func (s *state) checkRemoved(e *Edit) (map[base.FileNum]bool, error) {
	var removed map[base.FileNum]bool
	if len(e.Removed) > 0 {
		removed = make(map[base.FileNum]bool, len(e.Removed))
	}
	for _, r := range e.Removed {
		if !validLevel(r.Level) {
			return nil, invariantf("removed file %s has invalid level %d", r.FileNum, r.Level)
		}
		f, ok := s.files[r.FileNum]
		switch {
		case !ok:
			return nil, invariantf("removes unknown file %s", r.FileNum)
		case f.Level != r.Level:
			return nil, invariantf("removes file %s from L%d, but it is in L%d", r.FileNum, r.Level, f.Level)
		case removed[r.FileNum]:
			return nil, invariantf("removes file %s twice", r.FileNum)
		}
		removed[r.FileNum] = true
	}
	return removed, nil
}

// checkAdded checks e's added files, given NextFileNum after e and the
// files e removes.
func (s *state) checkAdded(e *Edit, next base.FileNum, removed map[base.FileNum]bool) error {
	var added map[base.FileNum]bool
	if len(e.Added) > 1 {
		added = make(map[base.FileNum]bool, len(e.Added))
	}
	for i := range e.Added {
		f := &e.Added[i]
		if err := s.checkAddedFile(e, f, next); err != nil {
			return err
		}
		if added[f.FileNum] {
			return invariantf("adds file %s twice", f.FileNum)
		}
		if _, live := s.files[f.FileNum]; live && !removed[f.FileNum] {
			return invariantf("adds file %s, which is already live", f.FileNum)
		}
		if _, obs := s.obsolete[f.FileNum]; obs {
			return invariantf("adds file %s, which is obsolete", f.FileNum)
		}
		if added != nil {
			added[f.FileNum] = true
		}
	}
	return nil
}

// checkAddedFile checks one added file's own fields.
func (s *state) checkAddedFile(e *Edit, f *FileMetadata, next base.FileNum) error {
	switch {
	case !validLevel(f.Level):
		return invariantf("added file %s has invalid level %d", f.FileNum, f.Level)
	case f.FileNum >= next:
		return invariantf("added file %s is not below NextFileNum %s", f.FileNum, next)
	case f.SmallestSeq > f.LargestSeq:
		return invariantf("added file %s has SmallestSeq %d > LargestSeq %d", f.FileNum, uint64(f.SmallestSeq), uint64(f.LargestSeq))
	case !f.LargestSeq.Valid():
		return invariantf("added file %s has LargestSeq %d beyond the maximum", f.FileNum, uint64(f.LargestSeq))
	case f.DeletionCount > f.EntryCount:
		return invariantf("added file %s has %d deletions but %d entries", f.FileNum, f.DeletionCount, f.EntryCount)
	case f.GlobalSeq != 0 && (f.SmallestSeq != f.GlobalSeq || f.LargestSeq != f.GlobalSeq):
		return invariantf("ingested file %s has seqnums [%d, %d], not its global seqnum %d",
			f.FileNum, uint64(f.SmallestSeq), uint64(f.LargestSeq), uint64(f.GlobalSeq))
	case f.GlobalSeq != 0 && max(s.formatVersion(), e.FormatVersion) < FormatV3:
		return invariantf("ingested file %s in a database of format version %d: ingest needs version %d",
			f.FileNum, max(s.formatVersion(), e.FormatVersion), FormatV3)
	}
	return nil
}

// checkClosedLogs checks e.ClosedLogs against the counters after e.
func (s *state) checkClosedLogs(e *Edit, next, minLog base.FileNum) error {
	seen := make(map[base.FileNum]bool, len(e.ClosedLogs))
	for _, c := range e.ClosedLogs {
		_, recorded := s.closedLogs[c.FileNum]
		switch {
		case c.FileNum >= next:
			return invariantf("closed log %s is not below NextFileNum %s", c.FileNum, next)
		case c.FileNum < minLog:
			return invariantf("closed log %s is below MinUnflushedLog %s", c.FileNum, minLog)
		case recorded || seen[c.FileNum]:
			return invariantf("closed log %s recorded twice", c.FileNum)
		}
		seen[c.FileNum] = true
	}
	return nil
}

// checkObsolete checks e.Obsolete: removed lists the SSTs e removes.
func (s *state) checkObsolete(e *Edit, next, minLog base.FileNum, removed map[base.FileNum]bool) error {
	seen := make(map[base.FileNum]bool, len(e.Obsolete))
	for _, o := range e.Obsolete {
		_, already := s.obsolete[o.FileNum]
		_, live := s.files[o.FileNum]
		switch {
		case !o.Kind.valid():
			return invariantf("obsolete file %s has invalid kind %d", o.FileNum, uint8(o.Kind))
		case o.FileNum >= next:
			return invariantf("obsolete file %s is not below NextFileNum %s", o.FileNum, next)
		case already || seen[o.FileNum]:
			return invariantf("file %s made obsolete twice", o.FileNum)
		case o.Kind == KindTable && (live && !removed[o.FileNum] || e.adds(o.FileNum)):
			return invariantf("SST %s made obsolete while live", o.FileNum)
		case o.Kind == KindLog && o.FileNum >= minLog:
			return invariantf("WAL %s made obsolete at or above MinUnflushedLog %s", o.FileNum, minLog)
		}
		seen[o.FileNum] = true
	}
	return nil
}

// checkDeleted checks e.Deleted.
func (s *state) checkDeleted(e *Edit) error {
	seen := make(map[base.FileNum]bool, len(e.Deleted))
	for _, n := range e.Deleted {
		if _, obs := s.obsolete[n]; !obs || seen[n] {
			return invariantf("deletes file %s, which is not obsolete (or is named twice)", n)
		}
		seen[n] = true
	}
	return nil
}

// adds reports whether e adds file num.
func (e *Edit) adds(num base.FileNum) bool {
	for i := range e.Added {
		if e.Added[i].FileNum == num {
			return true
		}
	}
	return false
}

// Apply applies e. It keeps pointers into e.Added: e must not be modified
// afterwards.
func (s *state) Apply(e *Edit) error {
	if err := s.Check(e); err != nil {
		return err
	}
	first := s.comparerName == ""
	ev, changed := EventOf(e, func(n base.FileNum) uint64 { return s.files[n].Size })
	if e.ComparerName != "" {
		s.comparerName = e.ComparerName
	}
	if e.MergerName != "" {
		s.mergerName = e.MergerName
	}
	if e.NextFileNum != 0 {
		s.nextFileNum = e.NextFileNum
	}
	if e.LastSeqNum != 0 {
		s.lastSeqNum = e.LastSeqNum
	}
	if e.MinUnflushedLog != 0 {
		s.minUnflushedLog = e.MinUnflushedLog
	}
	s.visibleSeqNum = max(s.visibleSeqNum, e.VisibleSeqNum)
	s.horizon = max(s.horizon, e.Horizon)
	s.applyBlobs(e)
	s.updateLevels(e)
	for _, r := range e.Removed {
		delete(s.files, r.FileNum)
	}
	for i := range e.Added {
		s.files[e.Added[i].FileNum] = &e.Added[i]
	}
	s.applyRecords(e)
	s.applyTime(e, ev, changed, first)
	s.cleanClose = e.CleanClose
	return nil
}

// applyRecords applies the closed logs, obsolete and deleted files and
// the orphan floor of a checked edit.
func (s *state) applyRecords(e *Edit) {
	for _, c := range e.ClosedLogs {
		s.closedLogs[c.FileNum] = c
	}
	for n := range s.closedLogs {
		if n < s.minUnflushedLog {
			delete(s.closedLogs, n) // flushed: recovery no longer reads it
		}
	}
	for _, o := range e.Obsolete {
		s.obsolete[o.FileNum] = o.Kind
	}
	for _, n := range e.Deleted {
		delete(s.obsolete, n)
	}
	s.orphanFloor = max(s.orphanFloor, e.OrphanFloor)
	s.format = max(s.format, e.FormatVersion)
}

// Snapshot returns the edit that rebuilds s from the initial state: the
// comparer name, the three counters, every live file (by file number),
// the clean-close flag, and from FormatV7 on the last edit's time and
// the history.
func (s *state) Snapshot() *Edit {
	e := &Edit{
		ComparerName:    s.comparerName,
		MergerName:      s.mergerName,
		NextFileNum:     s.nextFileNum,
		LastSeqNum:      s.lastSeqNum,
		MinUnflushedLog: s.minUnflushedLog,
		CleanClose:      s.cleanClose,
		VisibleSeqNum:   s.visibleSeqNum,
		Horizon:         s.horizon,
		ClosedLogs:      s.sortedClosedLogs(),
		Obsolete:        s.sortedObsolete(),
		OrphanFloor:     s.orphanFloor,
		FormatVersion:   s.format,
		Time:            s.lastTime,
		History:         s.history.list(),
	}
	if len(s.blobs) > 0 {
		e.AddedBlobs = s.sortedBlobs()
	}
	files := s.sortedFiles()
	if len(files) > 0 {
		e.Added = make([]FileMetadata, len(files))
		for i, f := range files {
			e.Added[i] = *f
		}
	}
	return e
}

// sortedClosedLogs returns the closed logs ordered by file number.
func (s *state) sortedClosedLogs() []ClosedLog {
	var out []ClosedLog
	for _, c := range s.closedLogs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FileNum < out[j].FileNum })
	return out
}

// sortedObsolete returns the obsolete files ordered by file number.
func (s *state) sortedObsolete() []ObsoleteFile {
	var out []ObsoleteFile
	for n, k := range s.obsolete {
		out = append(out, ObsoleteFile{Kind: k, FileNum: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FileNum < out[j].FileNum })
	return out
}

// sortedFiles returns the live files ordered by file number.
func (s *state) sortedFiles() []*FileMetadata {
	files := make([]*FileMetadata, 0, len(s.files))
	for _, f := range s.files {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].FileNum < files[j].FileNum })
	return files
}
