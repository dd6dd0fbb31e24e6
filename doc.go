// Package tempest is an embedded LSM-tree key-value storage engine.
//
// A write goes through the write-ahead log (WAL) and an in-memory
// memtable; full memtables are flushed in the background to sorted string
// table (SST) files in level 0. A read merges the memtables and SSTs at a
// snapshot sequence number. The manifest, a replayable journal of edits,
// records which SSTs are live.
//
//	db, err := tempest.Open("/path/to/db", nil)
//	if err != nil { ... }
//	defer db.Close()
//	err = db.Set([]byte("k"), []byte("v"), tempest.Sync)
//	v, err := db.Get([]byte("k"))
//
// # Durability promise
//
//  1. A commit acknowledged with Sync (the default: a nil *WriteOptions)
//     survives a process crash and a power loss, and so does every commit
//     acknowledged before it.
//  2. A commit acknowledged with NoSync has reached the operating system:
//     it survives a crash of the process. Power loss may take it, but the
//     recovered state is always a prefix of the commit order: no holes, no
//     reordering, no partial batch, no resurrected delete.
//  3. Corruption of persisted bytes is detected by checksums and reported
//     as ErrCorruption naming the file and offset. It is never returned as
//     data, and recovery never drops data that was synced to repair it. A
//     torn tail after the last synced record is told apart from corruption
//     and discarded.
//  4. After a failed write or fsync of the WAL, an SST or the manifest, no
//     further commit is acknowledged: the DB turns read-only (ErrReadOnly,
//     wrapping the cause). A failed fsync is never retried. Reopening
//     recovers from the log.
//  5. ENOSPC is an error, not corruption: the DB turns read-only, stays
//     readable, and a reopen after space returns recovers.
//  6. Bad input (an over-long key or value, an over-large batch, invalid
//     options, use after Close) is rejected with ErrInvalidArgument or
//     ErrClosed and changes nothing.
//
// # Keys and versions
//
// A Comparer splits each key into a prefix (its logical identity) and a
// version suffix. DefaultComparer has no suffix. FixedSuffixComparer(n)
// treats the last n bytes as a version sorted descending, so the newest
// version of a prefix sorts first; reads then return one entry per prefix,
// the first version visible at the snapshot.
//
// # Limits
//
// Keys are at most Options.MaxKeySize bytes (default 64 KiB), values at
// most Options.MaxValueSize (default 16 MiB, at most a quarter of the
// memtable), and an encoded batch at most Options.MaxBatchSize (default
// half of the memtable). Empty keys and values are allowed.
package tempest
