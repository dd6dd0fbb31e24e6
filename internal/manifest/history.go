package manifest

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// HistoryLimit bounds the history a manifest keeps (HistoryEntry): the
// last HistoryLimit edits that changed tables. It bounds what each
// snapshot carries (40 to 60 bytes an entry) and what the state holds in
// memory (about 200 bytes an entry).
const HistoryLimit = 10_000

// EventKind says what an edit that changed tables did.
type EventKind uint8

const (
	// EventFlush adds files and moves MinUnflushedLog: memtables written
	// to L0 (or, at Open, the WALs replayed).
	EventFlush EventKind = 1
	// EventIngest adds files and removes none.
	EventIngest EventKind = 2
	// EventCompaction removes files and writes new ones.
	EventCompaction EventKind = 3
	// EventMove re-adds every file it adds from those it removes, at
	// another level: nothing is written.
	EventMove EventKind = 4
	// EventDeleteOnly removes files and adds none.
	EventDeleteOnly EventKind = 5
)

func (k EventKind) String() string {
	switch k {
	case EventFlush:
		return "flush"
	case EventIngest:
		return "ingest"
	case EventCompaction:
		return "compaction"
	case EventMove:
		return "move"
	case EventDeleteOnly:
		return "delete-only"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

func (k EventKind) valid() bool { return k >= EventFlush && k <= EventDeleteOnly }

// Event is what one edit did to the tables.
type Event struct {
	Kind EventKind
	// From is the lowest level of the removed files (-1 when none is:
	// a flush or an ingestion); To the highest level of the added files
	// (From when none is: a delete-only compaction).
	From, To int
	// InFiles and InBytes are the removed files, OutFiles and OutBytes
	// the added ones.
	InFiles, OutFiles uint64
	InBytes, OutBytes uint64
	// Written is the bytes of the added files that are new: OutBytes less
	// those of the files re-added at another level.
	Written uint64
}

// Entered returns the bytes that entered the tree: a flush's or an
// ingestion's output; 0 for the others.
func (ev Event) Entered() uint64 {
	if ev.Kind == EventFlush || ev.Kind == EventIngest {
		return ev.OutBytes
	}
	return 0
}

// EventOf returns what e does to the tables, given the size of each
// file live before it, or false if e adds and removes none.
func EventOf(e *Edit, size func(base.FileNum) uint64) (Event, bool) {
	if len(e.Added) == 0 && len(e.Removed) == 0 {
		return Event{}, false
	}
	ev := Event{From: NumLevels, To: -1, InFiles: uint64(len(e.Removed)), OutFiles: uint64(len(e.Added))}
	removed := make(map[base.FileNum]bool, len(e.Removed))
	for _, r := range e.Removed {
		removed[r.FileNum] = true
		ev.From = min(ev.From, r.Level)
		ev.InBytes += size(r.FileNum)
	}
	moved := 0
	for i := range e.Added {
		a := &e.Added[i]
		ev.To = max(ev.To, a.Level)
		ev.OutBytes += a.Size
		if removed[a.FileNum] {
			moved++
		} else {
			ev.Written += a.Size
		}
	}
	switch {
	case len(e.Removed) == 0:
		ev.Kind, ev.From = EventIngest, -1
		if e.MinUnflushedLog != 0 {
			ev.Kind = EventFlush
		}
	case len(e.Added) == 0:
		ev.Kind, ev.To = EventDeleteOnly, ev.From
	case moved == len(e.Added):
		ev.Kind = EventMove
	default:
		ev.Kind = EventCompaction
	}
	return ev, true
}

// LevelSize is a level's file count and bytes.
type LevelSize struct{ Files, Bytes uint64 }

// HistoryEntry is one edit that changed tables, as the history keeps it:
// when it was applied (Edit.Time), what it did, and the levels after it.
//
// From FormatV7 on, the manifest keeps the last HistoryLimit of them:
// every edit with a time that adds or removes files appends one, except
// the first edit of a manifest file (a new database's, a snapshot, a
// checkpoint's), which records the tree rather than changes it; each
// snapshot carries the history (tag 70), so it outlives the manifest
// files that held the edits. Recovery never reads it.
type HistoryEntry struct {
	Time int64
	Event
	Levels [NumLevels]LevelSize
}

// History returns the history the manifest keeps, oldest first (see
// HistoryEntry); empty below FormatV7.
func (m *Manifest) History() []HistoryEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().history.list()
}

// ReplayHistory applies edits, a manifest file's from its first, to a new
// state and returns the history it keeps after the last. An edit that
// breaks an invariant fails it (base.ErrInvalidArgument).
func ReplayHistory(edits []*Edit) ([]HistoryEntry, error) {
	s := newState()
	for i, e := range edits {
		if err := s.Apply(e); err != nil {
			return nil, fmt.Errorf("edit %d: %w", i, err)
		}
	}
	return s.history.list(), nil
}

// checkTime checks e's time and history against the state (see state).
func (s *state) checkTime(e *Edit) error {
	v := max(s.formatVersion(), e.FormatVersion)
	switch {
	case (e.Time != 0 || len(e.History) > 0) && v < FormatV7:
		return invariantf("an edit time or history needs format version %d, not %d", FormatV7, v)
	case e.Time < 0:
		return invariantf("edit time %d is negative", e.Time)
	case e.Time != 0 && e.Time < s.lastTime:
		return invariantf("edit time %d would go back from %d", e.Time, s.lastTime)
	case len(e.History) > 0 && s.comparerName != "":
		return invariantf("a history in an edit that is not the first of its file")
	}
	return nil
}

// applyTime applies a checked edit's time and history; ev is what the
// edit did to the tables (EventOf, before it), first whether it is the
// first edit of the state. Requires the levels after the edit.
func (s *state) applyTime(e *Edit, ev Event, changed, first bool) {
	if len(e.History) > 0 {
		s.history.reset(e.History)
	}
	if e.Time == 0 {
		return
	}
	s.lastTime = e.Time
	if changed && !first {
		s.history.add(HistoryEntry{Time: e.Time, Event: ev, Levels: s.levels})
	}
}

// history is a ring of the last HistoryLimit entries.
type history struct {
	entries []HistoryEntry
	// oldest is the index of the oldest entry once the ring is full.
	oldest int
}

func (h *history) add(e HistoryEntry) {
	if len(h.entries) < HistoryLimit {
		h.entries = append(h.entries, e)
		return
	}
	h.entries[h.oldest] = e
	h.oldest = (h.oldest + 1) % HistoryLimit
}

// reset replaces the entries by the last HistoryLimit of list.
func (h *history) reset(list []HistoryEntry) {
	h.entries = append(h.entries[:0], list[max(0, len(list)-HistoryLimit):]...)
	h.oldest = 0
}

// list returns the entries, oldest first, in a new slice.
func (h *history) list() []HistoryEntry {
	if len(h.entries) == 0 {
		return nil
	}
	out := make([]HistoryEntry, 0, len(h.entries))
	out = append(out, h.entries[h.oldest:]...)
	return append(out, h.entries[:h.oldest]...)
}

// stampTime sets e's time: the clock's, in a database of FormatV7 or
// later, held at the last edit's if the clock went back, and at least 1
// (0 is none); none below.
func (s *state) stampTime(e *Edit, now int64) {
	e.Time = 0
	if max(s.formatVersion(), e.FormatVersion) >= FormatV7 {
		e.Time = max(now, s.lastTime, 1)
	}
}

// updateLevels moves the level sizes by the files e removes (given their
// metadata before e) and adds.
func (s *state) updateLevels(e *Edit) {
	for _, r := range e.Removed {
		f := s.files[r.FileNum]
		s.levels[f.Level].Files--
		s.levels[f.Level].Bytes -= f.Size
	}
	for i := range e.Added {
		f := &e.Added[i]
		s.levels[f.Level].Files++
		s.levels[f.Level].Bytes += f.Size
	}
}
