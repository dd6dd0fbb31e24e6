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

	// KindMax is the largest point kind.
	KindMax = KindSet
)

// Valid reports whether k is a known point kind.
func (k Kind) Valid() bool { return k <= KindMax }

func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	case KindRangeDelete:
		return "RANGEDEL"
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}
