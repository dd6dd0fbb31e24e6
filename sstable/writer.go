package sstable

import (
	"fmt"
	"io"
	"math"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Meta describes a finished table.
type Meta struct {
	// Size is the file size in bytes.
	Size uint64
	// EntryCount is the number of point entries; DeletionCount the number
	// of them that are point tombstones (KindDelete).
	EntryCount, DeletionCount uint64
	// RangeDelCount is the number of range tombstones.
	RangeDelCount uint64
	// Smallest and Largest are owned copies of the table's bounds over
	// point entries and range tombstones (see Properties); zero if the
	// table is empty. A Largest with seqnum SeqNumMax and kind
	// KindRangeDelete is an exclusive bound.
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the seqnums of all point entries
	// and range tombstones (seqnums are not sorted by key); zero if the
	// table is empty.
	SmallestSeq, LargestSeq base.SeqNum
	// Checksum is the whole-file checksum (see file_checksum.go),
	// computed while writing.
	Checksum uint64
}

// Writer writes a table to a file, streaming entries into data blocks and
// keeping the index, the bloom filter and the range tombstones in memory
// until Finish. A Writer is not safe for concurrent use.
//
// A Writer takes either internal keys, with Add and AddRangeDel (the DB's
// flushes and compactions), or user keys, with Set, Delete and
// DeleteRange (a table written for ingest, whose entries carry seqnum
// zero: see the package doc), fixed by its first call: a call of the other
// kind fails the writer.
//
// Once any call fails the Writer is unusable: every later call returns
// the same error. The caller then calls Abort and removes the file.
type Writer struct {
	f    vfs.File
	opts WriterOptions
	err  error // sticky: the first failure, or errWriterClosed
	done bool  // the file has been closed

	offset uint64     // bytes written so far, buffered or not
	hash   fileHasher // whole-file checksum of those bytes
	wbuf   []byte     // bytes not yet handed to the file (see write)

	block blockWriter
	cbuf  []byte // compressed form of the block being written
	index indexWriter
	bloom bloomWriter
	props Properties

	rangeDels []RangeDel // in the order added; sorted by Finish

	lastKey     []byte // user key of the previous entry (owned)
	lastTrailer base.Trailer

	mode writerMode // fixed by the first entry (writer_ingest.go)
}

// errWriterClosed is returned by calls after Finish or Abort.
var errWriterClosed = fmt.Errorf("%w: sstable writer is finished or aborted", base.ErrClosed)

// NewWriter returns a Writer that writes to f, which must be empty. Invalid
// options are reported by the first Add or Finish.
func NewWriter(f vfs.File, opts WriterOptions) *Writer {
	w := &Writer{f: f}
	w.opts, w.err = opts.withDefaults()
	if w.err != nil {
		return w
	}
	w.block.restartInterval = w.opts.RestartInterval
	w.bloom.init(w.opts.bloomEnabled(), w.opts.BloomFPR, w.opts.EstimatedKeys)
	w.props.ComparerName = w.opts.Comparer.Name
	w.props.FormatVersion = w.opts.FormatVersion
	if w.opts.FormatVersion >= fileNumVersion {
		w.props.FileNum = w.opts.FileNum
	}
	return w
}

// Add appends an entry. Keys must be strictly increasing in internal-key
// order (Comparer.CompareInternal); otherwise Add returns an error matching
// base.ErrInvalidArgument and the writer is unusable. Add copies key and
// value. A writer that took Set, Delete or DeleteRange refuses Add.
func (w *Writer) Add(key base.InternalKey, value []byte) error {
	if err := w.enterMode(modeInternal); err != nil {
		return err
	}
	return w.add(key, value)
}

// add appends an entry of either mode.
func (w *Writer) add(key base.InternalKey, value []byte) error {
	if err := w.checkEntry(key, value); err != nil {
		w.err = err
		return err
	}
	w.block.add(key, value)
	w.addStats(key, value)
	w.lastKey = append(w.lastKey[:0], key.UserKey...)
	w.lastTrailer = key.Trailer
	w.bloom.add(w.opts.Comparer.Prefix(w.lastKey))
	if w.block.size() >= w.opts.BlockSize {
		w.flushBlock()
	}
	return w.err
}

// AddRangeDel records a range tombstone deleting the entries of user keys
// in [start, end) with seqnums below seq. Calls may come in any order and
// interleave with Add. start must be before end (Comparer.Compare) and
// seq at most base.SeqNumMax; otherwise AddRangeDel returns an error
// matching base.ErrInvalidArgument and the writer is unusable. AddRangeDel
// copies start and end. A writer that took Set, Delete or DeleteRange
// refuses AddRangeDel.
func (w *Writer) AddRangeDel(start, end []byte, seq base.SeqNum) error {
	if err := w.enterMode(modeInternal); err != nil {
		return err
	}
	return w.addRangeDel(start, end, seq)
}

// addRangeDel records a range tombstone of either mode.
func (w *Writer) addRangeDel(start, end []byte, seq base.SeqNum) error {
	cmp := w.opts.Comparer
	switch {
	case cmp.Compare(start, end) >= 0:
		w.err = base.InvalidArgumentf("sstable: range tombstone [%s, %s) is empty: start must be before end",
			cmp.Format(start), cmp.Format(end))
	case !seq.Valid():
		w.err = base.InvalidArgumentf("sstable: range tombstone seqnum %d overflows 56 bits", uint64(seq))
	case uint64(len(start))+uint64(len(end)) > MaxEntrySize:
		w.err = base.InvalidArgumentf("sstable: range tombstone of %d+%d bytes exceeds %d",
			len(start), len(end), MaxEntrySize)
	}
	if w.err != nil {
		return w.err
	}
	buf := make([]byte, len(start)+len(end))
	n := copy(buf, start)
	copy(buf[n:], end)
	w.rangeDels = append(w.rangeDels, RangeDel{Start: buf[:n:n], End: buf[n:], Seq: seq})
	return nil
}

// checkEntry validates the next entry against the previous one.
func (w *Writer) checkEntry(key base.InternalKey, value []byte) error {
	cmp := w.opts.Comparer
	if !key.Kind().ValidInTable() {
		return base.InvalidArgumentf("sstable: key %s has unknown kind", key.Pretty(cmp))
	}
	if uint64(len(key.UserKey))+uint64(len(value)) > MaxEntrySize {
		return base.InvalidArgumentf("sstable: entry of %d+%d bytes exceeds %d",
			len(key.UserKey), len(value), MaxEntrySize)
	}
	if w.props.EntryCount > 0 {
		prev := base.InternalKey{UserKey: w.lastKey, Trailer: w.lastTrailer}
		if cmp.CompareInternal(prev, key) >= 0 {
			return base.InvalidArgumentf("sstable: key %s added after %s: keys must strictly increase",
				key.Pretty(cmp), prev.Pretty(cmp))
		}
	}
	return nil
}

// addStats accounts for an entry in the properties.
func (w *Writer) addStats(key base.InternalKey, value []byte) {
	p := &w.props
	seq := key.SeqNum()
	if p.EntryCount == 0 {
		p.Smallest = key.Clone()
		p.SmallestSeq, p.LargestSeq = seq, seq
	}
	p.SmallestSeq = min(p.SmallestSeq, seq)
	p.LargestSeq = max(p.LargestSeq, seq)
	p.EntryCount++
	if key.Kind() == base.KindDelete {
		p.DeletionCount++
	}
	p.RawKeySize += uint64(key.EncodedLen())
	p.RawValueSize += uint64(len(value))
}

// flushBlock writes the pending data block and indexes it by its last key.
func (w *Writer) flushBlock() {
	h, ok := w.writeBlock(w.block.finish(), w.opts.Compression)
	if !ok {
		return
	}
	w.index.add(base.InternalKey{UserKey: w.lastKey, Trailer: w.lastTrailer}, h)
	w.props.DataBlockCount++
	w.block.reset()
}

// writeBlock appends block, compressed with c when that pays (see
// compressBlock), and its trailer to the file.
func (w *Writer) writeBlock(block []byte, c Compression) (blockHandle, bool) {
	if w.err != nil {
		return blockHandle{}, false
	}
	stored, c := compressBlock(c, w.cbuf, block)
	if c != NoCompression {
		w.cbuf = stored[:0] // keep the grown buffer for the next block
	}
	if uint64(len(stored)) > math.MaxUint32 {
		w.err = base.InvalidArgumentf("sstable: block of %d bytes exceeds 4 GiB", len(stored))
		return blockHandle{}, false
	}
	h := blockHandle{offset: w.offset, size: uint32(len(stored))}
	// The trailer goes in a separate write: appending it to stored would
	// reallocate a block that fills its buffer (a bloom filter's bits).
	var trailer [blockTrailerLen]byte
	appendBlockTrailer(trailer[:0], stored, c)
	return h, w.write(stored) && w.write(trailer[:])
}

// writeBufSize is how many bytes the Writer gathers before one write to
// the file: blocks are small (4 KiB before compression), and one system
// call per block costs more than the copy.
const writeBufSize = 128 << 10

// write appends p to the table, tracking the offset and the file
// checksum. The bytes reach the file in writeBufSize batches, and all of
// them before Finish syncs.
func (w *Writer) write(p []byte) bool {
	if w.err != nil {
		return false
	}
	if w.wbuf == nil {
		w.wbuf = (*writeBufs.get(writeBufSize, writeBufSize))[:0]
	}
	w.wbuf = append(w.wbuf, p...)
	w.offset += uint64(len(p))
	w.hash.write(p)
	if len(w.wbuf) >= writeBufSize {
		return w.flushWrites()
	}
	return true
}

// writeBufs recycles the Writers' write buffers (flushes and compactions
// write table after table) and FileChecksum's read buffers. One grown
// past twice its size by a huge block is not kept.
var writeBufs = bufPool{maxCap: 2 * writeBufSize}

// releaseWriteBuf gives the write buffer back to the pool (it must hold
// nothing unwritten, or the write failed).
func (w *Writer) releaseWriteBuf() {
	if w.wbuf != nil {
		b := w.wbuf[:0]
		writeBufs.put(&b)
	}
	w.wbuf = nil
}

// flushWrites hands the buffered bytes to the file.
func (w *Writer) flushWrites() bool {
	if w.err != nil || len(w.wbuf) == 0 {
		return w.err == nil
	}
	start := w.offset - uint64(len(w.wbuf))
	n, err := w.f.Write(w.wbuf)
	if err == nil && n != len(w.wbuf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("sstable: writing %s at offset %d: %w", w.opts.FileName, start, err)
		return false
	}
	w.wbuf = w.wbuf[:0]
	return true
}

// Finish writes the pending data block, the range-deletion, bloom,
// properties and index blocks and the footer, then syncs and closes the
// file. A table with no point entries, or with nothing at all, is valid. On error the file is closed and the caller removes it.
func (w *Writer) Finish() (Meta, error) {
	if w.err == nil {
		w.finish()
	}
	if w.err != nil {
		w.Abort()
		return Meta{}, w.err
	}
	w.done = true
	w.err = errWriterClosed
	p := &w.props
	m := Meta{
		Size:          w.offset,
		EntryCount:    p.EntryCount,
		DeletionCount: p.DeletionCount,
		RangeDelCount: p.RangeDelCount,
		SmallestSeq:   p.SmallestSeq,
		LargestSeq:    p.LargestSeq,
		Checksum:      w.hash.sum(),
	}
	if !p.empty() {
		m.Smallest, m.Largest = p.Smallest, p.Largest // owned: cloned by addStats and finish
	}
	return m, nil
}

// finish writes everything after the last entry, leaving any failure in
// w.err.
func (w *Writer) finish() {
	if !w.block.empty() {
		w.flushBlock()
	}
	if w.props.EntryCount > 0 {
		w.props.Largest = base.InternalKey{UserKey: w.lastKey, Trailer: w.lastTrailer}.Clone()
	}
	sortRangeDels(w.opts.Comparer, w.rangeDels)
	w.props.addRangeDels(w.opts.Comparer, w.rangeDels)
	filter := w.bloom.finish()
	ft := footer{bloomK: filter.k, bloomM: filter.m, version: w.opts.FormatVersion}
	ft.rangeDel, _ = w.writeBlock(encodeRangeDels(nil, w.rangeDels), w.opts.Compression)
	ft.bloom, _ = w.writeBlock(filter.bits, NoCompression) // random bits: incompressible
	ft.props, _ = w.writeBlock(w.props.encode(nil), w.opts.Compression)
	index, err := w.index.finish()
	if err != nil && w.err == nil {
		w.err = err
	}
	ft.index, _ = w.writeBlock(index, w.opts.Compression)
	w.write(ft.encode())
	w.flushWrites()
	w.releaseWriteBuf()
	if w.err != nil {
		return
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("sstable: syncing %s: %w", w.opts.FileName, err)
		return
	}
	w.done = true
	if err := w.f.Close(); err != nil {
		w.err = fmt.Errorf("sstable: closing %s: %w", w.opts.FileName, err)
	}
}

// Abort closes the file without finishing the table; the caller removes
// the file. Abort after Finish does nothing.
func (w *Writer) Abort() {
	w.releaseWriteBuf()
	if !w.done {
		w.done = true
		_ = w.f.Close()
	}
	if w.err == nil {
		w.err = errWriterClosed
	}
}
