package base

import "fmt"

// Kind is the type of an entry. Its values are part of the file format
// (WAL batches and SST trailers) and must never change.
type Kind uint8

const (
	// KindDelete is a point tombstone: it hides older versions of its key.
	KindDelete Kind = 0
	// KindSet is a value.
	KindSet Kind = 1
	// KindRangeDelete is a range tombstone [key, value): it hides every
	// entry of a user key in that range with a lower seqnum. Range
	// tombstones are kept apart from point entries (the memtable's
	// tombstone list, an SST's range-deletion block); in a batch the entry's
	// key is the start and its value the end.
	KindRangeDelete Kind = 2
	// KindMerge is a merge operand: the Merger folds it over the older
	// versions of its user key (the newest value below it, or nothing if
	// a tombstone or nothing lies below). Only databases of format
	// version 4 and later hold it.
	KindMerge Kind = 3
	// KindBlobValue is a value stored in a blob file: the entry's value is
	// a blob handle (internal/blob). It appears only in SSTs, of databases
	// of format version 5 and later; never in a batch or the WAL, which
	// carry whole values.
	KindBlobValue Kind = 4

	// KindMax is the largest point kind of a batch.
	KindMax = KindMerge
)

// Valid reports whether k is a known point kind of a batch.
func (k Kind) Valid() bool { return k <= KindMax && k != KindRangeDelete }

// ValidInTable reports whether k is a known point kind of an SST: a
// batch's, or KindBlobValue.
func (k Kind) ValidInTable() bool { return k.Valid() || k == KindBlobValue }

// IsValue reports whether k holds a value, inline or in a blob file.
func (k Kind) IsValue() bool { return k == KindSet || k == KindBlobValue }

func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	case KindRangeDelete:
		return "RANGEDEL"
	case KindMerge:
		return "MERGE"
	case KindBlobValue:
		return "BLOB"
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}
