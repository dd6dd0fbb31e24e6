package tempest

import "github.com/tempestdb/tempest/sstable"

// Compression selects how SST blocks are compressed.
type Compression uint8

const (
	// DefaultCompression is Snappy (or, in LevelCompression, the value of
	// Options.Compression).
	DefaultCompression Compression = iota
	// NoCompression stores blocks raw.
	NoCompression
	// SnappyCompression is fast and compresses moderately.
	SnappyCompression
	// ZstdCompression compresses more at a higher CPU cost; a good choice
	// for the bottom levels, which hold most of the data.
	ZstdCompression
)

func (c Compression) sstable() sstable.Compression {
	switch c {
	case NoCompression:
		return sstable.NoCompression
	case ZstdCompression:
		return sstable.ZstdCompression
	}
	return sstable.SnappyCompression
}

func (c Compression) String() string {
	return [...]string{"default", "none", "snappy", "zstd", "unknown"}[min(int(c), 4)]
}
