// Package raftstore keeps the log and the stable state of a
// hashicorp/raft node in a Tempest database: Store implements
// raft.LogStore and raft.StableStore.
//
// Each Store owns one key prefix of the database, so that several raft
// groups (the shards of a node) can share one DB, beside the data they
// replicate. Under its prefix P a Store writes:
//
//	P 'l' index(8, big-endian)  one raft log entry (encoding below)
//	P 'm' "first"               uvarint floor: no log entry has a smaller index
//	P 's' key                   one stable-store value, as given (SetUint64:
//	                            8 bytes, big-endian)
//
// DeleteRange of the log's front raises the floor in the same batch;
// StoreLogs below it lowers it. New finds the first entry by seeking to
// the floor, not by walking the entries that range tombstones still
// cover, and the last by seeking back from the end of the log's key
// space; after that the Store keeps both bounds in memory, updated under
// its lock with each write.
//
// The prefixes of two Stores on one DB must not be prefixes of one
// another, and one prefix has one Store at a time: a Store caches its
// first and last index.
//
// # Durability and atomicity
//
// Every write is synced (tempest.Sync) before it returns. StoreLogs is one
// atomic batch: after a crash all of its entries are present or none is.
// DeleteRange is one range tombstone (tempest.Batch.DeleteRange) in one
// batch with the meta floor. A StoreLogs larger than the DB's
// MaxBatchSize fails with tempest.ErrInvalidArgument and writes nothing.
//
// # Errors raft relies on
//
// GetLog of an index that holds no entry returns raft.ErrLogNotFound, the
// value itself (raft compares with ==). Get and GetUint64 of a key never
// set return ErrKeyNotFound, whose text is exactly "not found": that is
// what raft-boltdb returns, and hashicorp/raft v1.7.2 tells a missing key
// from a failure by err.Error() == "not found" (NewRaft and
// HasExistingState reading CurrentTerm, requestVote reading LastVoteTerm
// and LastVoteCand). GetUint64 then returns 0. ErrKeyNotFound also
// matches tempest.ErrNotFound under errors.Is. Any other error (a closed
// DB, corruption) passes through, so raft refuses to start on it.
//
// # Log entry encoding
//
// The value of a log key, version 1:
//
//	version    1 byte, 1
//	type       1 byte, raft.LogType
//	term       uvarint
//	appendedAt varint, AppendedAt.UnixNano(); 0 means the zero time
//	data       uvarint length, bytes
//	extensions uvarint length, bytes
//
// The index is the key's; it is not repeated. A value that does not
// decode (an unknown version, a short or overlong record) is reported as
// tempest.ErrCorruption naming the index. An empty Data or Extensions
// reads back as nil. AppendedAt reads back in the local time zone without
// a monotonic reading, at nanosecond precision (as raft-boltdb's msgpack
// keeps it).
package raftstore
