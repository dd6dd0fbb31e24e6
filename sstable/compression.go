package sstable

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"

	"github.com/tempestdb/tempest/internal/base"
)

// Compression is a block compression algorithm. Its value is the
// compression byte of the block trailer (doc.go).
type Compression uint8

// Compression algorithms.
const (
	NoCompression     Compression = 0
	SnappyCompression Compression = 1
	ZstdCompression   Compression = 2
)

// String returns the name ParseCompression accepts.
func (c Compression) String() string {
	switch c {
	case NoCompression:
		return "none"
	case SnappyCompression:
		return "snappy"
	case ZstdCompression:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", uint8(c))
}

// valid reports whether c is a known algorithm.
func (c Compression) valid() bool { return c <= ZstdCompression }

// ParseCompression returns the algorithm named s ("none", "snappy" or
// "zstd"), or an error matching base.ErrInvalidArgument.
func ParseCompression(s string) (Compression, error) {
	for c := NoCompression; c.valid(); c++ {
		if s == c.String() {
			return c, nil
		}
	}
	return 0, base.InvalidArgumentf("sstable: unknown compression %q (want none, snappy or zstd)", s)
}

// maxDecodedBlockLen bounds the decoded length of a compressed block. The
// writer stores larger blocks raw, so a larger claim is corruption, and no
// block, however forged, makes the reader allocate more than this for it.
const maxDecodedBlockLen = MaxBlockSize

// minSavingDivisor sets the compression threshold: a block is stored
// compressed only when that saves at least 1/minSavingDivisor (12.5%) of
// its size.
const minSavingDivisor = 8

// compressBlock returns the stored form of block under c, in dst's backing
// array when it fits, and the compression byte that records it: block
// itself and NoCompression when c is NoCompression, when the block is
// larger than maxDecodedBlockLen, or when compressing saves less than
// 12.5%.
func compressBlock(c Compression, dst, block []byte) ([]byte, Compression) {
	if c == NoCompression || len(block) > maxDecodedBlockLen {
		return block, NoCompression
	}
	out, ok := encodeBlock(c, dst, block)
	if !ok || len(out) > len(block)-len(block)/minSavingDivisor {
		return block, NoCompression
	}
	return out, c
}

// encodeBlock returns block compressed with c (not NoCompression), in
// dst's backing array when it fits, or false if c cannot be used. Snappy
// blocks come from s2's Snappy-compatible encoder, which is faster than
// the snappy package's and uses only standard Snappy operations.
func encodeBlock(c Compression, dst, block []byte) ([]byte, bool) {
	switch c {
	case SnappyCompression:
		return s2.EncodeSnappy(dst[:cap(dst)], block), true
	case ZstdCompression:
		enc, err := zstdEncoder()
		if err != nil {
			return nil, false // the caller stores the block raw
		}
		out := binary.AppendUvarint(dst[:0], uint64(len(block)))
		return enc.EncodeAll(block, out), true
	}
	return nil, false
}

// decompressBlock returns the decoded form of a block stored with
// compression c, read from offset off of file. Raw blocks are returned as
// they are; compressed ones are decoded into a new buffer from a. Bad
// input of any kind gives an error matching base.ErrCorruption (and
// leaves no buffer allocated).
func decompressBlock(c Compression, block []byte, file string, off uint64, a blockAlloc) ([]byte, error) {
	corrupt := func(format string, args ...any) error {
		return base.Corruptionf(file, int64(off), "%s block: "+format, append([]any{c}, args...)...)
	}
	if c == NoCompression {
		return block, nil
	}
	if !c.valid() {
		return nil, base.Corruptionf(file, int64(off), "unsupported block compression %d", uint8(c))
	}
	// Both stored forms begin with the decoded length as a uvarint: the
	// preamble of Snappy's block format, and the prefix this format adds
	// before a zstd frame.
	n, k := binary.Uvarint(block)
	if k <= 0 {
		return nil, corrupt("bad decoded length")
	}
	if n > maxDecodedBlockLen {
		return nil, corrupt("decoded length %d exceeds %d", n, maxDecodedBlockLen)
	}
	out := a.alloc(int(n))
	var err error
	var got []byte
	switch c {
	case SnappyCompression:
		got, err = snappy.Decode(out, block)
	case ZstdCompression:
		dec, derr := zstdDecoder()
		if derr != nil {
			return nil, fmt.Errorf("sstable: zstd decoder: %w", derr)
		}
		got, err = dec.DecodeAll(block[k:], out[:0])
	}
	switch {
	case err != nil:
		err = corrupt("%v", err)
	case uint64(len(got)) != n:
		err = corrupt("decoded %d bytes, want %d", len(got), n)
	case n > 0 && &got[0] != &out[0]:
		err = corrupt("decoded past %d bytes", n)
	}
	if err != nil {
		a.free(out)
		return nil, err
	}
	return got, nil
}

// The zstd encoder and decoder are created once and shared: each keeps an
// internal pool of GOMAXPROCS states for EncodeAll and DecodeAll, which
// are safe for concurrent use. Neither starts goroutines. The decoder
// writes straight into the buffer sized by the decoded length and may not
// grow it (WithDecodeAllCapLimit).
var (
	zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
		return zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithEncoderCRC(false), // the block trailer has a checksum
			zstd.WithLowerEncoderMem(true),
			zstd.WithWindowSize(zstdWindowSize))
	})
	zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
		return zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderMaxMemory(maxDecodedBlockLen),
			zstd.WithDecodeAllCapLimit(true))
	})
)

// zstdWindowSize is the encoder's window: blocks are far smaller, so a
// larger one would only cost memory.
const zstdWindowSize = 1 << 20
