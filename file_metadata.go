package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// fileMetadata describes a finished SST for the manifest.
func fileMetadata(num base.FileNum, level int, m sstable.Meta) manifest.FileMetadata {
	return manifest.FileMetadata{
		FileNum:       num,
		Level:         level,
		RangeDelCount: m.RangeDelCount,
		Size:          m.Size,
		Checksum:      m.Checksum,
		Smallest:      m.Smallest,
		Largest:       m.Largest,
		SmallestSeq:   m.SmallestSeq,
		LargestSeq:    m.LargestSeq,
		EntryCount:    m.EntryCount,
		DeletionCount: m.DeletionCount,
	}
}
