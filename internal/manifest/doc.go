// Package manifest records the shape of the LSM tree: which SSTs are live
// at which level, plus the counters that must never go back across
// restarts (the file number and sequence number leases, and the oldest WAL
// that may still hold unflushed data).
//
// The manifest is a journal (package journal, file prefix "manifest") of
// Edits. The state they build is checked on every edit (see state.go for
// the invariants); an edit that would break an invariant is refused before
// anything is written, and one found on replay is corruption. After every
// edit that adds or removes files the Manifest publishes a new immutable
// Version.
//
// When the journal rotates, the new file starts with a snapshot edit that
// carries the comparer name, all three counters, every live file and the
// clean-close flag (and from format version 7 on, the last edit's time
// and the history of the tables' changes). Because NextFileNum is stored
// explicitly, removing the newest SST never lets a file number be reused.
//
// # Database format versions
//
// A database has one format version, which says what its files may
// hold. A new database gets the newest version unless asked for an older
// one (Options.FormatVersion); a database's version rises only when
// DB.RatchetFormatVersion asks, through one edit that records the new
// version (tag 12), and it never writes what its version does not allow.
// Every format change lands as a new version in this table:
//
//	version  adds                                         written by
//	1        (the base) manifest without tags 8 to 16;    versions before
//	         SST format 3, recorded checksum zero          the recovery records
//	2        tags 8 to 11 (closed WALs, obsolete and      versions before
//	                                                      ingest
//	         deleted files, orphan floor) with the rows
//	         of the recovery table that need them; tag
//	         12; SST format 4 (file number in the
//	         properties, whole-file checksum recorded)
//	3        tag 13: ingested files, read at the global   versions before
//	         seqnum it records (DB.Ingest)                 merge operands
//	4        merge operands (kind 3, MERGE) in WAL        versions before
//	         batches and SST entries; tag 16 (the          blob files
//	         merger name)
//	5        blob files: SST entries of kind 4 (BLOB,     versions before
//	         a handle to a value in a blob file); tags     the record framing
//	         17 to 19 (blob references, added and
//	         removed blob files); obsolete file kind 3
//	6        new WALs and manifest files in the record    versions before
//	         framing (package internal/record; WAL         edit times
//	         magic "TMPSWAL2", manifest files opening
//	         with the guard edit, tag 68); files of
//	         the legacy framing are still read
//	7        tag 69 (every edit's wall time) and tag 70    the default
//	         (the history of the edits that changed
//	         tables, in each snapshot)
//
// A binary that knows only versions 1 and 2 refuses a database of version
// 3, 4 or 5 on tag 12, before it can meet an ingested file it would read at
// seqnum 0 or a merge operand it would misread as another kind. One that
// knows versions up to 5 refuses a database of version 6 on the guard
// edit that opens each manifest file of the record framing (Codec.Guard:
// tag 12 naming 6, then journal.GuardMarker in tag 68, safe to ignore),
// the only edit of such a file it can read, before it meets a record or
// a WAL it cannot read. One that knows versions up to 6 refuses a
// database of version 7 on tag 12 (tags 69 and 70 are safe to ignore,
// and no edit carries them before an edit that names version 7: the
// ratchet's, a new database's first, each snapshot).
//
// A manifest that records no version is version 2 if it records an orphan
// floor (written before tag 12 existed, with the records of version 2)
// and version 1 otherwise. Version 1 is never recorded: a database of
// version 1 holds exactly what older binaries wrote and read.
//
// Tag 12 is not safe to ignore, so a binary that does not know it refuses
// the database. One that knows it and finds a version newer than its
// newest refuses the database with base.ErrFormatVersion, naming both
// versions ("database format version 8 is newer than this binary's
// newest, 7"): on the edit that records it, on an unknown tag later in
// that edit (tags are written in order, so tag 12 comes first), or on
// replaying it before any later edit. A newer version therefore records
// tag 12 before any edit holds what it adds.
//
// # Edit encoding
//
// An edit is a format version byte followed by tagged fields:
//
//	edit  := version:u8(=1) field*
//	field := tag:uvarint value
//
//	tag  field               value
//	1    comparer name       uvarint length, bytes (length >= 1)
//	2    next file number    u64
//	3    last seqnum         u64
//	4    min unflushed log   u64
//	5    added file          level u8, filenum u64, size u64, checksum u64,
//	                         smallest seqnum u64, largest seqnum u64,
//	                         smallest key, largest key
//	                         (each: uvarint length, user key, trailer u64;
//	                         length >= 8)
//	6    removed file        level u8, filenum u64
//	7    clean close         (no value)
//	8    closed log          filenum u64, size u64, checksum u64
//	9    obsolete file       kind u8 (1 = SST, 2 = WAL, 3 = blob file),
//	                         filenum u64
//	10   deleted file        filenum u64
//	11   orphan floor        filenum u64
//	12   format version      uvarint (>= 2)
//	13   ingested file       filenum u64, global seqnum u64 (>= 1)
//	16   merger name         uvarint length, bytes (length >= 1);
//	                         format version 4 and later
//	17   blob reference      SST filenum u64 (an added file of the
//	                         edit), blob filenum u64, bytes u64 (the
//	                         decoded length of the values the SST names
//	                         in the blob file); format version 5
//	18   added blob file     filenum u64, size u64, value bytes u64
//	                         (decoded length of every value written to
//	                         it); format version 5
//	19   removed blob file   filenum u64; format version 5
//	65   added file stats    uvarint length (>= 24), filenum u64,
//	                         entry count u64, deletion count u64,
//	                         range deletion count u64 (may be absent)
//	                         (safe to ignore; see below)
//	66   visible seqnum      uvarint length (>= 8), seqnum u64
//	                         (safe to ignore)
//	67   horizon             uvarint length (>= 8), seqnum u64
//	                         (safe to ignore)
//	68   framing guard       uvarint length, journal.GuardMarker; only
//	                         in the guard edit (format version 6)
//	                         (safe to ignore)
//	69   edit time           uvarint length (>= 8), Unix time in
//	                         nanoseconds u64 (1 to 2^63-1); format
//	                         version 7 (safe to ignore)
//	70   history             uvarint length, then uvarint count and
//	                         count entries (below); only in the first
//	                         edit of a file; format version 7 (safe to
//	                         ignore)
//
// The checksum of tag 5 is the SST's whole-file checksum: the XXH3-64
// (seed 0) of all its bytes (package sstable, file_checksum.go). Versions
// that wrote SST format 3 and older recorded the CRC-64/Jones of the whole
// file there, which is zero for every table, so a zero recorded for a
// table whose format version is 3 or lower means "not recorded". A table
// of format version 4 or later was written by a version that records the
// checksum, so its recorded value is always checked, zero included.
//
// Integers are little-endian and fixed-width unless marked uvarint. Tags 1
// to 4, 7, 11 and 12 appear at most once; 5, 6, 8, 9, 10, 13 and 17 to 19 repeat,
// once per file. Fields are written in tag order and omitted when zero (an absent
// counter means "unchanged"), but a decoder accepts any order.
//
// Tags 17 to 19 record blob files (format version 5). A blob file's live
// bytes are the sum of the tag 17 bytes of the live SSTs that name it; a
// blob file is live from the edit that adds it (tag 18) to the one that
// removes it (tag 19), which is the edit that removes the last live SST
// naming it, and which records it obsolete (tag 9, kind 3). An added SST
// names only blob files live after its edit. None of the three is safe
// to ignore: a decoder that dropped them would lose the references that
// keep blob files, so only binaries that know version 5 read them, and
// the version tag refuses the others first.
//
// Tags 8 to 11 are the records recovery decides from (see the recovery
// table in docs/design.md). Tag 8 gives the final size and CRC-64/Jones
// of a WAL closed with an end record (wal.Final), written when a rotation
// closes a WAL and by the clean-close edit for the last one; recovery
// requires the file to be exactly that, and drops the record once
// MinUnflushedLog passes the WAL. Tag 9 names a file that no longer holds
// live data and may still exist: an SST removed from the LSM, or a WAL
// below MinUnflushedLog; recovery deletes it. Tag 10 says such a file is
// gone (removed, and the removal synced). Tag 11 is the orphan floor:
// every SST number below it that the database handed out was recorded by
// an edit (live or obsolete) or its file is gone, so an SST at or above it
// and below NextFileNum that is neither live nor obsolete is an orphan; a
// lower value than the current one is ignored. A snapshot edit carries
// every closed log, every obsolete file, the floor and the format
// version. A database of format version 1 keeps none of these records:
// recovery then holds its files to the older rules (Manifest.Tracked).
// These tags are not safe to ignore, so a version that does not know them
// refuses the manifest instead of deleting files or replaying WALs without
// them.
//
// Tag 13 (format version 3) marks a file added by the same edit (tag 5
// with that file number; the first one if the number repeats) as
// ingested: its entries and range tombstones are written at seqnum 0 and
// read at the global seqnum recorded (FileMetadata.GlobalSeq); its tag 5
// seqnums and key trailers are those read. It repeats, once per ingested
// file, after tag 12, and is not safe to ignore: a decoder that dropped
// it would read the entries at seqnum 0. A value naming no added file or
// a file given a global seqnum already, or a seqnum of 0, is corruption.
//
// Tag 69 (format version 7) is the time the edit was applied
// (Edit.Time): the clock of the database (Options.Clock), or the previous
// edit's time if that clock went back, so times never decrease within a
// manifest; a snapshot carries the time of the last edit it sums up.
// From the edit that records version 7 on, every edit carries it; no edit
// below version 7 does. Tag 70 carries, in a snapshot, the history of the
// last (at most HistoryLimit, 10,000) edits that added or removed files,
// oldest first, each entry
//
//	entry := time:uvarint    (nanoseconds after the previous entry's
//	                          time; the first's, after 0)
//	         kind:u8          (1 flush, 2 ingestion, 3 compaction,
//	                          4 move, 5 delete-only compaction)
//	         from:u8 to:u8    (level + 1; from is 0, the memtable, for a
//	                          flush or an ingestion)
//	         in-files:uvarint out-files:uvarint
//	         in-bytes:uvarint out-bytes:uvarint written:uvarint
//	         (files:uvarint bytes:uvarint) × 7   (L0 to L6 after it)
//
// (HistoryEntry, EventOf). Each tag appears at most once. Every later
// edit with a time that adds or removes files adds an entry to the
// history a reader rebuilds, so the history outlives the files that held
// the edits. Recovery reads neither
// tag: they serve `tempest db lsm`. A kind outside 1 to 5, a level
// outside the range, a count beyond the value's bytes, a time past 2^63-1
// or bytes after the last entry make the edit corrupt.
//
// Tags with bit 0x40 set are safe to ignore: their value is always a
// uvarint length and that many bytes, which a decoder that does not know
// the tag skips.
//
// Tag 65 gives FileMetadata.EntryCount and DeletionCount of a file added
// by the same edit (tag 5 with that file number; the first one if the
// number repeats). It is written after the other fields, once per added
// file with a nonzero count, and omitted otherwise, so edits without
// statistics encode exactly as before the tag existed; a decoder that
// ignores it reads both counts as zero ("unknown"). A decoder that knows
// it rejects a value shorter than 24 bytes, one naming no added file or a
// file already given stats, and deletions above entries. The range
// deletion count (FileMetadata.RangeDelCount) follows in bytes 24 to 32
// when the value has them; a value of 24 bytes leaves it zero, unknown.
// Bytes after the first 32 are reserved for later fields and skipped.
//
// Tags 66 and 67 record Edit.VisibleSeqNum (the newest seqnum known
// committed, so that Open makes visible even a batch that left no entry)
// and Edit.Horizon (the compaction horizon, so that NewSnapshotAt still
// refuses, after a restart, tokens whose versions compactions may have
// dropped). Each appears at most once, after the other fields; both only
// rise, a lower value being ignored. A decoder that ignores them loses
// only those two refinements. Tag 68 is skipped by every decoder: it only
// marks the guard edit for the journal. Any other unknown tag, an unknown format version, a
// repeated single-valued tag, a level outside [0, 7), or a length running
// past the end of the edit makes the edit corrupt (base.ErrCorruption).
// Lengths are checked against the remaining bytes before anything is
// allocated.
package manifest
