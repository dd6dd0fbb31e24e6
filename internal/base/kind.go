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

	// KindMax is the largest kind; a search key built with it sorts before
	// every entry of the same user key and sequence number.
	KindMax = KindSet
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k <= KindMax }

func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}
