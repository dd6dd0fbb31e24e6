package sstable

// readahead serves an iterator's sequential block reads from one larger
// read of the file. The first blocks an iterator reads are read alone (a
// short scan reads two or three blocks, and a larger read would copy
// bytes it never uses); once it has read readaheadAfter blocks each
// following the previous one, later misses read a window of following
// blocks at once, 16 KiB at first and
// doubling up to a maximum, cut at the end of the data blocks. A read
// elsewhere (a seek, a step backward) ends the run and the window starts
// small again. Point reads never read ahead: they read one block.
//
// Blocks served from the window are checked and decoded like any other;
// the window only replaces system calls. It belongs to one iterator and is
// not safe for concurrent use.
type readahead struct {
	buf  []byte // the window
	off  uint64 // file offset of buf[0]
	next uint64 // where a sequential read continues: the end of the last block used
	run  int    // consecutive sequential block reads
	size int    // size of the next window, 0 before the first
	max  int    // window limit; 0 disables read-ahead
	// eager starts a window at the first read (compaction inputs, which
	// are read whole and in order).
	eager bool
}

const (
	readaheadAfter = 3
	readaheadMin   = 16 << 10
	// readaheadMaxIter bounds an iterator's window; readaheadMaxCompaction
	// a compaction input's.
	readaheadMaxIter       = 64 << 10
	readaheadMaxCompaction = 256 << 10
)

// used records that the block ending at end was read (from the cache or
// the file) and counts whether it continued the run.
func (ra *readahead) used(offset, end uint64) {
	if offset == ra.next {
		ra.run++
	} else {
		ra.run, ra.size = 0, 0
	}
	ra.next = end
}

// window returns the n stored bytes of the block at offset if the current
// window holds them.
func (ra *readahead) window(offset, n uint64) ([]byte, bool) {
	if offset < ra.off || offset+n > ra.off+uint64(len(ra.buf)) || len(ra.buf) == 0 {
		return nil, false
	}
	start := offset - ra.off
	return ra.buf[start : start+n : start+n], true
}

// wants reports whether a miss at the current point of the run should
// read a window.
func (ra *readahead) wants() bool {
	return ra.max > 0 && (ra.run >= readaheadAfter || ra.eager)
}

// grow returns the size of the next window, at least n bytes.
func (ra *readahead) grow(n uint64) uint64 {
	switch {
	case ra.eager:
		ra.size = ra.max
	case ra.size == 0:
		ra.size = readaheadMin
	default:
		ra.size = min(2*ra.size, ra.max)
	}
	return max(uint64(ra.size), n)
}

// Window buffers are pooled by power-of-two size from readaheadMin to
// readaheadMaxCompaction: a scan opens an iterator per range, and each
// would otherwise allocate its windows afresh.
var windowPools = [...]bufPool{ // pool i holds buffers of readaheadMin << i bytes
	{maxCap: readaheadMin}, {maxCap: readaheadMin << 1}, {maxCap: readaheadMin << 2},
	{maxCap: readaheadMin << 3}, {maxCap: readaheadMin << 4},
}

// windowClass returns the pool of the smallest window of at least size
// bytes, or len(windowPools) if none is that large.
func windowClass(size uint64) int {
	c := 0
	for c < len(windowPools) && uint64(windowPools[c].maxCap) < size {
		c++
	}
	return c
}

// getWindow returns a buffer of at least size bytes, of len size.
func getWindow(size uint64) []byte {
	c := windowClass(size)
	if c == len(windowPools) {
		return make([]byte, size)
	}
	return *windowPools[c].get(int(size), windowPools[c].maxCap)
}

// putWindow gives back a buffer from getWindow (nil is ignored): to the
// pool of its exact size, so that every buffer a pool hands out is that
// large.
func putWindow(b []byte) {
	if c := windowClass(uint64(cap(b))); c < len(windowPools) && windowPools[c].maxCap == cap(b) {
		b = b[:0]
		windowPools[c].put(&b)
	}
}

// release gives the window's buffer back to the pool.
func (ra *readahead) release() {
	putWindow(ra.buf)
	ra.buf = nil
}

// reset forgets the run and empties the window (keeping its buffer), for
// reuse on another table.
func (ra *readahead) reset(max int, eager bool) {
	*ra = readahead{buf: ra.buf[:0], max: max, eager: eager}
}

// rawBlock returns the stored bytes (block and trailer, n bytes) of the
// block named by h: from ra's window, from a new window when ra wants
// one, or read alone into a pooled buffer (returned in bp, which the
// caller gives back with putReadBuf once it no longer needs the bytes).
func (r *Reader) rawBlock(h blockHandle, n uint64, ra *readahead) (raw []byte, bp *[]byte, err error) {
	if ra != nil {
		if b, ok := ra.window(h.offset, n); ok {
			return b, nil, nil
		}
		if ra.wants() && h.offset < r.dataEnd {
			size := min(ra.grow(n), max(n, r.dataEnd-h.offset))
			if uint64(cap(ra.buf)) < size {
				putWindow(ra.buf)
				ra.buf = getWindow(size)
			}
			ra.buf, ra.off = ra.buf[:size], h.offset
			if err := r.readAt(ra.buf, int64(h.offset)); err != nil {
				ra.buf = ra.buf[:0]
				return nil, nil, err
			}
			b, _ := ra.window(h.offset, n)
			return b, nil, nil
		}
	}
	bp = getReadBuf(int(n))
	if err := r.readAt(*bp, int64(h.offset)); err != nil {
		putReadBuf(bp)
		return nil, nil, err
	}
	return *bp, bp, nil
}
