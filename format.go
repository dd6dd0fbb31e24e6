package tempest

import (
	"cmp"
	"slices"
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/wal"
)

// Database format versions (docs/format.md lists what each adds). A
// database holds only what its version allows; its version rises only
// when RatchetFormatVersion asks.
const (
	// FormatVersion1 is the format of databases written before the
	// recovery records: a manifest without tags 8 to 12, SSTs of format 3.
	// Recovery judges it by the older rules (row M9 in docs/design.md).
	FormatVersion1 = manifest.FormatV1
	// FormatVersion2 adds the recovery records (closed WALs, obsolete and
	// deleted files, the orphan floor), the recorded format version, and
	// SSTs of format 4, which name their file number.
	FormatVersion2 = manifest.FormatV2
	// FormatVersion3 adds ingested files (DB.Ingest): the manifest
	// records the global seqnum each one is read at.
	FormatVersion3 = manifest.FormatV3
	// FormatVersion4 adds merge operands (DB.Merge, Batch.Merge) in WALs
	// and SSTs, and the Merger's name in the manifest.
	FormatVersion4 = manifest.FormatV4
	// FormatVersion5 adds blob files: values of at least
	// Options.ValueSeparationThreshold bytes move at flush to blob files,
	// SSTs hold handles to them (an entry kind older versions do not
	// know), and the manifest records the blob files and each SST's
	// references to them.
	FormatVersion5 = manifest.FormatV5
	// FormatVersion6 writes new WALs and manifest files in the record
	// framing (package internal/record): the WAL and the manifest share
	// one record layout and one torn-versus-corrupt rule, and each
	// record's checksum is seeded by its file's magic and number, so a
	// record of another file never reads in this one. Files written
	// before the ratchet, in the legacy framing, are still read.
	FormatVersion6 = manifest.FormatV6
	// FormatVersion7 stamps every manifest edit with its wall time, from
	// Options.Clock, and keeps the history of the last edits that changed
	// tables across manifest rotations (manifest.HistoryEntry), which
	// `tempest db lsm` draws against time.
	FormatVersion7 = manifest.FormatV7
	// FormatNewest is the newest version this binary knows, the default
	// for a new database. Open refuses a database of a newer version with
	// ErrFormatVersion.
	FormatNewest = manifest.FormatNewest
)

// formatState serializes every manifest edit of the engine (applyEdit)
// with RatchetFormatVersion: an edit is shaped by the rules of the
// version it is applied under, never by an older one read before a
// ratchet.
type formatState struct {
	mu sync.Mutex
}

// formatRules is what a format version lets the engine write. It is the
// one place that decides it: the manifest records of tags 8 to 11 and the
// SST format version. The manifest itself decides, from the version its
// state records, the framing of its new files (FormatVersion6) and
// whether it stamps edits with their time (FormatVersion7): both must
// follow the version edit by edit, a ratchet's included.
type formatRules struct {
	// records: edits carry closed logs, obsolete and deleted files and the
	// orphan floor, and recovery holds the database to every row of the
	// recovery table. Without them, to row M9's older rules.
	records bool
	// tableFormat is the SST format version to write.
	tableFormat uint32
	// ingest: files may be ingested, read at a global seqnum.
	ingest bool
	// merges: batches may hold merge operands, and the manifest the
	// Merger's name.
	merges bool
	// blobs: flushes may separate values into blob files.
	blobs bool
	// recordFraming: new WALs and manifest files are written in the
	// record framing; below it, in the legacy framing.
	recordFraming bool
}

func rulesOf(v uint32) formatRules {
	if v >= FormatVersion2 {
		return formatRules{records: true, tableFormat: 4, ingest: v >= FormatVersion3, merges: v >= FormatVersion4,
			blobs: v >= FormatVersion5, recordFraming: v >= FormatVersion6}
	}
	return formatRules{tableFormat: 3}
}

// formatRules returns the rules of the database's current version.
func (d *DB) formatRules() formatRules { return rulesOf(d.manifest.FormatVersion()) }

// FormatVersion returns the database's format version.
func (d *DB) FormatVersion() uint32 { return d.manifest.FormatVersion() }

// newDBDefaultFormat is the version of a new database whose
// Options.FormatVersion is 0: FormatNewest. Only the tests change it
// (TEMPEST_FORMAT_VERSION), to run the suite against an older version.
var newDBDefaultFormat = FormatNewest

// newDBFormat returns the version of a new database: Options.FormatVersion,
// or FormatNewest for 0.
func (o *Options) newDBFormat() uint32 {
	if o.FormatVersion == 0 {
		return newDBDefaultFormat
	}
	return o.FormatVersion
}

// fit shapes e to the rules. Under FormatVersion1 it drops the records of
// tags 8 to 11 and the SST checksums (which versions writing SST format
// 3 recorded as zero); the files the dropped records name obsolete are
// deleted all the same, by the caller. deletions are the deletions
// awaiting a record; fit keeps those the manifest holds obsolete (a file
// made obsolete before a ratchet was never recorded so).
func (r formatRules) fit(e *manifest.Edit, m *manifest.Manifest, floor base.FileNum, deletions []base.FileNum) {
	if !r.records {
		e.ClosedLogs, e.Obsolete, e.Deleted, e.OrphanFloor = nil, nil, nil, 0
		for i := range e.Added {
			e.Added[i].Checksum = 0
		}
		return
	}
	e.OrphanFloor = floor
	if len(deletions) == 0 {
		return
	}
	obsolete := make(map[base.FileNum]bool)
	for _, o := range m.Obsolete() {
		obsolete[o.FileNum] = true
	}
	for _, n := range deletions {
		if obsolete[n] {
			e.Deleted = append(e.Deleted, n)
		}
	}
}

// RatchetFormatVersion raises the database's format version to v, in one
// durable manifest edit: a crash leaves the database at its old version
// or at v, each whole. From the edit on, the database writes what v
// allows (SSTs of a newer format, the manifest records of FormatVersion2),
// so a binary that does not know v no longer opens it. A v at or below the
// current version changes nothing and returns nil. A v above FormatNewest
// fails with ErrInvalidArgument, and a DB opened read-only with
// ErrReadOnly.
func (d *DB) RatchetFormatVersion(v uint32) error {
	if v > FormatNewest {
		return base.InvalidArgumentf("format version %d is newer than this binary's newest, %d", v, FormatNewest)
	}
	if err := d.writable(); err != nil {
		return err
	}
	r := &commitReq{task: func() error { return d.ratchetFormat(v) }}
	d.runCommit(r)
	return r.err
}

// ratchetFormat applies the ratchet edit. It runs as the commit leader, so
// no rotation runs alongside, and holds format.mu, so no other edit does:
// the frozen memtables and MinUnflushedLog are stable.
//
// The edit carries what FormatVersion2's rules need to hold from it on:
// the orphan floor (row S5); the final size and checksum of each WAL at
// or above MinUnflushedLog closed by a rotation, which version 1 did not
// record (rows W2-W5: a clean close would otherwise find them not
// recorded); and every WAL left below MinUnflushedLog, recorded obsolete
// (row W14, which under version 1 deleted them unrecorded). The live WAL
// needs no record: it is judged by its bytes after a crash (W6-W9) and
// recorded by Close. Every WAL recovery reads was written by this binary,
// which numbers each batch (W13): Open flushes the WALs it replays.
func (d *DB) ratchetFormat(v uint32) error {
	if err := d.backgroundError(); err != nil {
		return err
	}
	d.format.mu.Lock()
	defer d.format.mu.Unlock()
	if v <= d.manifest.FormatVersion() {
		return nil
	}
	e := &manifest.Edit{FormatVersion: v}
	if rulesOf(v).merges && d.opts.Merger != nil && d.manifest.MergerName() == "" {
		e.MergerName = d.opts.Merger.Name
	}
	if rulesOf(v).records && !d.formatRules().records {
		var err error
		if e.ClosedLogs, e.Obsolete, err = d.unrecordedLogs(); err != nil {
			return err
		}
	}
	// The floor and the deletions: applied by the rules of v.
	rulesOf(v).fit(e, d.manifest, d.orphanFloor(), nil)
	framed := d.formatRules().recordFraming
	if err := d.manifest.Apply(e); err != nil {
		return d.setBackgroundError(err)
	}
	d.opts.Logger.Info("tempest: format version ratcheted", "version", v)
	if rulesOf(v).recordFraming && !framed {
		d.startRecordFraming()
	}
	return nil
}

// startRecordFraming starts a manifest file in the record framing at
// once, after a ratchet to FormatVersion6 or later: the manifest's state
// now chooses that framing for its new files. The WAL switches at its
// next rotation (DB.walOptions). The ratchet is durable whatever the
// rotation does: a rotation that fails leaves the journal on its legacy
// file, which the next rotation (or Open) replaces, or fails the journal,
// which the next edit reports.
func (d *DB) startRecordFraming() {
	if err := d.manifest.Rotate(); err != nil {
		d.opts.Logger.Warn("tempest: starting a manifest file in the record framing", "err", err)
	}
}

// unrecordedLogs returns the records version 1 did not keep for the WALs:
// the closed ones at or above MinUnflushedLog, and those below it that
// still exist, as obsolete. Requires format.mu, as the commit leader.
func (d *DB) unrecordedLogs() ([]manifest.ClosedLog, []manifest.ObsoleteFile, error) {
	minLog := d.manifest.MinUnflushedLog()
	var closed []manifest.ClosedLog
	d.mu.Lock()
	for _, m := range d.mu.imms {
		if m.closed != nil && m.logNum >= minLog {
			closed = append(closed, *m.closed)
		}
	}
	d.mu.Unlock()
	names, err := d.fs.List(d.dirs.wal)
	if err != nil {
		return nil, nil, err
	}
	var obsolete []manifest.ObsoleteFile
	for _, name := range names {
		if num, ok := wal.ParseFileName(name); ok && num < minLog {
			obsolete = append(obsolete, manifest.ObsoleteFile{Kind: manifest.KindLog, FileNum: num})
		}
	}
	slices.SortFunc(obsolete, func(a, b manifest.ObsoleteFile) int { return cmp.Compare(a.FileNum, b.FileNum) })
	return closed, obsolete, nil
}

// walOptions are the options of a WAL created now: the framing of the
// database's version (a rotation runs as the commit leader, as a ratchet
// does, so the version cannot change under it).
func (d *DB) walOptions() wal.Options {
	o := d.opts.walOptions()
	o.Legacy = !d.formatRules().recordFraming
	return o
}

// tableFormat is the SST format version to write now.
func (d *DB) tableFormat() uint32 { return d.formatRules().tableFormat }
