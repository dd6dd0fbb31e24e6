package tool

import (
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// lsmEventKind names what an edit did to the tree.
type lsmEventKind string

const (
	eventFlush      lsmEventKind = "flush"
	eventIngest     lsmEventKind = "ingest"
	eventCompaction lsmEventKind = "compaction"
	eventMove       lsmEventKind = "move"
	eventDeleteOnly lsmEventKind = "delete-only"
)

// lsmEvent is one edit that changed the tables: its inputs, at levels
// From (-1: the memtable) and its outputs, at level To.
type lsmEvent struct {
	Edit              int
	Kind              lsmEventKind
	From, To          int
	InFiles, OutFiles int
	InBytes, OutBytes uint64
	writtenBytes      uint64 // bytes of new tables (0 for a move)
	ingestedOrFlushed uint64 // bytes that entered the tree
}

// lsmHistory is the tree as the edits of the manifest file in use built
// it, edit by edit. Edit 0 is the file's first edit: after a rotation, a
// snapshot of the whole tree, so the history starts from that state and
// counts nothing it holds as written.
type lsmHistory struct {
	File  string
	Edits int
	// Files and Bytes are, per level, the file count and bytes after
	// each edit.
	Files [manifest.NumLevels][]float64
	Bytes [manifest.NumLevels][]float64
	// WriteAmp is, after each edit, the bytes of all tables written
	// (flushed, ingested and compacted) divided by the bytes flushed and
	// ingested, since edit 0; 0 until a first flush.
	WriteAmp []float64
	Events   []lsmEvent
	// Live are the files after the last edit.
	Live map[base.FileNum]manifest.FileMetadata
	// TornTail is set when the file ended in a torn edit (a crash, or an
	// append in progress): the history stops before it.
	TornTail bool
}

// readLSMHistory reads the manifest file in use of the database in dir,
// without the database's lock: it opens the file read-only, as manifest
// dump does, so it works on a database in use.
func readLSMHistory(dir string) (*lsmHistory, error) {
	mdir, err := manifestDir(dir)
	if err != nil {
		return nil, err
	}
	files, err := manifestFiles(vfs.Default, mdir)
	if err != nil {
		return nil, err
	}
	inUse := -1
	for i, f := range files {
		if validJournalHeader(f.path, f.num) {
			inUse = i
		}
	}
	if inUse < 0 {
		return nil, fmt.Errorf("db lsm: corrupt manifest: no file in %s has a valid header", mdir)
	}
	f := files[inUse]
	_, edits, err := journal.ReadFile(vfs.Default, f.path, manifest.Codec{})
	torn := errors.Is(err, journal.ErrTornTail)
	if err != nil && !torn {
		return nil, fmt.Errorf("db lsm: corrupt manifest: %w", err)
	}
	h := buildLSMHistory(edits)
	h.File, h.TornTail = f.path[len(mdir)+1:], torn
	return h, nil
}

// buildLSMHistory replays edits.
func buildLSMHistory(edits []*manifest.Edit) *lsmHistory {
	h := &lsmHistory{Edits: len(edits), Live: map[base.FileNum]manifest.FileMetadata{}}
	var entered, written uint64
	for i, e := range edits {
		ev, ok := classifyEdit(i, e, h.Live)
		for _, r := range e.Removed {
			delete(h.Live, r.FileNum)
		}
		for _, a := range e.Added {
			h.Live[a.FileNum] = a
		}
		if ok && i > 0 {
			h.Events = append(h.Events, ev)
			entered += ev.ingestedOrFlushed
			written += ev.writtenBytes
		}
		h.sample(entered, written)
	}
	return h
}

// sample appends the current per-level figures and write amplification.
func (h *lsmHistory) sample(entered, written uint64) {
	var files [manifest.NumLevels]float64
	var bytes [manifest.NumLevels]float64
	for _, f := range h.Live {
		files[f.Level]++
		bytes[f.Level] += float64(f.Size)
	}
	for l := range manifest.NumLevels {
		h.Files[l] = append(h.Files[l], files[l])
		h.Bytes[l] = append(h.Bytes[l], bytes[l])
	}
	wa := 0.0
	if entered > 0 {
		wa = float64(written) / float64(entered)
	}
	h.WriteAmp = append(h.WriteAmp, wa)
}

// classifyEdit describes edit i, applied to the files live before it, or reports false if it changed no table.
// A flush adds L0 files and moves the WAL floor (MinUnflushedLog); an
// ingest adds files without removing any; a compaction removes files and
// adds new ones; a move re-adds the files it removes at another level; a
// delete-only compaction removes files and adds none.
func classifyEdit(i int, e *manifest.Edit, live map[base.FileNum]manifest.FileMetadata) (lsmEvent, bool) {
	if len(e.Added) == 0 && len(e.Removed) == 0 {
		return lsmEvent{}, false
	}
	ev := lsmEvent{Edit: i, From: manifest.NumLevels, To: -1, InFiles: len(e.Removed), OutFiles: len(e.Added)}
	removed := map[base.FileNum]bool{}
	for _, r := range e.Removed {
		removed[r.FileNum] = true
		ev.From = min(ev.From, r.Level)
		ev.InBytes += live[r.FileNum].Size
	}
	moved := 0
	for _, a := range e.Added {
		ev.To = max(ev.To, a.Level)
		ev.OutBytes += a.Size
		if removed[a.FileNum] {
			moved++
		} else {
			ev.writtenBytes += a.Size
		}
	}
	switch {
	case len(e.Removed) == 0:
		ev.Kind, ev.From, ev.ingestedOrFlushed = eventIngest, -1, ev.OutBytes
		if e.MinUnflushedLog != 0 {
			ev.Kind = eventFlush
		}
	case len(e.Added) == 0:
		ev.Kind, ev.To = eventDeleteOnly, ev.From
	case moved == len(e.Added):
		ev.Kind = eventMove
	default:
		ev.Kind = eventCompaction
	}
	return ev, true
}
