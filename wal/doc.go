// Package wal implements Tempest's write-ahead log: the file format, a
// Writer and the recovery reader (Replay, ReadAll).
//
// Every committed batch is appended to the current WAL before it is
// applied to the memtable. After a crash the engine replays the WALs that
// were not yet flushed to SSTs. A WAL is never appended to again once its
// writer is gone: recovery reads the old logs and the engine starts a new
// one.
//
// # File
//
// A WAL is named "<filenum>.log", the file number zero-padded to six
// digits (FileName, ParseFileName). All integers are little-endian.
//
//	+--------------------+  offset 0
//	| header (16 bytes)  |
//	+--------------------+  16
//	| record             |
//	| record             |
//	| ...                |
//	| end record         |  written by Writer.Close only
//	+--------------------+
//
// Header:
//
//	+------------------+------------------+
//	| magic            | file number u64  |
//	+------------------+------------------+
//	0                  8                  16
//
// The magic says the framing of the records: "TMPSWAL2" for the record
// framing, written from format version 6 on, whose record checksums are
// seeded by the header (record.FileSeed("TMPSWAL2", file number)), and
// "TMPS_WAL" for the legacy framing, written below format version 6
// (Options.Legacy), whose checksums are unseeded. Both are read; the
// reader goes by the magic, never by the database's version, so a log
// written before a ratchet is replayed after it.
//
// The magic rejects files that are not WALs. The file number must equal
// the one in the file's name (FileNumMismatchError otherwise), so a WAL
// that was copied or renamed is never replayed in the wrong place. The
// header has no checksum: Create fsyncs it (and the directory) before the
// first record can be written, so it is either durable or the log never
// held an acknowledged record.
//
// Records: the framing of package internal/record, the same bytes in
// both framings but for the checksum's seed:
//
//	+-----------+-----------+----------+-------------+-------------------+
//	| crc  u64  | len  u32  | type u8  | synced u64  | payload, len bytes|
//	+-----------+-----------+----------+-------------+-------------------+
//	0           8           12         13            21
//
// The WAL's records are of two types: 1 = data (the payload is one
// committed batch) and 2 = end (the payload is the u64 file number of the
// WAL that follows, or 0 when the log was closed because the DB closed).
// The synced field is the offset up to which the file was fsynced when
// the record was written, 16 (the header) before the first Sync.
//
// # Torn or corrupt
//
// Recovery applies package internal/record's rules (its doc comment and
// docs/format.md have them in full): it keeps the records before the
// first invalid one, at X; if a valid record after X says the file was
// synced past X, the record at X was durable and went bad, which is
// corruption (base.ErrCorruption, naming the file and X); otherwise the
// bytes from X on are a torn tail, dropped without error. A record whose
// checksum matches but breaks a rule of the framing is corruption; so is
// an end record whose payload is not 8 bytes.
//
// # Clean close
//
// Writer.Close fsyncs any unsynced records, writes an end record whose
// synced field is its own offset (true at that moment, because of the
// fsync before it), and fsyncs again. By the rule above, a damaged record
// anywhere before a valid end record is corruption. Nothing is ever
// written after an end record, so bytes following one are corruption too.
// Damage inside the end record itself looks like a torn tail (no later
// record vouches for it); all data records survive and the result reports
// CleanClose = false.
//
// # Empty and headerless files
//
// A file of at most 16 bytes that does not hold a valid header (empty,
// short, or a header torn into zeros or stale bytes) is a WAL whose
// creation crashed before the header was durable. Create had not
// returned, so nothing was acknowledged: Replay treats it as an empty log
// with no records. Create fsyncs the header before anything is written
// after it (records, or the preallocation of a mapped writer), so a longer
// file without a valid header is corruption, even when it is all zeros.
//
// # What the file cannot show
//
// A log cut exactly at a record boundary, or cut or zeroed from some
// offset to its end, reads like the log of a process that crashed there:
// no record after the cut vouches for what was lost. The format cannot
// tell the two apart. What the manifest knows closes that gap for every
// log but the live one: Writer.Final gives a closed log's size and the
// CRC-64/Jones of all its bytes, the engine records them in the manifest,
// and recovery requires the file to match them (Expect). After a clean
// close, every log is closed and recorded. Only the live log of a crashed
// process is judged by its own bytes alone.
//
// # Writing
//
// WriteRecords frames its records into one buffer and issues one write(2)
// (File.Write) for them; Sync is one fsync for everything written so far,
// and SyncTo lets writers that wait at once share one. A payload of 64
// KiB or more (a batch of large values) is not copied into the buffer:
// its header is, and the payload is written from the caller's memory
// right after it, with a write(2) of its own, and read once for the
// record's checksum and the log's (crc.Combine). The bytes in the file
// are the same either way.
//
// When the file offers a mapping (it implements vfs.MappableFile: files
// of vfs.Default on linux, of a MemFS made mappable, and errorfs's files
// over either), the Writer instead copies the group into a shared memory
// mapping of the file (vfs.Mapping.Store, one call per group, a large
// payload passed as a slice of its own): a NoSync commit makes no system
// call (on linux the mapping makes one per megabyte of log to prepare
// pages, and the writer one per preallocation; a store of 64 KiB or more
// is one pwritev(2) instead of a copy, see vfs/os_mapping_linux.go), and
// Sync is the Mapping's, one fdatasync on linux, which also flushes pages
// dirtied through a shared mapping. The file is extended ahead of the writes
// (vfs.Mapping.Allocate, fallocate on linux), so a store through the
// mapping never runs out of space (which would raise SIGBUS); a full disk
// is an error of WriteRecords. The file then ends with zeros after the
// last record, which recovery reads as a torn tail, exactly like the tail
// of a crashed process. Close truncates the zeros and makes the shorter
// size durable before it writes the end record, so no crash can leave
// zeros after an end record (Abandon truncates them too, best effort).
// mapped.go has the details, vfs/os_mapping_linux.go the mapping itself;
// the format does not change. Because the mapping goes through the vfs
// seam, MemFS's crash model and errorfs's faults apply to it as to
// File.Write.
//
// # Reading
//
// Replay reads the whole file into memory. WALs are bounded by the
// memtable size (8 MiB by default), and the torn-tail check needs random
// access to everything after the first invalid record. Allocation is
// driven by the file size, never by a length field. The check costs one
// pass over the tail plus a crc over each candidate that passes the cheap
// type and synced filters; random, zeroed or torn bytes almost never pass
// them. (Bytes crafted to pass them at many offsets could make the check
// quadratic in the tail's size; it stays bounded by the file size.)
package wal
