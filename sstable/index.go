package sstable

import (
	"encoding/binary"
	"math"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// Index entry layout (see doc.go):
//
//	key_len u32 | block_offset u64 | block_size u32 | last user key | trailer u64
const (
	indexEntryHeaderLen = 16
	indexEntryMinLen    = indexEntryHeaderLen + base.TrailerLen
)

// indexEntry locates one data block by its last key.
type indexEntry struct {
	lastKey base.InternalKey // aliases the index block
	handle  blockHandle
}

// indexWriter builds the index block.
type indexWriter struct {
	buf     []byte
	offsets []uint32
}

// add appends the entry of a data block whose last key is lastKey.
func (w *indexWriter) add(lastKey base.InternalKey, h blockHandle) {
	w.offsets = append(w.offsets, uint32(len(w.buf)))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(lastKey.UserKey)))
	w.buf = binary.LittleEndian.AppendUint64(w.buf, h.offset)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, h.size)
	w.buf = lastKey.Append(w.buf)
}

// finish appends the offsets array and count and returns the block, or an
// error if the block would not fit the u32 fields that locate it.
func (w *indexWriter) finish() ([]byte, error) {
	if uint64(len(w.buf))+4*uint64(len(w.offsets))+4 > math.MaxUint32 {
		return nil, base.InvalidArgumentf("sstable: index block exceeds 4 GiB (%d blocks)", len(w.offsets))
	}
	for _, o := range w.offsets {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, o)
	}
	return binary.LittleEndian.AppendUint32(w.buf, uint32(len(w.offsets))), nil
}

// decodeIndex decodes an index block read from offset off of file. It checks
// that the entries are contiguous and well-formed; it does not check their
// order or their handles (see validateIndex). The keys alias data.
func decodeIndex(data []byte, file string, off int64) ([]indexEntry, error) {
	corrupt := func(at int, format string, args ...any) error {
		return base.Corruptionf(file, off+int64(at), "index block: "+format, args...)
	}
	if len(data) < 4 {
		return nil, corrupt(0, "%d bytes is too short", len(data))
	}
	n := uint64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	// Each entry takes at least indexEntryMinLen bytes plus its offset.
	if n > uint64(len(data)-4)/(indexEntryMinLen+4) {
		return nil, corrupt(len(data)-4, "entry count %d does not fit %d bytes", n, len(data))
	}
	offsetsAt := len(data) - 4 - 4*int(n)
	entries := make([]indexEntry, n)
	pos := 0
	for j := range entries {
		if o := int(binary.LittleEndian.Uint32(data[offsetsAt+4*j:])); o != pos {
			return nil, corrupt(offsetsAt+4*j, "entry %d offset %d, want %d", j, o, pos)
		}
		p := data[pos:offsetsAt]
		if len(p) < indexEntryMinLen {
			return nil, corrupt(pos, "entry %d is truncated", j)
		}
		klen := uint64(binary.LittleEndian.Uint32(p))
		if klen > uint64(len(p)-indexEntryMinLen) {
			return nil, corrupt(pos, "entry %d key length %d overruns the block", j, klen)
		}
		end := indexEntryHeaderLen + int(klen) + base.TrailerLen
		key, _ := base.DecodeInternalKey(p[indexEntryHeaderLen:end])
		entries[j] = indexEntry{
			lastKey: key,
			handle: blockHandle{
				offset: binary.LittleEndian.Uint64(p[4:]),
				size:   binary.LittleEndian.Uint32(p[12:]),
			},
		}
		pos += end
	}
	if pos != offsetsAt {
		return nil, corrupt(pos, "%d stray bytes after the last entry", offsetsAt-pos)
	}
	return entries, nil
}

// validateIndex checks that the data blocks named by entries tile
// [0, dataEnd) in order, and that their keys strictly increase.
func validateIndex(entries []indexEntry, dataEnd uint64, cmp *base.Comparer, file string, off int64) error {
	var next uint64
	for j := range entries {
		e := &entries[j]
		if e.handle.offset != next {
			return base.Corruptionf(file, off, "index entry %d: data block at %d, want %d", j, e.handle.offset, next)
		}
		if e.handle.end() > dataEnd {
			return base.Corruptionf(file, off, "index entry %d: data block %d+%d overruns the data area (%d bytes)",
				j, e.handle.offset, e.handle.size, dataEnd)
		}
		if !e.lastKey.Kind().ValidInTable() {
			return base.Corruptionf(file, off, "index entry %d: unknown key kind %d", j, uint8(e.lastKey.Kind()))
		}
		if j > 0 && cmp.CompareInternal(entries[j-1].lastKey, e.lastKey) >= 0 {
			return base.Corruptionf(file, off, "index entry %d: keys out of order", j)
		}
		next = e.handle.end()
	}
	if next != dataEnd {
		return base.Corruptionf(file, off, "index covers %d bytes of a %d-byte data area", next, dataEnd)
	}
	return nil
}

// searchIndex returns the position of the first entry whose key is >= key:
// the only data block that can hold the first entry >= key. It returns
// len(entries) when key is past the table.
func searchIndex(entries []indexEntry, cmp *base.Comparer, key base.InternalKey) int {
	return sort.Search(len(entries), func(j int) bool {
		return cmp.CompareInternal(entries[j].lastKey, key) >= 0
	})
}
