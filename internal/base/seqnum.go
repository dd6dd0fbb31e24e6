package base

import "fmt"

// SeqNum is a 56-bit sequence number. Every committed batch receives one;
// all entries of the batch share it.
//
// Values 1 to 15 are reserved. The first batch committed to a fresh
// database receives SeqNumStart.
type SeqNum uint64

const (
	// SeqNumZero is the absence of a sequence number and the lowest bound.
	SeqNumZero SeqNum = 0
	// SeqNumMin is one below SeqNumStart.
	SeqNumMin SeqNum = 15
	// SeqNumStart is the sequence number of the first batch.
	SeqNumStart SeqNum = 16
	// SeqNumMax is the largest representable sequence number (2^56-1).
	SeqNumMax SeqNum = 1<<56 - 1
)

// Valid reports whether s fits in 56 bits.
func (s SeqNum) Valid() bool { return s <= SeqNumMax }

func (s SeqNum) String() string { return fmt.Sprintf("#%d", uint64(s)) }

// FileNum identifies a WAL, SST or journal file. File numbers are never
// reused: the next file number is persisted in the manifest before any file
// carrying a higher number can be referenced.
type FileNum uint64

func (f FileNum) String() string { return fmt.Sprintf("%06d", uint64(f)) }
