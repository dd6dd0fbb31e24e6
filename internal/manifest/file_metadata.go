package manifest

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// NumLevels is the number of LSM levels, L0 to L6.
const NumLevels = 7

// FileMetadata describes one live SST. Once recorded in the manifest it is
// immutable and shared by every Version that contains it.
type FileMetadata struct {
	FileNum base.FileNum
	// Level is in [0, NumLevels).
	Level int
	// Size is the file size in bytes.
	Size uint64
	// Checksum is the whole-file checksum of the SST (XXH3-64 of all its
	// bytes, sstable.Reader.FileChecksum). Zero recorded for a table of
	// SST format 3 or older means "not recorded" (see doc.go).
	Checksum uint64
	// Smallest and Largest bound the file's internal keys (inclusive).
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the sequence numbers of its entries.
	SmallestSeq, LargestSeq base.SeqNum
	// EntryCount is the number of entries in the file and DeletionCount the
	// number of them that are tombstones (DeletionCount <= EntryCount).
	// Both are statistics for compaction picking, recorded by the
	// safe-to-ignore "added file stats" field (see doc.go); both are zero
	// when unknown, for files added by a writer that did not record them.
	EntryCount, DeletionCount uint64
	// RangeDelCount is the number of range tombstones in the file. A
	// file's Largest key may then be an exclusive sentinel: the end of a
	// tombstone with seqnum SeqNumMax and kind KindRangeDelete.
	RangeDelCount uint64
	// GlobalSeq, if not 0, says the file was ingested: it was written
	// with every entry and range tombstone at seqnum 0, and is read with
	// all of them at GlobalSeq (sstable.ReaderOptions.GlobalSeqNum). Its
	// Smallest, Largest, SmallestSeq and LargestSeq are as read: at
	// GlobalSeq, except an exclusive sentinel Largest. Recorded by tag 13
	// (FormatV3).
	GlobalSeq base.SeqNum
	// BlobRefs are the blob files the SST's entries of kind
	// base.KindBlobValue name, each with the decoded bytes of the values
	// it names there. A blob file's live bytes are the sum over the live
	// SSTs. Recorded by tag 17 (FormatV5).
	BlobRefs []BlobRef
}

// BlobRef is an SST's reference to one blob file.
type BlobRef struct {
	FileNum base.FileNum
	// Bytes is the decoded length of the values the SST names in it.
	Bytes uint64
}

// BlobFile describes one live blob file.
type BlobFile struct {
	FileNum base.FileNum
	// Size is the file size in bytes.
	Size uint64
	// ValueBytes is the decoded length of every value written to it.
	ValueBytes uint64
}

func (b BlobFile) String() string {
	return fmt.Sprintf("%s.blob size=%d values=%d", b.FileNum, b.Size, b.ValueBytes)
}

// clone returns a copy that owns its keys.
func (f *FileMetadata) clone() FileMetadata {
	c := *f
	c.Smallest = f.Smallest.Clone()
	c.Largest = f.Largest.Clone()
	c.BlobRefs = append([]BlobRef(nil), f.BlobRefs...)
	return c
}

func (f *FileMetadata) String() string {
	s := fmt.Sprintf("%s:L%d [%s-%s] seqs[%d-%d] size=%d checksum=%#016x",
		f.FileNum, f.Level, f.Smallest, f.Largest, uint64(f.SmallestSeq), uint64(f.LargestSeq), f.Size, f.Checksum)
	if f.hasStats() {
		s += fmt.Sprintf(" entries=%d dels=%d", f.EntryCount, f.DeletionCount)
	}
	if f.GlobalSeq != 0 {
		s += fmt.Sprintf(" global-seq=%d", uint64(f.GlobalSeq))
	}
	for _, r := range f.BlobRefs {
		s += fmt.Sprintf(" blob=%s:%d", r.FileNum, r.Bytes)
	}
	return s
}

// hasStats reports whether the file carries entry statistics.
func (f *FileMetadata) hasStats() bool {
	return f.EntryCount != 0 || f.DeletionCount != 0 || f.RangeDelCount != 0
}

// RemovedFile names a live file to delete from the LSM.
type RemovedFile struct {
	Level   int
	FileNum base.FileNum
}

func (r RemovedFile) String() string { return fmt.Sprintf("%s:L%d", r.FileNum, r.Level) }

// validLevel reports whether l is a level number.
func validLevel(l int) bool { return l >= 0 && l < NumLevels }
