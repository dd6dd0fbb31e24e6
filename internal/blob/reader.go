package blob

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/vfs"
)

// Footer is a blob file's decoded footer.
type Footer struct {
	Count, ValueBytes uint64
}

// Reader reads values from one blob file. It is safe for concurrent use.
type Reader struct {
	f    vfs.File
	name string
	size uint64
	foot Footer
}

// Open checks f's footer and size (the size the manifest records) and
// returns its reader, which owns f. Errors match base.ErrCorruption and
// name the file; f is closed on error.
func Open(f vfs.File, name string, size uint64) (*Reader, error) {
	r := &Reader{f: f, name: name, size: size}
	if err := r.readFooter(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) readFooter() error {
	actual, err := r.f.Size()
	if err != nil {
		return err
	}
	if uint64(actual) != r.size {
		return base.Corruptionf(r.name, actual, "blob file of %d bytes, the manifest records %d", actual, r.size)
	}
	if r.size < FooterLen {
		return base.Corruptionf(r.name, 0, "blob file of %d bytes is shorter than a footer", r.size)
	}
	var b [FooterLen]byte
	off := int64(r.size - FooterLen)
	if _, err := r.f.ReadAt(b[:], off); err != nil {
		return base.Corruptionf(r.name, off, "reading the footer: %v", err)
	}
	f, err := DecodeFooter(b[:], r.name, off)
	r.foot = f
	return err
}

// DecodeFooter decodes a footer read at off of file.
func DecodeFooter(b []byte, file string, off int64) (Footer, error) {
	if len(b) != FooterLen || binary.LittleEndian.Uint64(b[32:]) != Magic {
		return Footer{}, base.Corruptionf(file, off, "bad blob file magic")
	}
	if binary.LittleEndian.Uint64(b[24:]) != crc.Checksum(b[:24]) {
		return Footer{}, base.Corruptionf(file, off, "blob footer checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(b[16:]); v != FormatVersion {
		return Footer{}, base.Corruptionf(file, off, "unknown blob file format version %d", v)
	}
	return Footer{Count: binary.LittleEndian.Uint64(b), ValueBytes: binary.LittleEndian.Uint64(b[8:])}, nil
}

// Footer returns the file's footer.
func (r *Reader) Footer() Footer { return r.foot }

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// Read returns the value h names, appended to dst. Errors match
// base.ErrCorruption and name the file and offset.
func (r *Reader) Read(h Handle, dst []byte) ([]byte, error) {
	if err := r.checkBounds(h); err != nil {
		return nil, err
	}
	// A block stored as is (as long as its value) is read straight into
	// dst's tail and needs no other copy; a compressed one is read into a
	// pooled buffer and decoded into dst's tail.
	if h.Length != h.ValueLen {
		scratch := getScratch(int(h.Length + trailerLen))
		defer putScratch(scratch)
		stored, c, err := r.readBlock(h, *scratch)
		if err != nil {
			return nil, err
		}
		return r.decodeTo(h, c, stored, dst)
	}
	dst = slices.Grow(dst, int(h.Length+trailerLen))
	stored, c, err := r.readBlock(h, dst[len(dst):len(dst)+int(h.Length+trailerLen)])
	switch {
	case err != nil:
		return nil, err
	case c == NoCompression:
		return dst[:len(dst)+len(stored)], nil
	}
	// Compressed to its own length: decode from a copy, since the stored
	// bytes lie where the value goes.
	return r.decodeTo(h, c, append([]byte(nil), stored...), dst)
}

// ReadAlloc returns the value h names in a buffer of exactly its length
// from alloc, which it calls once the block is read and its checksum
// verified (so that a damaged handle never sizes an allocation), and
// only then. The block is read into a pooled buffer and decoded, or
// copied, into the allocated one. On error the caller still owns
// whatever alloc returned. Errors match base.ErrCorruption and name the
// file and offset.
func (r *Reader) ReadAlloc(h Handle, alloc func(n int) []byte) ([]byte, error) {
	if err := r.checkBounds(h); err != nil {
		return nil, err
	}
	scratch := getScratch(int(h.Length + trailerLen))
	defer putScratch(scratch)
	stored, c, err := r.readBlock(h, *scratch)
	if err != nil {
		return nil, err
	}
	n, err := decodedLen(c, stored)
	if err == nil && n != h.ValueLen {
		err = fmt.Errorf("value of %d bytes, the handle says %d", n, h.ValueLen)
	}
	if err != nil {
		return nil, base.Corruptionf(r.name, int64(h.Offset), "blob block: %v", err)
	}
	return r.decodeTo(h, c, stored, alloc(int(h.ValueLen))[:0])
}

// checkBounds reports a handle whose block is not within the file's data
// area as corruption.
func (r *Reader) checkBounds(h Handle) error {
	if h.Offset+h.Length+trailerLen > r.size-FooterLen || h.Offset+h.Length < h.Offset {
		return base.Corruptionf(r.name, int64(h.Offset), "blob block %d+%d overruns the data area (%d bytes)",
			h.Offset, h.Length, r.size-FooterLen)
	}
	return nil
}

// readBlock reads the block h names into block (its stored bytes and
// trailer: h.Length+trailerLen bytes) and verifies its checksum. It
// returns the stored bytes and the compression byte.
func (r *Reader) readBlock(h Handle, block []byte) ([]byte, byte, error) {
	if _, err := r.f.ReadAt(block, int64(h.Offset)); err != nil {
		return nil, 0, base.Corruptionf(r.name, int64(h.Offset), "reading blob block: %v", err)
	}
	stored, c := block[:h.Length], block[h.Length]
	if blockChecksum(h.Offset, stored, c) != binary.LittleEndian.Uint64(block[h.Length+1:]) {
		return nil, 0, base.Corruptionf(r.name, int64(h.Offset), "blob block checksum mismatch")
	}
	return stored, c, nil
}

// decodeTo appends the value of the verified stored bytes of h's block,
// compressed as c says, to dst, and checks its length against h's.
func (r *Reader) decodeTo(h Handle, c byte, stored, dst []byte) ([]byte, error) {
	v, err := decode(c, stored, dst)
	if err == nil && uint64(len(v)-len(dst)) != h.ValueLen {
		err = fmt.Errorf("value of %d bytes, the handle says %d", len(v)-len(dst), h.ValueLen)
	}
	if err != nil {
		return nil, base.Corruptionf(r.name, int64(h.Offset), "blob block: %v", err)
	}
	return v, nil
}

// decodedLen returns the length of the value of a block's stored bytes,
// compressed as c says.
func decodedLen(c byte, stored []byte) (uint64, error) {
	switch c {
	case NoCompression:
		return uint64(len(stored)), nil
	case SnappyCompression:
		n, err := s2.DecodedLen(stored)
		return uint64(n), err
	}
	return 0, fmt.Errorf("unknown compression %d", c)
}

// decode appends the value of a block's stored bytes, compressed as c
// says, to dst.
func decode(c byte, stored, dst []byte) ([]byte, error) {
	switch c {
	case NoCompression:
		return append(dst, stored...), nil
	case SnappyCompression:
		n, err := s2.DecodedLen(stored)
		if err != nil {
			return nil, err
		}
		dst = slices.Grow(dst, n)
		out := dst[len(dst) : len(dst)+n]
		if _, err := s2.Decode(out, stored); err != nil {
			return nil, err
		}
		return dst[:len(dst)+n], nil
	}
	return nil, fmt.Errorf("unknown compression %d", c)
}

// maxPooledScratch bounds the read buffers kept for reuse: larger ones
// are left to the garbage collector.
const maxPooledScratch = 1 << 20

var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

// getScratch returns a buffer of n bytes for a compressed block.
func getScratch(n int) *[]byte {
	b := scratchPool.Get().(*[]byte)
	*b = slices.Grow((*b)[:0], n)[:n]
	return b
}

func putScratch(b *[]byte) {
	if cap(*b) <= maxPooledScratch {
		scratchPool.Put(b)
	}
}

// Size returns the file's size.
func (r *Reader) Size() uint64 { return r.size }
