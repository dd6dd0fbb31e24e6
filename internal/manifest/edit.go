package manifest

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
)

// Edit is one atomic manifest change (a version edit). Every field is
// optional; the zero Edit changes nothing but resets CleanClose.
//
// Removals apply before additions, so one edit can move a file between
// levels by removing it from one and adding it to another.
type Edit struct {
	// ComparerName is set by the first edit of a new database and can never
	// change afterwards.
	ComparerName string
	// NextFileNum, if not 0, raises the file number lease: no file number
	// >= NextFileNum is in use. It can only be raised.
	NextFileNum base.FileNum
	// LastSeqNum, if not 0, raises the sequence number lease: no sequence
	// number > LastSeqNum has been handed out. It can only be raised.
	LastSeqNum base.SeqNum
	// MinUnflushedLog, if not 0, records that WAL files below it are fully
	// flushed. It can only be raised, and never beyond NextFileNum.
	MinUnflushedLog base.FileNum
	// Added files, each new and below NextFileNum.
	Added []FileMetadata
	// Removed files, each live at the given level.
	Removed []RemovedFile
	// CleanClose is written by a clean close of the database, as the last
	// edit before the manifest is closed.
	CleanClose bool
	// VisibleSeqNum, if not 0, records that every batch with a seqnum up
	// to it was committed and is in the SSTs or in the WALs from
	// MinUnflushedLog on, even a batch that left no entry (an empty batch,
	// or a tombstone a compaction dropped): Open makes at least it
	// visible. A lower value than the current one leaves it unchanged.
	VisibleSeqNum base.SeqNum
	// Horizon, if not 0, records that compactions may have dropped versions
	// that only reads below this seqnum could see (see DB.NewSnapshotAt). A
	// lower value than the current one leaves it unchanged.
	Horizon base.SeqNum
}

// AddFile returns the edit that records a new SST, as a flush does.
func AddFile(meta FileMetadata) *Edit {
	return &Edit{Added: []FileMetadata{meta}}
}

// Compaction returns the edit that replaces removed by added in one step.
func Compaction(added []FileMetadata, removed []RemovedFile) *Edit {
	return &Edit{Added: added, Removed: removed}
}

// clone returns a deep copy of e that shares no memory with it.
func (e *Edit) clone() *Edit {
	c := *e
	c.Added = nil
	if len(e.Added) > 0 {
		c.Added = make([]FileMetadata, len(e.Added))
		for i := range e.Added {
			c.Added[i] = e.Added[i].clone()
		}
	}
	c.Removed = append([]RemovedFile(nil), e.Removed...)
	return &c
}

// String renders e on one line, for logs and dumps.
func (e *Edit) String() string {
	var parts []string
	if e.ComparerName != "" {
		parts = append(parts, fmt.Sprintf("comparer=%q", e.ComparerName))
	}
	if e.NextFileNum != 0 {
		parts = append(parts, fmt.Sprintf("next-file=%s", e.NextFileNum))
	}
	if e.VisibleSeqNum != 0 {
		parts = append(parts, fmt.Sprintf("visible-seq=%d", uint64(e.VisibleSeqNum)))
	}
	if e.Horizon != 0 {
		parts = append(parts, fmt.Sprintf("horizon=%d", uint64(e.Horizon)))
	}
	if e.LastSeqNum != 0 {
		parts = append(parts, fmt.Sprintf("last-seq=%d", uint64(e.LastSeqNum)))
	}
	if e.MinUnflushedLog != 0 {
		parts = append(parts, fmt.Sprintf("min-unflushed-log=%s", e.MinUnflushedLog))
	}
	for _, r := range e.Removed {
		parts = append(parts, "remove "+r.String())
	}
	for i := range e.Added {
		parts = append(parts, "add "+e.Added[i].String())
	}
	if e.CleanClose {
		parts = append(parts, "clean-close")
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{" + strings.Join(parts, "; ") + "}"
}
