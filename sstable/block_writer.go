package sstable

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
)

// blockWriter builds a data block (layout in doc.go): prefix-compressed
// entries, then the restart array and its count.
type blockWriter struct {
	restartInterval int
	buf             []byte   // encoded entries
	restarts        []uint32 // offsets of the restart entries
	nEntries        int
	prevKey         []byte // user key of the last entry
}

// empty reports whether the block holds no entries.
func (w *blockWriter) empty() bool { return w.nEntries == 0 }

// add appends an entry. Keys must arrive in internal-key order.
func (w *blockWriter) add(key base.InternalKey, value []byte) {
	shared := 0
	if w.nEntries%w.restartInterval == 0 {
		w.restarts = append(w.restarts, uint32(len(w.buf)))
	} else {
		shared = sharedPrefixLen(w.prevKey, key.UserKey)
	}
	unshared := key.UserKey[shared:]
	w.buf = binary.AppendUvarint(w.buf, uint64(shared))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(unshared)))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(value)))
	w.buf = append(w.buf, unshared...)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(key.Trailer))
	w.buf = append(w.buf, value...)
	w.prevKey = append(w.prevKey[:0], key.UserKey...)
	w.nEntries++
}

// size returns the size the block would have if finished now.
func (w *blockWriter) size() int { return len(w.buf) + 4*len(w.restarts) + 4 }

// finish appends the restart array and count and returns the block. The
// returned slice is valid until the next reset; callers may append to it.
func (w *blockWriter) finish() []byte {
	for _, r := range w.restarts {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, r)
	}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(w.restarts)))
	return w.buf
}

// reset empties the block, keeping its buffers.
func (w *blockWriter) reset() {
	w.buf = w.buf[:0]
	w.restarts = w.restarts[:0]
	w.nEntries = 0
	w.prevKey = w.prevKey[:0]
}

// sharedPrefixLen returns the length of the common prefix of a and b.
func sharedPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}
