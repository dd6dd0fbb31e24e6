package tool

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/charts"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// lsmEvent is one edit that changed the tables, placed at X: its edit
// number, or its time in Unix seconds.
type lsmEvent struct {
	X float64
	// Edit is the edit's number in the file (untimed), Time its time in
	// Unix nanoseconds (timed).
	Edit int
	Time int64
	manifest.Event
}

// lsmHistory is the tree's history as a manifest file tells it.
//
// When the file's edits carry times (format version 7 on), it is the
// history the manifest keeps (manifest.HistoryEntry): the last edits that
// changed tables, across rotations, one point each at its time in Unix
// seconds. Otherwise it is the file's edits, one point each at its
// number: edit 0 is the file's first edit, after a rotation a snapshot
// of the whole tree, so the history starts from that state and counts
// nothing it holds as written.
type lsmHistory struct {
	File  string
	Edits int
	// Timed is set when the edits carry times. Untimed then counts the
	// file's edits before the first with a time (written before the
	// database reached format version 7), which the history leaves out.
	Timed   bool
	Untimed int
	// X are the points: edit numbers, or Unix seconds.
	X []float64
	// Files and Bytes are, per level, the file count and bytes at each
	// point.
	Files [manifest.NumLevels][]float64
	Bytes [manifest.NumLevels][]float64
	// WriteAmp is, at each point, the bytes of all tables written
	// (flushed, ingested and compacted) divided by the bytes flushed and
	// ingested, since the first point; 0 until a first flush.
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
	h, err := buildLSMHistory(edits)
	if err != nil {
		return nil, fmt.Errorf("db lsm: corrupt manifest: %s: %w", f.path, err)
	}
	h.File, h.TornTail = f.path[len(mdir)+1:], torn
	return h, nil
}

// buildLSMHistory replays edits: by time if any carries one, by edit
// number otherwise.
func buildLSMHistory(edits []*manifest.Edit) (*lsmHistory, error) {
	h := &lsmHistory{Edits: len(edits), Live: map[base.FileNum]manifest.FileMetadata{}}
	first := slices.IndexFunc(edits, func(e *manifest.Edit) bool { return e.Time != 0 })
	if first < 0 {
		h.byEdit(edits)
		return h, nil
	}
	entries, err := manifest.ReplayHistory(edits)
	if err != nil {
		return nil, err
	}
	h.Timed, h.Untimed = true, first
	for _, e := range edits {
		h.apply(e)
	}
	var entered, written uint64
	for _, x := range entries {
		t := charts.UnixSeconds(x.Time)
		h.Events = append(h.Events, lsmEvent{X: t, Time: x.Time, Event: x.Event})
		entered += x.Entered()
		written += x.Written
		h.sample(t, x.Levels, entered, written)
	}
	return h, nil
}

// byEdit samples the tree after every edit, at its number.
func (h *lsmHistory) byEdit(edits []*manifest.Edit) {
	var entered, written uint64
	size := func(n base.FileNum) uint64 { return h.Live[n].Size }
	for i, e := range edits {
		ev, ok := manifest.EventOf(e, size)
		h.apply(e)
		if ok && i > 0 {
			h.Events = append(h.Events, lsmEvent{X: float64(i), Edit: i, Event: ev})
			entered += ev.Entered()
			written += ev.Written
		}
		var levels [manifest.NumLevels]manifest.LevelSize
		for _, f := range h.Live {
			levels[f.Level].Files++
			levels[f.Level].Bytes += f.Size
		}
		h.sample(float64(i), levels, entered, written)
	}
}

// apply applies e's files to Live.
func (h *lsmHistory) apply(e *manifest.Edit) {
	for _, r := range e.Removed {
		delete(h.Live, r.FileNum)
	}
	for _, a := range e.Added {
		h.Live[a.FileNum] = a
	}
}

// sample appends a point: the levels and write amplification at x.
func (h *lsmHistory) sample(x float64, levels [manifest.NumLevels]manifest.LevelSize, entered, written uint64) {
	h.X = append(h.X, x)
	for l, s := range levels {
		h.Files[l] = append(h.Files[l], float64(s.Files))
		h.Bytes[l] = append(h.Bytes[l], float64(s.Bytes))
	}
	wa := 0.0
	if entered > 0 {
		wa = float64(written) / float64(entered)
	}
	h.WriteAmp = append(h.WriteAmp, wa)
}
