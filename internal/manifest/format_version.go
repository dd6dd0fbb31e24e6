package manifest

import "github.com/tempestdb/tempest/internal/base"

// Database format versions. The format version says what a database's
// files may hold; a database never holds more than its version allows,
// and its version rises only through an edit naming the new one (a
// ratchet). The table of versions is in docs/format.md.
const (
	// FormatV1: manifest without tags 8 to 12, SSTs of format 3. Recovery
	// judges it by the older rules (row M9 of the recovery table).
	FormatV1 uint32 = 1
	// FormatV2 adds the recovery records (tags 8 to 11), the format version
	// (tag 12), and SSTs of format 4 (file number in the properties).
	FormatV2 uint32 = 2
	// FormatV3 adds ingested files: tag 13 records the global seqnum an
	// added file is read at (FileMetadata.GlobalSeq).
	FormatV3 uint32 = 3
	// FormatV4 adds merge operands (base.KindMerge) in WALs and SSTs and
	// the merger name (tag 16).
	FormatV4 uint32 = 4
	// FormatV5 adds blob files (key–value separation): SST entries of
	// kind base.KindBlobValue, and the blob file records (tags 17 to 19).
	FormatV5 uint32 = 5
	// FormatV6 writes new WALs and manifest files in the record framing
	// (package internal/record: checksums seeded by the file's header).
	// Files of the legacy framing are still read.
	FormatV6 uint32 = 6
	// FormatV7 stamps every edit with its wall time (tag 69, Edit.Time)
	// and keeps the history of the edits that changed tables across
	// rotations (tag 70, in each snapshot; see HistoryEntry).
	FormatV7 uint32 = 7
	// FormatNewest is the newest version this binary reads and writes.
	FormatNewest = FormatV7
)

// checkFormatVersion refuses a version newer than FormatNewest.
func checkFormatVersion(v uint32) error {
	if v > FormatNewest {
		return &base.FormatVersionError{Version: uint64(v), Newest: uint64(FormatNewest)}
	}
	return nil
}

// formatVersion is the database format version of s: the one recorded
// (tag 12), or, for a manifest that records none, FormatV2 if it records
// an orphan floor (written before the version tag, with the records of
// version 2) and FormatV1 otherwise (written by a version without tags 8
// to 11).
func (s *state) formatVersion() uint32 {
	switch {
	case s.format != 0:
		return s.format
	case s.orphanFloor != 0:
		return FormatV2
	}
	return FormatV1
}

// FormatVersion returns the database's format version (see FormatV1). A
// manifest that holds no edit yet reports FormatV1.
func (m *Manifest) FormatVersion() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().formatVersion()
}

// Tracked reports whether the manifest keeps the records recovery decides
// from: closed logs, obsolete files and the orphan floor. Those are the
// records of FormatV2; a database of FormatV1 keeps none of them and is
// judged by the older rules (row M9).
func (m *Manifest) Tracked() bool { return m.FormatVersion() >= FormatV2 }

// LegacyFraming implements journal.FramingChooser: a manifest file the
// journal creates is in the legacy framing below FormatV6. A state that
// holds no edit yet (no comparer) cannot tell; the journal's Config
// decides, which the engine sets from the version of the database it
// creates.
func (s *state) LegacyFraming() (legacy, known bool) {
	if s.comparerName == "" {
		return false, false
	}
	return s.formatVersion() < FormatV6, true
}
