package sstable

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/vfs"
)

// Reader serves a table. Open verifies the footer and loads the
// range-deletion, bloom, properties and index blocks; data blocks are read on demand by
// iterators, through the block cache when ReaderOptions.Cache is set. A
// Reader is immutable after Open and safe for concurrent use by many
// iterators.
type Reader struct {
	file   vfs.File
	cmp    *base.Comparer
	name   string
	size   int64
	footer footer
	filter bloomFilter
	props  Properties
	index  []indexEntry
	// dataEnd is the end of the last data block: read-ahead stops there.
	dataEnd uint64
	// rangeDels are the range tombstones in block order; they alias the
	// decoded range-deletion block.
	rangeDels []RangeDel
	// globalSeq is ReaderOptions.GlobalSeqNum; dels are the tombstones as
	// read: rangeDels, or copies at globalSeq.
	globalSeq base.SeqNum
	dels      []RangeDel
	closed    atomic.Bool

	cache     *cache.Cache // nil: no block cache
	cacheID   uint64
	ownID     bool // cacheID is the Reader's own: Close evicts its blocks
	fileNum   uint64
	unreserve func() // gives back the cache charge of the blocks held in memory
}

// Open reads and verifies the footer of f, a table of size bytes, then
// loads the bloom, properties, range-deletion and index blocks, verifying
// their checksums and their consistency. Corrupt bytes give an error matching
// base.ErrCorruption; a table written with a comparer of another name gives
// an error matching base.ErrInvalidArgument. Open takes ownership of f: it
// closes f when it fails, and Reader.Close closes it otherwise.
func Open(f vfs.File, size int64, opts ReaderOptions) (*Reader, error) {
	r, err := open(f, size, opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}

func open(f vfs.File, size int64, opts ReaderOptions) (*Reader, error) {
	if opts.Comparer == nil {
		return nil, base.InvalidArgumentf("sstable: ReaderOptions.Comparer is required")
	}
	r := &Reader{file: f, cmp: opts.Comparer, name: opts.FileName, size: size}
	if size < footerLen {
		return nil, base.Corruptionf(r.name, 0, "file of %d bytes is too small to be an sstable", size)
	}
	footerOff := size - footerLen
	buf := make([]byte, footerLen)
	if err := r.readAt(buf, footerOff); err != nil {
		return nil, err
	}
	ft, err := decodeFooter(buf, r.name, footerOff)
	if err != nil {
		return nil, err
	}
	if err := ft.validate(uint64(footerOff), r.name); err != nil {
		return nil, err
	}
	r.footer = ft

	bits, err := r.readBlock(ft.bloom)
	if err != nil {
		return nil, err
	}
	r.filter = bloomFilter{bits: bits, k: ft.bloomK, m: ft.bloomM, blocked: ft.blockedBloom()}

	b, err := r.readBlock(ft.props)
	if err != nil {
		return nil, err
	}
	if r.props, err = decodeProperties(b, r.name, int64(ft.props.offset)); err != nil {
		return nil, err
	}
	if r.props.ComparerName != r.cmp.Name {
		return nil, base.InvalidArgumentf("sstable %s written with comparer %q, opened with %q",
			r.name, r.props.ComparerName, r.cmp.Name)
	}
	if r.props.FormatVersion != ft.version {
		return nil, base.Corruptionf(r.name, int64(ft.props.offset),
			"properties say format version %d, footer %d", r.props.FormatVersion, ft.version)
	}

	// The tombstones are decoded once the comparer is known to be the
	// writer's: their order check depends on it.
	rangeDelBlock, err := r.readBlock(ft.rangeDel)
	if err != nil {
		return nil, err
	}
	if r.rangeDels, err = decodeRangeDels(rangeDelBlock, r.cmp, r.name, int64(ft.rangeDel.offset)); err != nil {
		return nil, err
	}

	indexBlock, err := r.readBlock(ft.index)
	if err != nil {
		return nil, err
	}
	indexOff := int64(ft.index.offset)
	if r.index, err = decodeIndex(indexBlock, r.name, indexOff); err != nil {
		return nil, err
	}
	if err := validateIndex(r.index, ft.rangeDel.offset, r.cmp, r.name, indexOff); err != nil {
		return nil, err
	}
	if len(r.index) > 0 {
		r.dataEnd = r.index[len(r.index)-1].handle.end()
	}
	if err := r.checkBounds(); err != nil {
		return nil, err
	}
	if err := r.setGlobalSeq(opts.GlobalSeqNum); err != nil {
		return nil, err
	}
	r.attachCache(opts, len(indexBlock), len(rangeDelBlock))
	return r, nil
}

// attachCache makes the Reader use opts.Cache, if set, and charges the
// cache for the memory the open Reader holds: the filter bits, the index
// block (of indexLen bytes) and its decoded entries, and the range-deletion
// block (of rangeDelLen bytes) and its decoded tombstones.
func (r *Reader) attachCache(opts ReaderOptions, indexLen, rangeDelLen int) {
	if opts.Cache == nil {
		return
	}
	r.cache, r.cacheID, r.fileNum = opts.Cache, opts.CacheID, opts.FileNum
	if r.cacheID == 0 {
		r.cacheID, r.ownID = r.cache.NewID(), true
	}
	held := len(r.filter.bits) + indexLen + len(r.index)*int(unsafe.Sizeof(indexEntry{})) +
		rangeDelLen + len(r.rangeDels)*int(unsafe.Sizeof(RangeDel{}))
	r.unreserve = r.cache.Reserve(int64(held))
}

// checkBounds checks the properties against the index and the range
// tombstones: one data block per index entry, one tombstone per counted
// range deletion, and bounds that agree with both. The largest key and
// the seqnum range of a table without point entries are known exactly
// here; the smallest key of a table with point entries is only bounded,
// and checked exactly by VerifyChecksums.
func (r *Reader) checkBounds() error {
	p := &r.props
	if uint64(len(r.index)) != p.DataBlockCount {
		return base.Corruptionf(r.name, int64(r.footer.index.offset),
			"index has %d entries, properties %d data blocks", len(r.index), p.DataBlockCount)
	}
	if uint64(len(r.rangeDels)) != p.RangeDelCount {
		return base.Corruptionf(r.name, int64(r.footer.rangeDel.offset),
			"range-deletion block has %d tombstones, properties %d", len(r.rangeDels), p.RangeDelCount)
	}
	if p.empty() {
		if p.SmallestSeq != 0 || p.LargestSeq != 0 {
			return base.Corruptionf(r.name, int64(r.footer.props.offset),
				"empty table with seqnum range [%d, %d]", p.SmallestSeq, p.LargestSeq)
		}
		return nil
	}
	// Widening bounds that already cover the tombstones changes nothing.
	want := *p
	if n := len(r.index); n > 0 {
		want.Largest = r.index[n-1].lastKey
		if r.cmp.CompareInternal(p.Smallest, r.index[0].lastKey) > 0 {
			return base.Corruptionf(r.name, int64(r.footer.props.offset),
				"smallest key %s is after the first data block", p.Smallest.Pretty(r.cmp))
		}
	}
	want.addRangeDels(r.cmp, r.rangeDels)
	return r.checkProps(&want)
}

// checkProps reports corruption unless the bounds of the properties are
// exactly those of want.
func (r *Reader) checkProps(want *Properties) error {
	p := &r.props
	if !sameKey(p.Smallest, want.Smallest) || !sameKey(p.Largest, want.Largest) {
		return base.Corruptionf(r.name, int64(r.footer.props.offset),
			"smallest/largest keys %s, %s disagree with the table's contents (%s, %s)",
			p.Smallest.Pretty(r.cmp), p.Largest.Pretty(r.cmp), want.Smallest.Pretty(r.cmp), want.Largest.Pretty(r.cmp))
	}
	if p.SmallestSeq != want.SmallestSeq || p.LargestSeq != want.LargestSeq {
		return base.Corruptionf(r.name, int64(r.footer.props.offset),
			"seqnum range [%d, %d] disagrees with the table's contents ([%d, %d])",
			p.SmallestSeq, p.LargestSeq, want.SmallestSeq, want.LargestSeq)
	}
	return nil
}

// sameKey reports whether a and b have the same bytes and trailer.
func sameKey(a, b base.InternalKey) bool {
	return a.Trailer == b.Trailer && bytes.Equal(a.UserKey, b.UserKey)
}

// readAt fills buf from offset off. A short read means the file is shorter
// than its metadata says: corruption.
func (r *Reader) readAt(buf []byte, off int64) error {
	n, err := r.file.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return base.Corruptionf(r.name, off, "short read: %d of %d bytes (file truncated?)", n, len(buf))
	}
	return fmt.Errorf("sstable: reading %s at offset %d: %w", r.name, off, err)
}

// readBlock reads the block named by h with its trailer, verifies the
// checksum and returns the decoded (decompressed) block in a new buffer.
// It is the single place blocks enter memory from the file.
func (r *Reader) readBlock(h blockHandle) ([]byte, error) { return r.readBlockVia(h, nil, heapAlloc) }

// readBlockVia is readBlock reading through ra (see readahead), if not
// nil, into a buffer from a.
func (r *Reader) readBlockVia(h blockHandle, ra *readahead, a blockAlloc) ([]byte, error) {
	n := uint64(h.size) + blockTrailerLen
	if h.end() > uint64(r.size) || n > uint64(maxInt) {
		return nil, base.Corruptionf(r.name, int64(r.size),
			"block %d+%d lies outside the %d-byte file", h.offset, h.size, r.size)
	}
	raw, bp, err := r.rawBlock(h, n, ra)
	if err != nil {
		return nil, err
	}
	block, c, err := checkBlockTrailer(r.name, h.offset, raw)
	switch {
	case err != nil:
	case c == NoCompression && bp != nil && a == heapAlloc:
		return block, nil // the read buffer becomes the block
	case c == NoCompression:
		// The window is reused, and the read buffer is not a's.
		block = append(a.alloc(len(block))[:0], block...)
	default:
		block, err = decompressBlock(c, block, r.name, h.offset, a)
	}
	if bp != nil {
		putReadBuf(bp)
	}
	if err != nil {
		return nil, err
	}
	return block, nil
}

// readBufs recycles the buffers compressed blocks are read into: once
// decoded, the compressed bytes are garbage.
var readBufs = bufPool{maxCap: 256 << 10}

func getReadBuf(n int) *[]byte { return readBufs.get(n, n) }

func putReadBuf(bp *[]byte) { readBufs.put(bp) }

// dataBlock returns the decoded data block named by h: from the block
// cache if it holds it, else read (through ra, if not nil) and, if fill,
// added to the cache; if not, it belongs to the returned Handle alone,
// whose Release frees it.
// The caller releases the Handle (the zero Handle without a cache) when it
// stops using the block.
func (r *Reader) dataBlock(h blockHandle, fill bool, ra *readahead) ([]byte, cache.Handle, error) {
	if ra != nil {
		ra.used(h.offset, h.end())
	}
	if r.cache == nil {
		b, err := r.readBlockVia(h, ra, heapAlloc)
		return b, cache.Handle{}, err
	}
	if ch, ok := r.cache.Get(r.cacheID, r.fileNum, h.offset); ok {
		return ch.Value(), ch, nil
	}
	b, err := r.readBlockVia(h, ra, cacheAlloc)
	if err != nil {
		return nil, cache.Handle{}, err
	}
	if !fill {
		ch := cache.Own(b) // the caller's alone: freed by its Release
		return ch.Value(), ch, nil
	}
	ch := r.cache.Set(r.cacheID, r.fileNum, h.offset, b)
	return ch.Value(), ch, nil
}

// MayContainPrefix reports whether the table may hold a point entry whose
// comparer prefix (Comparer.Prefix) is prefix. False is definite. Range
// tombstones are not in the filter: a false answer says nothing about
// them (see RangeDels).
func (r *Reader) MayContainPrefix(prefix []byte) bool {
	switch {
	case r.props.EntryCount == 0:
		return false
	case r.filter.m == 0:
		return true // written without a filter
	}
	return r.filter.mayContain(prefix)
}

// NewIter returns an iterator over the table. Many iterators may be used
// concurrently.
func (r *Reader) NewIter() *Iter {
	it := &Iter{}
	r.InitIter(it)
	return it
}

// InitIter makes it an unpositioned iterator over r, as NewIter returns,
// keeping the key buffers it grew before. it must be zero or closed. Hot
// paths that open an iterator per call (point reads) reuse one this way.
func (r *Reader) InitIter(it *Iter) {
	*it = Iter{r: r, pos: -1, loaded: -1, data: it.data, ra: it.ra}
	it.ra.reset(readaheadMaxIter, false)
}

// InitCompactionIter is InitIter for an iterator that reads the table
// once, in order, as a compaction does: blocks it reads from the file do
// not enter the block cache, where they would evict the blocks that
// readers use (it still uses blocks the cache holds).
func (r *Reader) InitCompactionIter(it *Iter) {
	r.InitIter(it)
	it.noFill = true
	it.ra.reset(readaheadMaxCompaction, true)
}

// Reset drops a closed iterator's reader and read-ahead window, keeping
// only its emptied key buffers for a later InitIter; pooled iterators must
// not pin readers or large buffers.
func (i *Iter) Reset() {
	i.ra.release()
	*i = Iter{data: i.data}
}

// RangeDels returns the table's range tombstones, loaded and verified by
// Open, sorted by Start ascending, then Seq descending, then End
// ascending; nil if it has none. The slices are shared and must not be
// modified; they are never reused, so they stay valid after Close.
func (r *Reader) RangeDels() []RangeDel { return r.dels }

// Properties returns the table's properties, with the bounds it is read
// at (see ReaderOptions.GlobalSeqNum). The keys are shared: do not modify
// them.
func (r *Reader) Properties() Properties { return r.props.AtGlobalSeq(r.globalSeq) }

// Close closes the file and gives back the cache charge of its index,
// filter and tombstones. A Reader with a namespace of its own (CacheID 0)
// also drops the table's blocks from the block cache; under the caller's
// CacheID they stay, valid for a later Reader of the same FileNum, until
// the caller evicts them (Cache.EvictFile, Cache.EvictID). Iterators must
// be closed first.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return fmt.Errorf("%w: sstable %s", base.ErrClosed, r.name)
	}
	if r.cache != nil {
		r.unreserve()
		if r.ownID {
			r.cache.EvictFile(r.cacheID, r.fileNum)
		}
	}
	return r.file.Close()
}

// VerifyChecksums reads every block of the table again from the file,
// bypassing the block cache, verifies its checksum and decodes it,
// checking that the data blocks hold strictly increasing keys that agree
// with the index, that the range tombstones are those loaded by Open, and
// that the properties' counts, bounds and seqnum range are exactly those
// of the point entries and tombstones. It returns the first problem found.
func (r *Reader) VerifyChecksums() error {
	buf := make([]byte, footerLen)
	footerOff := r.size - footerLen
	if err := r.readAt(buf, footerOff); err != nil {
		return err
	}
	if ft, err := decodeFooter(buf, r.name, footerOff); err != nil {
		return err
	} else if ft != r.footer {
		return base.Corruptionf(r.name, footerOff, "footer changed since the table was opened")
	}
	for _, h := range []blockHandle{r.footer.bloom, r.footer.props, r.footer.index} {
		if _, err := r.readBlock(h); err != nil {
			return err
		}
	}
	if err := r.verifyRangeDels(); err != nil {
		return err
	}
	var (
		it               blockIter
		prev             []byte
		prevTrailer      base.Trailer
		entries, deletes uint64
		want             = Properties{RangeDelCount: r.props.RangeDelCount} // bounds of what was read
	)
	for j := range r.index {
		e := &r.index[j]
		b, err := r.readBlock(e.handle)
		if err != nil {
			return err
		}
		off := int64(e.handle.offset)
		if err := it.init(r.cmp, b, r.name, off); err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			k := it.key()
			if entries > 0 && r.cmp.CompareInternal(base.InternalKey{UserKey: prev, Trailer: prevTrailer}, k) >= 0 {
				return base.Corruptionf(r.name, off+int64(it.offset), "key %s out of order", k.Pretty(r.cmp))
			}
			prev, prevTrailer = append(prev[:0], k.UserKey...), k.Trailer
			if seq := k.SeqNum(); entries == 0 {
				want.Smallest = k.Clone()
				want.SmallestSeq, want.LargestSeq = seq, seq
			} else {
				want.SmallestSeq, want.LargestSeq = min(want.SmallestSeq, seq), max(want.LargestSeq, seq)
			}
			entries++
			if k.Kind() == base.KindDelete {
				deletes++
			}
		}
		if it.err != nil {
			return it.err
		}
		if r.cmp.CompareInternal(base.InternalKey{UserKey: prev, Trailer: prevTrailer}, e.lastKey) != 0 {
			return base.Corruptionf(r.name, off, "data block %d ends with a key other than its index entry's", j)
		}
	}
	if entries != r.props.EntryCount || deletes != r.props.DeletionCount {
		return base.Corruptionf(r.name, int64(r.footer.props.offset),
			"properties count %d entries (%d deletions), data blocks hold %d (%d)",
			r.props.EntryCount, r.props.DeletionCount, entries, deletes)
	}
	if entries > 0 {
		want.EntryCount = entries
		want.Largest = base.InternalKey{UserKey: prev, Trailer: prevTrailer}
	}
	want.addRangeDels(r.cmp, r.rangeDels)
	return r.checkProps(&want)
}

// verifyRangeDels reads the range-deletion block again and checks that it
// decodes to the tombstones loaded by Open.
func (r *Reader) verifyRangeDels() error {
	h := r.footer.rangeDel
	b, err := r.readBlock(h)
	if err != nil {
		return err
	}
	dels, err := decodeRangeDels(b, r.cmp, r.name, int64(h.offset))
	if err != nil {
		return err
	}
	if !slices.EqualFunc(dels, r.rangeDels, func(a, b RangeDel) bool {
		return a.Seq == b.Seq && bytes.Equal(a.Start, b.Start) && bytes.Equal(a.End, b.End)
	}) {
		return base.Corruptionf(r.name, int64(h.offset), "range tombstones changed since the table was opened")
	}
	return nil
}
