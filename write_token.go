package tempest

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// WriteToken identifies a committed batch: it carries the sequence number
// the batch was committed at. Every entry of the batch has that number.
//
// A token lets a reader observe its own writes: DB.NewSnapshotAt(t) reads
// exactly at t, and any snapshot taken after Apply returned t sees the
// batch.
type WriteToken struct {
	seq base.SeqNum
}

// SeqNum returns the batch's sequence number.
func (t WriteToken) SeqNum() uint64 { return uint64(t.seq) }

// IsZero reports whether t is the zero token (no write).
func (t WriteToken) IsZero() bool { return t.seq == 0 }

func (t WriteToken) String() string { return fmt.Sprintf("WriteToken(%d)", uint64(t.seq)) }
