package blob

import (
	"encoding/binary"

	"github.com/klauspost/compress/s2"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/vfs"
)

// FormatVersion is the blob file format version the footer records.
const FormatVersion = 1

// Magic ends every blob file.
const Magic uint64 = 0x626c6f6274656d70 // "blobtemp"

// Block compression, the byte after a block's stored bytes.
const (
	NoCompression     byte = 0
	SnappyCompression byte = 1
)

const (
	trailerLen = 9
	// FooterLen is the length of the footer.
	FooterLen = 40
	// bufLimit is how much the writer buffers before writing.
	bufLimit = 256 << 10
)

// Writer writes one blob file. It is not safe for concurrent use.
type Writer struct {
	f        vfs.File
	num      base.FileNum
	compress bool
	buf      []byte
	scratch  []byte
	off      uint64 // bytes added so far
	count    uint64
	values   uint64 // decoded bytes added
	err      error
}

// NewWriter returns a writer of blob file num into f. With compress,
// blocks are stored Snappy-compressed when that saves at least 1/8.
func NewWriter(f vfs.File, num base.FileNum, compress bool) *Writer {
	return &Writer{f: f, num: num, compress: compress}
}

// Add appends value as a block and returns its handle.
func (w *Writer) Add(value []byte) (Handle, error) {
	if w.err != nil {
		return Handle{}, w.err
	}
	stored, c := value, NoCompression
	if w.compress {
		w.scratch = s2.EncodeSnappy(w.scratch[:cap(w.scratch)], value)
		if len(w.scratch) <= len(value)-len(value)/8 {
			stored, c = w.scratch, SnappyCompression
		}
	}
	h := Handle{FileNum: w.num, Offset: w.off, Length: uint64(len(stored)), ValueLen: uint64(len(value)),
		Prefix: value[:min(len(value), PrefixLen)]}
	w.buf = append(w.buf, stored...)
	w.buf = append(w.buf, c)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, blockChecksum(w.off, stored, c))
	w.off += uint64(len(stored)) + trailerLen
	w.count++
	w.values += uint64(len(value))
	if len(w.buf) >= bufLimit {
		w.flush()
	}
	return h, w.err
}

func (w *Writer) flush() {
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.f.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// Count returns the number of values added.
func (w *Writer) Count() uint64 { return w.count }

// Size returns the file's size once finished.
func (w *Writer) Size() uint64 { return w.off + FooterLen }

// ValueBytes returns the decoded bytes of the values added.
func (w *Writer) ValueBytes() uint64 { return w.values }

// Finish writes the footer, fsyncs and closes the file, and returns its
// size. The caller syncs the directory.
func (w *Writer) Finish() (uint64, error) {
	w.buf = AppendFooter(w.buf, w.count, w.values)
	w.off += FooterLen
	w.flush()
	if w.err == nil {
		w.err = w.f.Sync()
	}
	if cerr := w.f.Close(); w.err == nil {
		w.err = cerr
	}
	return w.off, w.err
}

// Abort closes the file without finishing it; the caller removes it.
func (w *Writer) Abort() { w.f.Close() }

// blockSeed is mixed into every block checksum's initial value.
const blockSeed = 0xb10b

// blockChecksum is the checksum of the block at off: CRC-64/Jones of the
// stored bytes and the compression byte, from the initial value
// off^blockSeed, so that a zeroed block (whose plain CRC is 0) never
// checks, nor does a block read at another offset than it was written at.
func blockChecksum(off uint64, stored []byte, c byte) uint64 {
	return crc.Update(crc.Update(off^blockSeed, stored), []byte{c})
}

// AppendFooter appends a footer recording count blocks of values decoded
// bytes.
func AppendFooter(dst []byte, count, values uint64) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, count)
	dst = binary.LittleEndian.AppendUint64(dst, values)
	dst = binary.LittleEndian.AppendUint32(dst, FormatVersion)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, crc.Checksum(dst[start:]))
	return binary.LittleEndian.AppendUint64(dst, Magic)
}
