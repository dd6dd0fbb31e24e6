// Package repair builds a new database from everything readable in a
// damaged one (the model is LevelDB's and RocksDB's RepairDB, but the
// source is only read: the output is a new directory).
//
// Run reads the source directory through the format packages, never
// through the engine's Open, and never writes to it (no lock file either):
//
//   - The manifest (internal/manifest edits on a journal) gives the
//     comparer name, the live SSTs with their bounds, and the oldest WAL
//     that may hold unflushed writes. It is read as the engine would pick
//     it (the newest journal file with a valid header) and replayed
//     without the engine's checks, skipping damaged edits. Repair does not
//     depend on it: without one, every SST and WAL in the directory is
//     read.
//   - SSTs are read block by block (sstable.Salvage): a damaged data block
//     loses only its entries, bounded by the index keys around it; a table
//     whose footer or index is damaged is read by its block trailers, up
//     to the first damaged block.
//   - WALs are read record by record (wal.Salvage): every record whose
//     checksum passes is kept, and damaged ranges are skipped.
//   - Blob files (sst/NNNNNN.blob) are read through the handles of the
//     SST entries whose newest version is a separated value, each value's
//     block checked by its checksum, each file by its own footer.
//
// What is read: with an intact manifest (or one whose last edit is a torn
// append, which was never acknowledged) its live SSTs and the WALs from
// its oldest unflushed log on; SSTs it does not list and older WALs hold
// nothing the live files do not, and reading them could bring back
// versions that compactions dropped together with the tombstones that hid
// them. With a damaged or missing manifest, every SST and WAL present.
//
// Every internal entry read is merged by (user key, seqnum), with the
// Comparer: the newest version of each user key wins, a range tombstone
// deletes the older versions it covers, and one write found in two places
// (a WAL not yet deleted after its flush, say) has one seqnum and counts
// once. The output holds, for each user key, the newest state it had in
// any readable source: its newest value, or nothing if that state is a
// deletion. Point tombstones are written only under a comparer with
// version suffixes, where they also hide older versions stored under other
// user keys of the prefix. Seqnums are not kept: the output is written
// through the engine (tempest.Open and batches), flushed to SSTs, checked
// (DB.Check) in a temporary directory beside DST, and renamed to DST, so
// DST never exists unless complete.
//
// What is reported (Report): every file with what was read from it, notes
// on what was damaged or skipped without loss, and each loss with its
// file, byte range, the user keys it may have affected (inclusive bounds,
// where known), and the seqnums of the writes lost where known. A key
// within a loss's bounds may show an older version, or none, in the
// output; every key outside all losses has exactly its newest state.
// Losses:
//
//   - a damaged data block of an SST: its byte range, keys between the
//     last keys of the blocks around it;
//   - the unread rest of an SST whose blocks were found by their trailers:
//     from the last key read to the table's largest key (from its
//     properties or the manifest), and its range tombstones if they were
//     not found;
//   - a damaged range-deletion block: the table's tombstones, over its
//     bounds (keys they deleted may reappear in the output);
//   - an SST or WAL that is missing but should exist (live in the
//     manifest; the manifest's oldest unflushed WAL; a WAL an end record
//     names): the whole file, with the manifest's bounds for an SST;
//   - a damaged range of a WAL followed by valid records: the batches
//     between the records around it (seqnum bounds), keys unknown; and a
//     damaged tail, unless it is the torn tail of a crash (the newest WAL,
//     without an end record, and the manifest does not record a clean
//     close; without a manifest a damaged tail of the newest WAL cannot be
//     told from a torn one, and is taken as torn);
//   - a separated value whose blob file is missing or damaged: that key
//     (its seqnum), naming the blob file; no older version is written in
//     its place.
//
// Not losses, only notes: damage to an SST's footer, index, properties or
// bloom filter when every entry was still found, a WAL's header, bytes
// after a WAL's end record, a torn tail, files that are not the
// database's, and files the manifest does not list.
//
// Limits: the SSTs being merged are open at once (one descriptor each);
// the WALs' entries are held in memory, as recovery holds them in
// memtables; a table read by its trailers is read into memory whole. A
// WAL record or an SST block found by its checksum is genuine unless a
// 64-bit checksum collides or a value embeds a copy of a whole record or
// block (a database storing its own files).
package repair
