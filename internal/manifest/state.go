package manifest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// state is the manifest's replayable state machine
// (journal.Replayable[*Edit]).
//
// Invariants, enforced by Check (and so by Apply, and on replay):
//   - the comparer name, once set, never changes;
//   - NextFileNum, LastSeqNum and MinUnflushedLog only rise: an edit
//     carrying a lower value than the current one is rejected, not ignored,
//     because it can only come from a bug or a damaged manifest;
//   - LastSeqNum <= base.SeqNumMax and MinUnflushedLog <= NextFileNum;
//   - a removed file is live, at the level the removal names, and is removed
//     at most once per edit;
//   - an added file has a valid level, SmallestSeq <= LargestSeq <=
//     base.SeqNumMax, DeletionCount <= EntryCount, a number below
//     NextFileNum (after the edit) and not live once the edit's removals
//     are applied.
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
	nextFileNum            base.FileNum
	lastSeqNum             base.SeqNum
	minUnflushedLog        base.FileNum
	// cleanClose is true iff the last applied edit had CleanClose set.
	cleanClose bool
}

func newState() *state {
	return &state{files: make(map[base.FileNum]*FileMetadata)}
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
	if e.ComparerName != "" && s.comparerName != "" && e.ComparerName != s.comparerName {
		return invariantf("comparer %q cannot change to %q", s.comparerName, e.ComparerName)
	}
	next := s.nextFileNum
	if e.NextFileNum != 0 {
		if e.NextFileNum < next {
			return invariantf("NextFileNum %s would go back from %s", e.NextFileNum, next)
		}
		next = e.NextFileNum
	}
	if e.LastSeqNum != 0 {
		if e.LastSeqNum < s.lastSeqNum {
			return invariantf("LastSeqNum %d would go back from %d", uint64(e.LastSeqNum), uint64(s.lastSeqNum))
		}
		if !e.LastSeqNum.Valid() {
			return invariantf("LastSeqNum %d exceeds the maximum sequence number", uint64(e.LastSeqNum))
		}
	}
	minLog := s.minUnflushedLog
	if e.MinUnflushedLog != 0 {
		if e.MinUnflushedLog < minLog {
			return invariantf("MinUnflushedLog %s would go back from %s", e.MinUnflushedLog, minLog)
		}
		minLog = e.MinUnflushedLog
	}
	if minLog > next {
		return invariantf("MinUnflushedLog %s is beyond NextFileNum %s", minLog, next)
	}

	var removed map[base.FileNum]bool
	if len(e.Removed) > 0 {
		removed = make(map[base.FileNum]bool, len(e.Removed))
	}
	for _, r := range e.Removed {
		if !validLevel(r.Level) {
			return invariantf("removed file %s has invalid level %d", r.FileNum, r.Level)
		}
		f, ok := s.files[r.FileNum]
		switch {
		case !ok:
			return invariantf("removes unknown file %s", r.FileNum)
		case f.Level != r.Level:
			return invariantf("removes file %s from L%d, but it is in L%d", r.FileNum, r.Level, f.Level)
		case removed[r.FileNum]:
			return invariantf("removes file %s twice", r.FileNum)
		}
		removed[r.FileNum] = true
	}

	var added map[base.FileNum]bool
	if len(e.Added) > 1 {
		added = make(map[base.FileNum]bool, len(e.Added))
	}
	for i := range e.Added {
		f := &e.Added[i]
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
		case added[f.FileNum]:
			return invariantf("adds file %s twice", f.FileNum)
		}
		if _, live := s.files[f.FileNum]; live && !removed[f.FileNum] {
			return invariantf("adds file %s, which is already live", f.FileNum)
		}
		if added != nil {
			added[f.FileNum] = true
		}
	}
	return nil
}

// Apply applies e. It keeps pointers into e.Added: e must not be modified
// afterwards.
func (s *state) Apply(e *Edit) error {
	if err := s.Check(e); err != nil {
		return err
	}
	if e.ComparerName != "" {
		s.comparerName = e.ComparerName
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
	for _, r := range e.Removed {
		delete(s.files, r.FileNum)
	}
	for i := range e.Added {
		s.files[e.Added[i].FileNum] = &e.Added[i]
	}
	s.cleanClose = e.CleanClose
	return nil
}

// Snapshot returns the edit that rebuilds s from the initial state: the
// comparer name, the three counters, every live file (by file number) and
// the clean-close flag.
func (s *state) Snapshot() *Edit {
	e := &Edit{
		ComparerName:    s.comparerName,
		NextFileNum:     s.nextFileNum,
		LastSeqNum:      s.lastSeqNum,
		MinUnflushedLog: s.minUnflushedLog,
		CleanClose:      s.cleanClose,
		VisibleSeqNum:   s.visibleSeqNum,
		Horizon:         s.horizon,
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

// sortedFiles returns the live files ordered by file number.
func (s *state) sortedFiles() []*FileMetadata {
	files := make([]*FileMetadata, 0, len(s.files))
	for _, f := range s.files {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].FileNum < files[j].FileNum })
	return files
}
