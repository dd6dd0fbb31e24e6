package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// Options configure Import. The zero value is ready.
type Options struct {
	// TargetFileSize is the size, in bytes of keys and values, at which
	// an SST is cut. Default 64 MiB.
	TargetFileSize int64
	// BlockSize is the SSTs' data block size. Default: the sstable
	// package's.
	BlockSize int
	// Compression compresses the SSTs' blocks. Its zero value selects
	// Snappy, the DB's default; Uncompressed writes them uncompressed.
	Compression  sstable.Compression
	Uncompressed bool
	// Keys and Bytes, if not nil, count the keys and the key and value
	// bytes read so far, for a progress report.
	Keys, Bytes *atomic.Int64
}

// Result describes a completed import.
type Result struct {
	Keys  int64 // keys copied
	Bytes int64 // bytes of keys and values copied
	Files int   // SSTs ingested
	// Token is the write token the ingest committed at: the copied keys
	// are visible at it and after.
	Token tempest.WriteToken
	// Elapsed is the time of the whole import, reading to ingest.
	Elapsed time.Duration
}

// KeysPerSecond is the import's throughput.
func (r Result) KeysPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Keys) / r.Elapsed.Seconds()
}

// Import copies src's live keys into db, whose directory is dbDir on the
// default file system, as one Ingest: db holds all of them, newer than
// anything it held, or (on an error or a crash) none. db's Comparer must
// be bytewise (tempest.DefaultComparer).
func Import(src Source, db *tempest.DB, dbDir string, o Options) (Result, error) {
	start := time.Now()
	if o.TargetFileSize <= 0 {
		o.TargetFileSize = 64 << 20
	}
	switch {
	case o.Uncompressed:
		o.Compression = sstable.NoCompression
	case o.Compression == sstable.NoCompression:
		o.Compression = sstable.SnappyCompression
	}
	if o.Keys == nil {
		o.Keys = new(atomic.Int64)
	}
	if o.Bytes == nil {
		o.Bytes = new(atomic.Int64)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dbDir)), "."+filepath.Base(dbDir)+".import-")
	if err != nil {
		return Result{}, fmt.Errorf("importer: %w", err)
	}
	defer os.RemoveAll(tmp)
	tw := &tableWriter{
		fs:     vfs.Default,
		dir:    tmp,
		target: uint64(o.TargetFileSize),
		opts: sstable.WriterOptions{
			Comparer:    tempest.DefaultComparer,
			BlockSize:   o.BlockSize,
			Compression: o.Compression,
		},
	}
	err = src.Scan(func(key, value []byte) error {
		o.Keys.Add(1)
		o.Bytes.Add(int64(len(key) + len(value)))
		return tw.add(key, value)
	})
	if err == nil {
		err = tw.finish()
	}
	if err != nil {
		tw.abort()
		return Result{}, err
	}
	res := Result{Keys: o.Keys.Load(), Bytes: o.Bytes.Load(), Files: len(tw.paths)}
	if len(tw.paths) > 0 {
		if res.Token, err = db.Ingest(tw.paths); err != nil {
			return Result{}, fmt.Errorf("importer: ingest: %w", err)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// ErrMismatch is returned by Verify when the destination differs from
// the source.
var ErrMismatch = errors.New("importer: destination differs from source")
