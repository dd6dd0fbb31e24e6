package repair

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// manifestState is what the manifest says, read without changing
// anything: every readable edit of the newest journal file with a valid
// header (the one the engine would use), applied leniently, skipping
// damaged ones.
type manifestState struct {
	report ManifestReport
	// trusted is true when the file was read to its end or to a torn tail
	// (an append a crash cut short, never acknowledged): its live set is
	// then the database's. The state of a damaged manifest lacks the
	// damaged edits, and a missing one has none.
	trusted         bool
	comparerName    string
	live            map[base.FileNum]*manifest.FileMetadata
	minUnflushedLog base.FileNum
	cleanClose      bool
}

// readManifest reads the manifest in dir. A missing or unreadable
// manifest is not an error: repair then works from the files alone.
func readManifest(fs vfs.FS, dir string) (*manifestState, []string) {
	m := &manifestState{live: make(map[base.FileNum]*manifest.FileMetadata)}
	m.report.State = "missing"
	names, err := fs.List(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.report.State = fmt.Sprintf("unreadable: %v", err)
		}
		return m, nil
	}
	type journalFile struct {
		num  uint64
		name string
	}
	var files []journalFile
	for _, name := range names {
		if n, ok := journal.ParseFileName(manifest.FilePrefix, name); ok {
			files = append(files, journalFile{n, name})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].num > files[j].num })
	var notes []string
	for _, jf := range files {
		n, path := jf.num, fs.PathJoin(dir, jf.name)
		header, edits, damage, err := journal.SalvageFile(fs, path, manifest.Codec{})
		switch {
		case err != nil && !errors.Is(err, base.ErrCorruption):
			m.report.Path, m.report.State = path, fmt.Sprintf("unreadable: %v", err)
			return m, notes
		case err != nil || header.FileNum != n:
			notes = append(notes, fmt.Sprintf("%s: no valid header, ignored (an incomplete rotation or a leftover)", path))
			continue
		}
		m.replay(path, edits, damage)
		return m, notes
	}
	if len(files) > 0 {
		m.report.State = "damaged: no manifest file has a valid header"
	}
	return m, notes
}

// replay applies the edits read from path, around the damaged ranges.
func (m *manifestState) replay(path string, edits []*manifest.Edit, damage []journal.SalvageDamage) {
	m.report.Path, m.report.Edits = path, len(edits)
	for _, e := range edits {
		m.apply(e)
	}
	switch {
	case len(damage) == 0:
		m.report.State, m.trusted = "intact", true
	case len(damage) == 1 && damage[0].Tail:
		// The torn append of a crash: never acknowledged.
		m.report.State, m.trusted = fmt.Sprintf("torn tail at offset %d (%s)", damage[0].Offset, damage[0].Reason), true
	default:
		m.report.State = fmt.Sprintf("damaged: %d ranges skipped, the first at offset %d (%s)",
			len(damage), damage[0].Offset, damage[0].Reason)
	}
	m.report.LiveFiles = len(m.live)
	m.report.MinUnflushedLog, m.report.CleanClose = m.minUnflushedLog, m.cleanClose
}

// apply applies e without the engine's checks: a damaged manifest still
// tells what it can.
func (m *manifestState) apply(e *manifest.Edit) {
	if e.ComparerName != "" {
		m.comparerName = e.ComparerName
	}
	m.minUnflushedLog = max(m.minUnflushedLog, e.MinUnflushedLog)
	for _, r := range e.Removed {
		delete(m.live, r.FileNum)
	}
	for i := range e.Added {
		f := e.Added[i]
		m.live[f.FileNum] = &f
	}
	m.cleanClose = e.CleanClose
}
