package sstable

import (
	"encoding/binary"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// blockIter iterates over the entries of one data block (layout in
// doc.go). It validates every offset and length it decodes, so arbitrary
// bytes yield a corruption error rather than a panic.
//
// Forward movement decodes entry after entry, each key rebuilt from the
// previous one. Backward movement decodes the whole restart interval
// holding the target entry into a cache, then walks the cache; moving
// back into the previous interval reloads the cache.
//
// Positions: offset == -1 is before the first entry, offset == restarts
// after the last; otherwise the iterator is at the entry spanning
// [offset, nextOffset).
type blockIter struct {
	cmp         *base.Comparer
	data        []byte
	restarts    int // offset of the restart array: the end of the entries
	numRestarts int
	file        string
	fileOff     int64 // offset of the block in the file, for errors

	offset, nextOffset int
	ukey               []byte // current user key: aliases keyBuf or cacheBuf
	keyBuf             []byte // user key rebuilt by forward decoding
	trailer            base.Trailer
	val                []byte
	err                error

	cache        []cachedEntry // entries of restart interval cacheRestart
	cacheBuf     []byte        // their user keys, back to back
	cacheRestart int           // -1 when the cache holds nothing
	cacheIdx     int           // position in cache, -1 when not positioned by it
}

// cachedEntry is one decoded entry of the reverse-iteration cache.
type cachedEntry struct {
	offset, nextOffset int
	keyStart, keyEnd   int // within cacheBuf
	trailer            base.Trailer
	val                []byte
}

// init points the iterator at data, a data block read from offset fileOff
// of file, and validates its restart array.
func (i *blockIter) init(cmp *base.Comparer, data []byte, file string, fileOff int64) error {
	*i = blockIter{
		cmp: cmp, data: data, file: file, fileOff: fileOff,
		keyBuf: i.keyBuf[:0], cache: i.cache[:0], cacheBuf: i.cacheBuf[:0],
		cacheRestart: -1, cacheIdx: -1, offset: -1, nextOffset: 0,
	}
	i.err = i.parseRestarts()
	return i.err
}

// release drops the iterator's block and positions, keeping only its
// emptied buffers for reuse.
func (i *blockIter) release() {
	clear(i.cache) // the values alias the block
	*i = blockIter{keyBuf: i.keyBuf[:0], cache: i.cache[:0], cacheBuf: i.cacheBuf[:0]}
}

// parseRestarts locates and validates the restart array.
func (i *blockIter) parseRestarts() error {
	data := i.data
	if len(data) < 4 {
		return i.corruptf(0, "data block of %d bytes is too short", len(data))
	}
	n := uint64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if n == 0 {
		return i.corruptf(len(data)-4, "data block has no restart points")
	}
	if n > uint64(len(data)-4)/4 {
		return i.corruptf(len(data)-4, "restart count %d does not fit a %d-byte block", n, len(data))
	}
	i.numRestarts = int(n)
	i.restarts = len(data) - 4 - 4*i.numRestarts
	if i.restarts == 0 {
		return i.corruptf(0, "data block has no entries")
	}
	// Restart 0 is the first entry, and restarts strictly increase within
	// the entries area: later code relies on both.
	prev := -1
	for r := 0; r < i.numRestarts; r++ {
		off := i.restartOffset(r)
		if (r == 0 && off != 0) || off <= prev || off >= i.restarts {
			return i.corruptf(i.restarts+4*r, "restart %d has invalid offset %d", r, off)
		}
		prev = off
	}
	return nil
}

func (i *blockIter) corruptf(off int, format string, args ...any) error {
	return base.Corruptionf(i.file, i.fileOff+int64(off), "data block: "+format, args...)
}

// fail records err and leaves the iterator unpositioned.
func (i *blockIter) fail(err error) bool {
	i.err = err
	i.offset, i.nextOffset = -1, 0
	i.cacheIdx = -1
	return false
}

// restartOffset returns the offset of restart point r (validated by init).
func (i *blockIter) restartOffset(r int) int {
	return int(binary.LittleEndian.Uint32(i.data[i.restarts+4*r:]))
}

// restartEnd returns the end of restart interval r.
func (i *blockIter) restartEnd(r int) int {
	if r+1 < i.numRestarts {
		return i.restartOffset(r + 1)
	}
	return i.restarts
}

// blockEntry is a decoded data block entry.
type blockEntry struct {
	shared   int
	unshared []byte // the stored key bytes
	trailer  base.Trailer
	val      []byte
	next     int // offset of the following entry
}

// decodeEntry decodes the entry at off, which must lie in the entries area.
// maxShared bounds its shared length (the length of the previous key).
func (i *blockIter) decodeEntry(off, maxShared int) (blockEntry, error) {
	p := i.data[off:i.restarts]
	var shared, unshared, vlen uint64
	var hdr int
	if len(p) >= 3 && (p[0]|p[1]|p[2])&0x80 == 0 {
		// The common case: three one-byte varints.
		shared, unshared, vlen, hdr = uint64(p[0]), uint64(p[1]), uint64(p[2]), 3
		p = p[3:]
	} else {
		var err error
		if shared, unshared, vlen, hdr, err = i.decodeHeader(off, p); err != nil {
			return blockEntry{}, err
		}
		p = p[hdr:]
	}
	if shared > uint64(maxShared) {
		return blockEntry{}, i.corruptf(off, "shared length %d exceeds previous key length %d", shared, maxShared)
	}
	rem := uint64(len(p))
	if unshared > rem || rem-unshared < base.TrailerLen || rem-unshared-base.TrailerLen < vlen {
		return blockEntry{}, i.corruptf(off, "entry (key %d, value %d bytes) overruns the block", unshared, vlen)
	}
	u, v := int(unshared), int(vlen)
	t := base.Trailer(binary.LittleEndian.Uint64(p[u:]))
	if !t.Kind().ValidInTable() {
		return blockEntry{}, i.corruptf(off, "unknown key kind %d", uint8(t.Kind()))
	}
	vs := u + base.TrailerLen
	return blockEntry{
		shared:   int(shared),
		unshared: p[:u],
		trailer:  t,
		val:      p[vs : vs+v : vs+v],
		next:     off + hdr + vs + v,
	}, nil
}

// decodeHeader decodes the three varints that start the entry at off (p
// is the block from off): shared and unshared key lengths, value length.
// hdr is their total size.
func (i *blockIter) decodeHeader(off int, p []byte) (shared, unshared, vlen uint64, hdr int, err error) {
	shared, n1 := binary.Uvarint(p)
	if n1 <= 0 {
		return 0, 0, 0, 0, i.corruptf(off, "bad shared length")
	}
	unshared, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		return 0, 0, 0, 0, i.corruptf(off, "bad key length")
	}
	vlen, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		return 0, 0, 0, 0, i.corruptf(off, "bad value length")
	}
	return shared, unshared, vlen, n1 + n2 + n3, nil
}

// decodeForward positions the iterator at the entry at off, rebuilding its
// key from keyBuf (the previous entry's key; empty at a restart point).
func (i *blockIter) decodeForward(off int) bool {
	e, err := i.decodeEntry(off, len(i.keyBuf))
	if err != nil {
		return i.fail(err)
	}
	i.keyBuf = append(i.keyBuf[:e.shared], e.unshared...)
	i.ukey = i.keyBuf
	i.trailer, i.val = e.trailer, e.val
	i.offset, i.nextOffset = off, e.next
	i.cacheIdx = -1
	return true
}

// restartKey decodes the key of restart point r without copying it.
func (i *blockIter) restartKey(r int) (base.InternalKey, error) {
	off := i.restartOffset(r)
	e, err := i.decodeEntry(off, 0)
	if err != nil {
		return base.InternalKey{}, err
	}
	return base.InternalKey{UserKey: e.unshared, Trailer: e.trailer}, nil
}

// searchRestarts returns the first restart point whose key is >= key, or
// numRestarts if there is none.
func (i *blockIter) searchRestarts(key base.InternalKey) (int, error) {
	var err error
	r := sort.Search(i.numRestarts, func(r int) bool {
		if err != nil {
			return true
		}
		k, e := i.restartKey(r)
		if e != nil {
			err = e
			return true
		}
		return i.cmp.CompareInternal(k, key) >= 0
	})
	return r, err
}

// loadCache decodes restart interval r into the cache.
func (i *blockIter) loadCache(r int) error {
	if i.cacheRestart == r {
		return nil
	}
	i.cacheRestart = -1
	i.cache, i.cacheBuf = i.cache[:0], i.cacheBuf[:0]
	end := i.restartEnd(r)
	prevStart, prevEnd := 0, 0
	for off := i.restartOffset(r); off != end; {
		if off > end {
			return i.corruptf(off, "entry crosses the restart point at %d", end)
		}
		e, err := i.decodeEntry(off, prevEnd-prevStart)
		if err != nil {
			return err
		}
		start := len(i.cacheBuf)
		i.cacheBuf = append(i.cacheBuf, i.cacheBuf[prevStart:prevStart+e.shared]...)
		i.cacheBuf = append(i.cacheBuf, e.unshared...)
		i.cache = append(i.cache, cachedEntry{
			offset: off, nextOffset: e.next,
			keyStart: start, keyEnd: len(i.cacheBuf),
			trailer: e.trailer, val: e.val,
		})
		prevStart, prevEnd = start, len(i.cacheBuf)
		off = e.next
	}
	i.cacheRestart = r
	return nil
}

// setFromCache positions the iterator at cache[idx].
func (i *blockIter) setFromCache(idx int) bool {
	e := &i.cache[idx]
	i.cacheIdx = idx
	i.ukey = i.cacheBuf[e.keyStart:e.keyEnd:e.keyEnd]
	i.trailer, i.val = e.trailer, e.val
	i.offset, i.nextOffset = e.offset, e.nextOffset
	return true
}

// lastOfInterval positions the iterator at the last entry of restart
// interval r.
func (i *blockIter) lastOfInterval(r int) bool {
	if err := i.loadCache(r); err != nil {
		return i.fail(err)
	}
	return i.setFromCache(len(i.cache) - 1)
}

func (i *blockIter) key() base.InternalKey {
	return base.InternalKey{UserKey: i.ukey, Trailer: i.trailer}
}

// First moves to the first entry.
func (i *blockIter) First() bool {
	if i.err != nil {
		return false
	}
	i.keyBuf = i.keyBuf[:0]
	return i.decodeForward(0)
}

// Last moves to the last entry.
func (i *blockIter) Last() bool {
	if i.err != nil {
		return false
	}
	return i.lastOfInterval(i.numRestarts - 1)
}

// SeekGE moves to the first entry >= key.
func (i *blockIter) SeekGE(key base.InternalKey) bool {
	if i.err != nil {
		return false
	}
	r, err := i.searchRestarts(key)
	if err != nil {
		return i.fail(err)
	}
	// Restart r is the first >= key, so the answer is in interval r-1 or
	// is restart r itself.
	if r > 0 {
		r--
	}
	i.keyBuf = i.keyBuf[:0]
	for off := i.restartOffset(r); off < i.restarts; off = i.nextOffset {
		if !i.decodeForward(off) {
			return false
		}
		if i.cmp.CompareInternal(i.key(), key) >= 0 {
			return true
		}
	}
	i.offset, i.nextOffset = i.restarts, i.restarts
	return false
}

// SeekLT moves to the last entry < key.
func (i *blockIter) SeekLT(key base.InternalKey) bool {
	if i.err != nil {
		return false
	}
	r, err := i.searchRestarts(key)
	if err != nil {
		return i.fail(err)
	}
	// Every entry from restart r on is >= key; the answer is the last
	// entry < key of interval r-1 (earlier intervals only if the block is
	// out of order).
	for r--; r >= 0; r-- {
		if err := i.loadCache(r); err != nil {
			return i.fail(err)
		}
		for idx := len(i.cache) - 1; idx >= 0; idx-- {
			e := &i.cache[idx]
			k := base.InternalKey{UserKey: i.cacheBuf[e.keyStart:e.keyEnd], Trailer: e.trailer}
			if i.cmp.CompareInternal(k, key) < 0 {
				return i.setFromCache(idx)
			}
		}
	}
	i.offset, i.nextOffset, i.cacheIdx = -1, 0, -1
	return false
}

// Next moves to the following entry.
func (i *blockIter) Next() bool {
	if i.err != nil {
		return false
	}
	if i.offset < 0 {
		return i.First()
	}
	if i.cacheIdx >= 0 {
		if i.cacheIdx+1 < len(i.cache) {
			return i.setFromCache(i.cacheIdx + 1)
		}
		// Leaving the cache: forward decoding continues from this key.
		i.keyBuf = append(i.keyBuf[:0], i.ukey...)
	}
	if i.nextOffset >= i.restarts {
		i.offset, i.nextOffset, i.cacheIdx = i.restarts, i.restarts, -1
		return false
	}
	return i.decodeForward(i.nextOffset)
}

// Prev moves to the preceding entry.
func (i *blockIter) Prev() bool {
	if i.err != nil || i.offset < 0 {
		return false
	}
	if i.offset >= i.restarts {
		return i.Last()
	}
	if i.cacheIdx > 0 {
		return i.setFromCache(i.cacheIdx - 1)
	}
	r := i.cacheRestart
	if i.cacheIdx < 0 {
		// Positioned by forward decoding: find the interval holding the
		// current entry, load it, and step back within it if possible.
		r = sort.Search(i.numRestarts, func(r int) bool { return i.restartOffset(r) > i.offset }) - 1
		if err := i.loadCache(r); err != nil {
			return i.fail(err)
		}
		idx := sort.Search(len(i.cache), func(j int) bool { return i.cache[j].offset >= i.offset })
		if idx == len(i.cache) || i.cache[idx].offset != i.offset {
			return i.fail(i.corruptf(i.offset, "entry is not reachable from restart point %d", r))
		}
		if idx > 0 {
			return i.setFromCache(idx - 1)
		}
	}
	if r == 0 {
		i.offset, i.nextOffset, i.cacheIdx = -1, 0, -1
		return false
	}
	return i.lastOfInterval(r - 1)
}
