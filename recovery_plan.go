package tempest

import (
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/wal"
)

// Recovery decides from evidence, never from absence: the rules are the
// recovery table in docs/design.md, and each is applied where a comment
// names its row. This file applies the rows that need only the directory
// listings and the manifest (M*, S*, and the WAL rows W1, W3, W12, W14,
// W15); replay.go applies those that need a WAL's contents.

// recoveryPlan is what recovery decided before reading any WAL.
type recoveryPlan struct {
	// logs are the WALs to replay, in order.
	logs []base.FileNum
	// orphans are files to record obsolete with the recovery edit: SSTs
	// proved orphans (S5) and, in a manifest of an older version, WALs
	// below MinUnflushedLog (W14).
	orphans []manifest.ObsoleteFile
	// unrecorded are the files the recovery edit makes obsolete when the
	// format version keeps no such records (row M9): deleted all the
	// same once Open commits.
	unrecorded []manifest.ObsoleteFile
	// unknown are files left in place and reported (S6, W15, names).
	unknown []UnknownFileInfo
	// highest is the highest file number in wal/ and sst/.
	highest base.FileNum
}

// checkNewDB applies rows M1 and M2 to a manifest that records no
// comparer (none existed, or its creation crashed before the first edit):
// the database is new only if sst/ holds no SST and wal/ no WAL that
// holds a record. Files of a database without a readable manifest are
// never taken for an empty one: starting one would drop them, and then
// delete them as orphans. A WAL without records holds nothing to lose:
// an Open that failed and could not remove its new WAL leaves one.
func (d *DB) checkNewDB(a *openAttempt) error {
	what := "no manifest"
	if !d.manifest.ReplayInfo().Created {
		what = "the manifest records no database (no edit of it survives)"
	}
	return d.checkNoData(a, what, d.manifestFile())
}

// checkNoData returns ErrCorruption naming manifestPath if sst/ holds an
// SST or wal/ a WAL that holds a record (or cannot be read): a database
// whose manifest is, as what says, missing or empty, but whose data is not.
func (d *DB) checkNoData(a *openAttempt, what, manifestPath string) error {
	for _, name := range a.listed(d.dirs.wal) {
		num, ok := wal.ParseFileName(name)
		if !ok {
			continue
		}
		res, err := wal.Replay(d.fs, d.dirs.wal, num, func([]byte, int64) error { return nil })
		if err != nil || res.Records > 0 {
			return base.Corruptionf(manifestPath, -1,
				"%s, but %s holds WAL %s: the manifest was lost, and the database is not new", what, d.dirs.wal, name)
		}
	}
	for _, name := range a.listed(d.dirs.sst) {
		if _, ok := parseSSTFileName(name); ok || isBlobFileName(name) {
			return base.Corruptionf(manifestPath, -1,
				"%s, but %s holds SST %s: the manifest was lost, and the database is not new", what, d.dirs.sst, name)
		}
	}
	return nil
}

// manifestFile names the manifest file Open replayed, or the manifest
// directory if it found none. Errors that a lost manifest edit explains
// as well as a lost file name it (rows W1, W3, W11, W12, S2, M2).
func (d *DB) manifestFile() string {
	info := d.manifest.ReplayInfo()
	if info.Created {
		return d.dirs.manifest
	}
	return d.fs.PathJoin(d.dirs.manifest, journal.FileName(manifest.FilePrefix, info.FileNum))
}

// planRecovery classifies the files of wal/ and sst/ (as listed once the
// lock was taken: Open has created none since) and of the database and
// manifest directories.
func (d *DB) planRecovery(a *openAttempt) (*recoveryPlan, error) {
	p := &recoveryPlan{}
	if err := d.planLogs(p, a.listed(d.dirs.wal)); err != nil {
		return nil, err
	}
	d.planTables(p, a.listed(d.dirs.sst))
	for _, name := range a.listed(d.dirs.manifest) {
		if !journal.Owns(manifest.FilePrefix, name) {
			p.unknownFile(d.fs.PathJoin(d.dirs.manifest, name), "not a manifest file name")
		}
	}
	for _, name := range d.manifest.ReplayInfo().Foreign {
		p.unknownFile(d.fs.PathJoin(d.dirs.manifest, name), "named like a manifest file, but neither a valid one nor a leftover of the manifest's")
	}
	return p, nil
}

func (p *recoveryPlan) unknownFile(path, reason string) {
	p.unknown = append(p.unknown, UnknownFileInfo{Path: path, Reason: reason})
}

// planLogs classifies the WAL directory.
func (d *DB) planLogs(p *recoveryPlan, names []string) error {
	m := d.manifest
	minLog, lease := m.MinUnflushedLog(), m.NextFileNum()
	obsolete := obsoleteNums(m, manifest.KindLog)
	for _, name := range names {
		path := d.fs.PathJoin(d.dirs.wal, name)
		num, ok := wal.ParseFileName(name)
		if !ok {
			p.unknownFile(path, "not a WAL file name")
			continue
		}
		p.highest = max(p.highest, num)
		switch {
		case num >= lease:
			if err := d.checkPastLease(path, num, lease); err != nil {
				return err
			}
			p.unknownFile(path, "a WAL holding no record, numbered at or past the file-number lease: left by an Open that failed")
		case num >= minLog:
			p.logs = append(p.logs, num) // W2-W11, W13: replay.go
		case obsolete[num]:
			// W14: recorded obsolete; deleted once Open commits.
		case !m.Tracked():
			// W14, older version: below MinUnflushedLog means flushed.
			p.orphans = append(p.orphans, manifest.ObsoleteFile{Kind: manifest.KindLog, FileNum: num})
		default:
			// W15: its deletion was recorded, so this is a copy put back.
			p.unknownFile(path, "a WAL below MinUnflushedLog whose deletion the manifest recorded: a copy put back")
		}
	}
	slices.Sort(p.logs)
	return d.checkLogsPresent(p.logs)
}

// checkPastLease applies row W12 to WAL num, at or past the manifest's
// file-number lease. allocFileNum raises the lease before it hands out a
// number, so the WAL was created under a newer manifest: if it holds
// records, the manifest is older than the WAL (rolled back). One that
// holds none is the new WAL of an Open whose new manifest file is gone
// (see open_attempt.go): it holds nothing the manifest misses.
func (d *DB) checkPastLease(path string, num, lease base.FileNum) error {
	res, err := wal.Replay(d.fs, d.dirs.wal, num, func([]byte, int64) error { return nil })
	switch {
	case err != nil:
		return err // W8
	case res.Records > 0:
		return base.Corruptionf(path, -1,
			"WAL numbered at or past the manifest's file-number lease %s: the manifest %s is older than the WAL (rolled back)",
			lease, d.manifestFile())
	}
	return nil
}

// checkLogsPresent applies rows W1 and W3: the WAL named by
// MinUnflushedLog and every WAL recorded closed must exist. Each was
// durable (created, its directory synced) before the edit that names it,
// and WALs are deleted only once obsolete: if one is missing, a manifest
// edit was lost or a file removed by hand, and opening would silently
// drop data.
func (d *DB) checkLogsPresent(logs []base.FileNum) error {
	if minLog := d.manifest.MinUnflushedLog(); minLog != 0 && (len(logs) == 0 || logs[0] != minLog) {
		return base.Corruptionf(d.fs.PathJoin(d.dirs.wal, wal.FileName(minLog)), -1,
			"WAL named by the manifest %s as the oldest unflushed log is missing: removed, or the manifest lost edits", d.manifestFile())
	}
	for _, c := range d.manifest.ClosedLogs() {
		if _, found := slices.BinarySearch(logs, c.FileNum); !found {
			return base.Corruptionf(d.fs.PathJoin(d.dirs.wal, wal.FileName(c.FileNum)), -1,
				"WAL recorded closed (%d bytes) in the manifest %s is missing", c.Size, d.manifestFile())
		}
	}
	return nil
}

// planTables classifies the SST directory. Rows S1-S3 (the live files)
// were checked when the manifest was opened (checkManifest).
func (d *DB) planTables(p *recoveryPlan, names []string) {
	m := d.manifest
	live := make(map[base.FileNum]bool)
	for _, f := range m.Files() {
		live[f.FileNum] = true
	}
	obsolete := obsoleteNums(m, manifest.KindTable)
	floor, lease := m.OrphanFloor(), m.NextFileNum()
	for _, name := range names {
		path := d.fs.PathJoin(d.dirs.sst, name)
		if isBlobFileName(name) {
			d.planBlob(p, name)
			continue
		}
		num, ok := parseSSTFileName(name)
		if !ok {
			p.unknownFile(path, "not an SST file name")
			continue
		}
		p.highest = max(p.highest, num)
		switch {
		case live[num]: // S1
		case obsolete[num]:
			// S4: recorded obsolete; deleted once Open commits.
		case m.Tracked() && num >= floor && num < lease:
			// S5: handed out after every recorded SST, never recorded.
			p.orphans = append(p.orphans, manifest.ObsoleteFile{Kind: manifest.KindTable, FileNum: num})
		case num >= lease:
			// S6: the engine never handed out this number.
			p.unknownFile(path, "an SST numbered at or past the manifest's file-number lease")
		case !m.Tracked():
			// S6: a manifest of an older version proves no orphan.
			p.unknownFile(path, "an SST the manifest does not record, and the manifest (of an older version) records no orphan floor")
		default:
			// S6: below the floor, recorded neither live nor obsolete.
			p.unknownFile(path, "an SST the manifest does not record: a copy put back, or not the engine's")
		}
	}
}

// planBlob classifies a blob file of the SST directory by the rows of
// the SST files (B1, B4-B6 in docs/design.md); rows B2 and B3 (a live
// blob file missing or of another size) were checked with the manifest
// (checkBlobFile).
func (d *DB) planBlob(p *recoveryPlan, name string) {
	m := d.manifest
	path := d.fs.PathJoin(d.dirs.sst, name)
	num, _ := base.ParseFilename(base.FileTypeBlob, name)
	p.highest = max(p.highest, num)
	_, live := m.BlobFile(num)
	switch {
	case live: // B1
	case obsoleteNums(m, manifest.KindBlob)[num]:
		// B4: recorded obsolete; deleted once Open commits.
	case num >= m.OrphanFloor() && num < m.NextFileNum():
		// B5: written by a flush or compaction whose edit never became
		// durable.
		p.orphans = append(p.orphans, manifest.ObsoleteFile{Kind: manifest.KindBlob, FileNum: num})
	default:
		// B6: not handed out, or below the floor and not recorded.
		p.unknownFile(path, "a blob file the manifest does not record")
	}
}

// isBlobFileName reports whether name is a blob file's canonical name.
func isBlobFileName(name string) bool {
	_, ok := base.ParseFilename(base.FileTypeBlob, name)
	return ok
}

// obsoleteNums returns the set of files of kind recorded obsolete.
func obsoleteNums(m *manifest.Manifest, kind manifest.FileKind) map[base.FileNum]bool {
	out := make(map[base.FileNum]bool)
	for _, o := range m.Obsolete() {
		if o.Kind == kind {
			out[o.FileNum] = true
		}
	}
	return out
}

// reportUnknownFiles logs each file recovery left in place because it
// could not prove it the engine's to delete, and tells the listener.
func (d *DB) reportUnknownFiles(files []UnknownFileInfo) {
	d.counters.unknownFiles.Store(int64(len(files)))
	for _, f := range files {
		d.opts.Logger.Warn("tempest: unknown file left in place", "file", f.Path, "reason", f.Reason)
		if l := d.opts.EventListener; l.UnknownFile != nil {
			l.UnknownFile(f)
		}
	}
}
