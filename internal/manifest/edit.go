package manifest

import (
	"fmt"
	"strings"
	"time"

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
	// MergerName, if not "", records the name of the Merger the database's
	// merge operands need. Once set it can never change. Only databases of
	// FormatV4 and later record it.
	MergerName string
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
	// ClosedLogs records WALs closed with an end record: each one's final
	// size and checksum, which recovery requires the file to have. A
	// record is dropped once MinUnflushedLog passes its WAL.
	ClosedLogs []ClosedLog
	// Obsolete records files that hold no live data but may still exist:
	// SSTs removed from the LSM (by this edit or, when found orphaned at
	// Open, never added) and WALs below MinUnflushedLog. They may be
	// deleted; until Deleted names them, recovery deletes them.
	Obsolete []ObsoleteFile
	// Deleted records that obsolete files are gone: removed, and the
	// removal made durable.
	Deleted []base.FileNum
	// OrphanFloor, if not 0, records that every SST file number below it
	// that the database handed out is recorded (live or obsolete) or its
	// file is gone. So an SST numbered at or above it, below NextFileNum,
	// neither live nor obsolete, is the output of a flush or compaction
	// whose edit never became durable: an orphan. A lower value than the
	// current one leaves it unchanged. A manifest that has never recorded
	// one was written by a version that kept none of these records (see
	// Manifest.Tracked).
	OrphanFloor base.FileNum
	// FormatVersion, if not 0, records the database's format version (see
	// FormatV1): everything the database holds from this edit on may use
	// what the version allows. It can only be raised, and an edit naming
	// a version newer than FormatNewest is refused with an error matching
	// base.ErrFormatVersion.
	FormatVersion uint32
	// AddedBlobs are new blob files, each below NextFileNum. Added SSTs
	// may name them (FileMetadata.BlobRefs) in the same edit.
	// FormatV5 (tag 18).
	AddedBlobs []BlobFile
	// RemovedBlobs are live blob files no live SST names after the edit.
	// FormatV5 (tag 19).
	RemovedBlobs []base.FileNum
	// Time is when the edit was applied, in Unix nanoseconds: set by
	// Manifest.Apply from its clock, never by the caller, in a database
	// of FormatV7 or later, and 0 (none) below. It never goes back: a
	// clock that does is held at the previous edit's time. A snapshot
	// carries the time of the last edit it sums up. FormatV7 (tag 69).
	Time int64
	// History is the history of the tables' changes up to the edit, in
	// a snapshot (the first edit of a manifest file) only. FormatV7
	// (tag 70).
	History []HistoryEntry
}

// ClosedLog is a WAL's size and checksum when it was closed (wal.Final).
type ClosedLog struct {
	FileNum  base.FileNum
	Size     uint64
	Checksum uint64
}

func (c ClosedLog) String() string {
	return fmt.Sprintf("%s size=%d crc=%#016x", c.FileNum, c.Size, c.Checksum)
}

// FileKind says what an obsolete file is.
type FileKind uint8

const (
	// KindTable is an SST ("NNNNNN.sst").
	KindTable FileKind = 1
	// KindLog is a WAL ("NNNNNN.log").
	KindLog FileKind = 2
	// KindBlob is a blob file ("NNNNNN.blob").
	KindBlob FileKind = 3
)

func (k FileKind) String() string {
	switch k {
	case KindTable:
		return "sst"
	case KindLog:
		return "log"
	case KindBlob:
		return "blob"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k FileKind) valid() bool { return k == KindTable || k == KindLog || k == KindBlob }

// ObsoleteFile names a file that may be deleted.
type ObsoleteFile struct {
	Kind    FileKind
	FileNum base.FileNum
}

func (o ObsoleteFile) String() string { return fmt.Sprintf("%s:%s", o.FileNum, o.Kind) }

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
	c.ClosedLogs = append([]ClosedLog(nil), e.ClosedLogs...)
	c.Obsolete = append([]ObsoleteFile(nil), e.Obsolete...)
	c.Deleted = append([]base.FileNum(nil), e.Deleted...)
	c.AddedBlobs = append([]BlobFile(nil), e.AddedBlobs...)
	c.RemovedBlobs = append([]base.FileNum(nil), e.RemovedBlobs...)
	c.History = append([]HistoryEntry(nil), e.History...)
	return &c
}

// String renders e on one line, for logs and dumps.
func (e *Edit) String() string {
	var parts []string
	if e.ComparerName != "" {
		parts = append(parts, fmt.Sprintf("comparer=%q", e.ComparerName))
	}
	if e.MergerName != "" {
		parts = append(parts, fmt.Sprintf("merger=%q", e.MergerName))
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
	for _, b := range e.AddedBlobs {
		parts = append(parts, "add-blob "+b.String())
	}
	for _, n := range e.RemovedBlobs {
		parts = append(parts, "remove-blob "+n.String())
	}
	for _, c := range e.ClosedLogs {
		parts = append(parts, "closed-log "+c.String())
	}
	for _, o := range e.Obsolete {
		parts = append(parts, "obsolete "+o.String())
	}
	for _, n := range e.Deleted {
		parts = append(parts, "deleted "+n.String())
	}
	if e.OrphanFloor != 0 {
		parts = append(parts, fmt.Sprintf("orphan-floor=%s", e.OrphanFloor))
	}
	if e.FormatVersion != 0 {
		parts = append(parts, fmt.Sprintf("format-version=%d", e.FormatVersion))
	}
	if e.CleanClose {
		parts = append(parts, "clean-close")
	}
	if e.Time != 0 {
		parts = append(parts, "time="+time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano))
	}
	if len(e.History) > 0 {
		parts = append(parts, fmt.Sprintf("history=%d", len(e.History)))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{" + strings.Join(parts, "; ") + "}"
}
