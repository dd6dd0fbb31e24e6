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

	// KindMax is the largest point kind.
	KindMax = KindMerge
)

// Valid reports whether k is a known point kind.
func (k Kind) Valid() bool { return k <= KindMax && k != KindRangeDelete }

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
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}
