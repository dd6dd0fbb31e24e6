// Package base defines the vocabulary shared by every layer of Tempest:
// sequence numbers, key kinds, trailers, internal keys, the Comparer that
// splits user keys into a logical prefix and a version suffix, file numbers,
// and the error classes.
//
// It is a leaf package: it imports nothing from Tempest.
//
// # Internal keys
//
// An internal key is a user key followed by an 8-byte trailer:
//
//	+-----------------+----------------------------------+
//	| user key (n B)  | trailer: u64 LE = seqnum<<8|kind |
//	+-----------------+----------------------------------+
//
// The sequence number takes the high 56 bits and the kind the low 8, so
// ordering trailers orders by sequence number first, then by kind.
// Internal keys sort by user key ascending (Comparer.Compare), then by
// sequence number descending: the newest version of a user key comes
// first. The kind does not take part in the order (see
// Comparer.CompareInternal).
//
// Kind values are part of the on-disk format and never change:
//
//	0  DEL       point tombstone
//	1  SET       value
//	2  RANGEDEL  range tombstone (batches and range-deletion blocks only)
//	3  MERGE     merge operand (format version 4 and later): folded by
//	             the database's Merger over the older versions of its key
//	4  BLOB      a value stored in a blob file (SST entries only, format
//	             version 5 and later): the entry's value is a blob handle
//	             (see "Blob files"); never in a batch or the WAL
package base
