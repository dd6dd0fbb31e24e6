package sstable

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// FormatVersion is the format version this package writes. It reads
// versions MinFormatVersion to FormatVersion: version 4 differs from 3
// only in the file number of its properties block, and version 3 from 2
// only in its bloom filter, blocked instead of seeded (doc.go).
const FormatVersion uint32 = 4

// fileNumVersion is the first format version that records the table's
// file number.
const fileNumVersion uint32 = 4

// MinWriteFormatVersion is the oldest format version this package writes
// (WriterOptions.FormatVersion).
const MinWriteFormatVersion uint32 = 3

// MinFormatVersion is the oldest format version this package reads.
const MinFormatVersion uint32 = 2

// Defaults applied to zero-valued WriterOptions fields.
const (
	DefaultBlockSize       = 4096
	DefaultRestartInterval = 16
	DefaultBloomFPR        = 0.01
)

// Limits that keep every block offset and size within its u32 field.
const (
	// MaxBlockSize is the largest accepted WriterOptions.BlockSize.
	MaxBlockSize = 1 << 30
	// MaxEntrySize bounds len(user key) + len(value) of one entry.
	MaxEntrySize = 1 << 30
)

// WriterOptions configure a Writer. The zero value of each field other
// than Comparer selects its default.
type WriterOptions struct {
	// Comparer orders the keys. Required; its name is recorded in the
	// properties block.
	Comparer *base.Comparer
	// BlockSize is the size at which a data block is cut (default 4096,
	// at most MaxBlockSize; <= 0 selects the default).
	BlockSize int
	// RestartInterval is the number of entries between restart points of
	// a data block (default 16; <= 0 selects the default).
	RestartInterval int
	// BloomFPR is the bloom filter's target false-positive rate (default
	// 0.01). A negative value, or one >= 1, disables the filter.
	BloomFPR float64
	// EstimatedKeys sizes the bloom filter: the expected number of
	// distinct key prefixes. When it is 0 the writer buffers the prefixes
	// and sizes the filter for the real count at Finish. When the real
	// count exceeds a nonzero estimate the filter stays correct but its
	// false-positive rate rises.
	EstimatedKeys int
	// Compression compresses the data, properties and index blocks
	// (default NoCompression). A block is stored raw when compressing it
	// saves less than 12.5% of its size.
	Compression Compression
	// FileName names the file in error messages.
	FileName string
	// FileNum is the table's file number, recorded in its properties so
	// that whoever opens the file can check that it is the table it
	// expects (Properties.FileNum).
	FileNum base.FileNum
	// FormatVersion is the format version to write: 0 selects
	// FormatVersion; otherwise MinWriteFormatVersion to FormatVersion. A
	// version 3 table records no file number.
	FormatVersion uint32
}

// withDefaults returns a copy of o with defaults applied, or an error
// matching base.ErrInvalidArgument.
func (o WriterOptions) withDefaults() (WriterOptions, error) {
	if o.Comparer == nil {
		return o, base.InvalidArgumentf("sstable: WriterOptions.Comparer is required")
	}
	if o.FormatVersion == 0 {
		o.FormatVersion = FormatVersion
	}
	if o.FormatVersion < MinWriteFormatVersion || o.FormatVersion > FormatVersion {
		return o, base.InvalidArgumentf("sstable: cannot write format version %d (writes %d to %d)",
			o.FormatVersion, MinWriteFormatVersion, FormatVersion)
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockSize > MaxBlockSize {
		return o, base.InvalidArgumentf("sstable: BlockSize %d exceeds %d", o.BlockSize, MaxBlockSize)
	}
	if o.RestartInterval <= 0 {
		o.RestartInterval = DefaultRestartInterval
	}
	if o.BloomFPR == 0 {
		o.BloomFPR = DefaultBloomFPR
	}
	if !o.Compression.valid() {
		return o, base.InvalidArgumentf("sstable: unknown compression %d", uint8(o.Compression))
	}
	if o.EstimatedKeys < 0 {
		o.EstimatedKeys = 0
	}
	return o, nil
}

// bloomEnabled reports whether the options ask for a filter.
func (o WriterOptions) bloomEnabled() bool { return o.BloomFPR > 0 && o.BloomFPR < 1 }

// ReaderOptions configure Open.
type ReaderOptions struct {
	// Comparer must have the name recorded in the table. Required.
	Comparer *base.Comparer
	// FileName names the file in error messages.
	FileName string
	// Cache, if not nil, caches the table's decoded data blocks and is
	// charged (Cache.Reserve) for its index and filter blocks while the
	// Reader is open.
	Cache *cache.Cache
	// CacheID and FileNum name the table in Cache. Every table opened
	// with the same CacheID must have its own FileNum, and a FileNum must
	// always name the same bytes: a DB passes one CacheID (from
	// Cache.NewID) and its file numbers, and its blocks outlive each
	// Reader (see Reader.Close). A CacheID of 0 gives the Reader a
	// namespace of its own, which Close empties, and FileNum is then not
	// needed.
	CacheID uint64
	FileNum uint64
	// GlobalSeqNum, if not 0, is the seqnum the table is read at: that of
	// a table written for ingest (Writer.Set, Delete, DeleteRange, all at
	// seqnum 0) once a DB has ingested it. Every key the iterators return,
	// every range tombstone and the bounds of Properties then carry it in
	// place of 0 (an exclusive sentinel bound stays one). Open refuses a
	// table holding another seqnum than 0 with ErrCorruption. The file is
	// never rewritten: VerifyChecksums and FileChecksum see its bytes.
	GlobalSeqNum base.SeqNum
}
