package wal

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/internal/record"
	"github.com/tempestdb/tempest/vfs"
)

// maxRetainedBuf bounds the framing buffer a Writer keeps between calls: a
// rare huge group does not pin its memory for the life of the log.
const maxRetainedBuf = 1 << 20

// Writer appends records to one WAL file.
//
// When the file offers a mapping (vfs.MappableFile), the Writer appends
// records by storing them through it, so WriteRecords makes no system
// call; otherwise it writes each group with one File.Write call. See The
// mapped path in mapped.go. The file's format is the same either way.
//
// A Writer has one owner at a time (the commit pipeline's leader), which
// makes every call but SyncTo and SyncedSize. SyncTo may be called from
// any goroutine, at once with the owner's calls and with other SyncTo
// calls: callers that wait together share one fsync (see SyncTo). mu
// guards what the two sides share (size, err, closed as SyncTo reads
// them, and the syncing flag); the owner changes those fields under mu and
// reads size without it.
//
// Errors are sticky. After a failed write the file may hold a partial
// group, and after a failed fsync the kernel may have dropped dirty pages
// while marking them clean, so a retried fsync could succeed without the
// data being durable. Either way the writer is broken: every later call
// returns the first error, and the caller must Abandon it.
type Writer struct {
	f    vfs.File
	path string
	num  base.FileNum
	// header is the file's header; seed, its records' checksum seed.
	header Header
	seed   record.Seed
	// size is the number of bytes written to the file (header included).
	// Written by the owner under mu.
	size int64
	// sum is the CRC-64 of the size bytes written so far (see Final).
	sum uint64
	// synced is the offset up to which the file is known to be durable.
	// Invariant: HeaderSize <= synced <= size, and synced is a record
	// boundary. Written under mu.
	synced atomic.Int64
	// buf frames a group of records so the group costs one Write call
	// (or one Store into the mapping); pieces lists the slices of one
	// write (see writeGroup).
	buf    []byte
	pieces [][]byte
	// m is the mapping records are stored through, or nil for the write
	// path. Close and Abandon release it, holding the syncing flag: SyncTo
	// reads m only while it holds the flag itself.
	m vfs.Mapping
	// allocated is the mapped file's allocated size; prealloc is the
	// least it grows by (see The mapped path). Invariant while mapped:
	// size <= allocated.
	allocated, prealloc int64
	// writeAt is set once m is released by Close: the File's own offset
	// never moved past the header, so the end record is written with
	// WriteAt at size.
	writeAt bool
	// err is the sticky error (see the type comment). Guarded by mu.
	err error
	// closed is set by Close and Abandon. Written under mu.
	closed bool

	mu sync.Mutex
	// syncing is set (under mu) while an fsync runs outside mu, or while
	// Close or Abandon releases the file; idle is broadcast when it
	// clears.
	syncing bool
	idle    sync.Cond
}

// Create creates WAL num in dir, writes the header, and fsyncs both the
// file and the directory, so the file exists after a crash before any
// record is acknowledged. A mapped writer then allocates the file's
// first extension. On error nothing is left open, and the partial file
// is removed on a best-effort basis.
func Create(fs vfs.FS, dir string, num base.FileNum, opts Options) (*Writer, error) {
	path := fs.PathJoin(dir, FileName(num))
	f, err := fs.Create(path)
	if err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", path, err)
	}
	h := Header{Num: num, Legacy: opts.Legacy}
	w := &Writer{f: f, path: path, num: num, header: h, seed: h.seed()}
	w.idle.L = &w.mu
	if err := w.writeHeader(); err != nil {
		_ = f.Close()
		_ = fs.Remove(path)
		return nil, err
	}
	if err := vfs.SyncDir(fs, dir); err != nil {
		_ = f.Close()
		_ = fs.Remove(path)
		return nil, err
	}
	if err := w.mapFile(opts.Preallocate); err != nil {
		_ = f.Close()
		_ = fs.Remove(path)
		return nil, fmt.Errorf("wal: preallocate %s: %w", path, err)
	}
	return w, nil
}

func (w *Writer) writeHeader() error {
	w.buf = appendHeader(w.buf[:0], w.header)
	if err := w.writeOne(w.buf); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", w.path, err)
	}
	w.synced.Store(w.size)
	return nil
}

// WriteRecords frames every payload as a data record and writes the whole
// group with one Store into the file's mapping, or one File.Write call. A
// payload of directFrom bytes or more is not copied into the frame but
// written from the caller's memory after its header: in the same Store,
// or in a Write of its own, between Writes of the framed bytes around it.
// When it returns nil the bytes have reached the operating system (they
// survive a crash of the process, not a loss of power). It does not
// fsync: see Sync. Each payload must be at most MaxPayloadSize bytes; an
// oversized payload fails the call with an error matching
// base.ErrInvalidArgument before anything is written.
func (w *Writer) WriteRecords(payloads ...[]byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if len(payloads) == 0 {
		return nil
	}
	// total is the group's size; framed, the part copied into the frame.
	total, framed := uint64(0), uint64(0)
	for i, p := range payloads {
		if uint64(len(p)) > MaxPayloadSize {
			return base.InvalidArgumentf("wal: payload %d is %d bytes, more than %d", i, len(p), uint64(MaxPayloadSize))
		}
		total += RecordHeaderSize + uint64(len(p))
		framed += RecordHeaderSize
		if len(p) < directFrom {
			framed += uint64(len(p))
		}
	}
	if total > math.MaxInt {
		return base.InvalidArgumentf("wal: group of %d bytes does not fit in memory", total)
	}
	// A mapped log allocates the whole group's space first: a full disk
	// fails the group before any of it is written.
	if w.m != nil {
		if err := w.reserve(w.size + int64(total)); err != nil {
			return w.fail(err)
		}
	}
	buf := w.buf[:0]
	if uint64(cap(buf)) < framed {
		buf = make([]byte, 0, int(framed))
	}
	err := w.writeGroup(buf, payloads)
	if cap(buf) <= maxRetainedBuf {
		w.buf = buf[:0]
	} else {
		w.buf = nil
	}
	return err
}

// directFrom is the payload size from which WriteRecords writes a
// payload from the caller's memory instead of copying it into the frame:
// for a large batch the copy, and a fresh buffer beyond maxRetainedBuf,
// cost more than the writes saved (see docs/performance.md, "Large
// values (blob files)").
const directFrom = 64 << 10

// writeGroup frames payloads into buf (whose capacity holds what it
// frames) and writes the group with one write: the framed bytes, and
// between them each payload of directFrom bytes or more from the caller's
// memory, whose checksum is computed once for its record and the log's.
func (w *Writer) writeGroup(buf []byte, payloads [][]byte) error {
	pieces, sum := w.pieces[:0], w.sum
	synced := w.synced.Load()
	from := 0 // the framed bytes from here on are not yet in pieces
	for _, p := range payloads {
		if len(p) < directFrom {
			buf = record.Append(buf, w.seed, RecordData, synced, p)
			continue
		}
		pc := crc.Checksum(p)
		buf = record.AppendHeader(buf, w.seed, RecordData, synced, len(p), pc)
		pieces = append(pieces, buf[from:], p)
		sum = crc.Combine(crc.Update(sum, buf[from:]), pc, int64(len(p)))
		from = len(buf)
	}
	if from < len(buf) {
		pieces = append(pieces, buf[from:])
		sum = crc.Update(sum, buf[from:])
	}
	w.pieces = pieces
	err := w.write(pieces, sum)
	clear(pieces) // they alias the callers' batches
	return err
}

// write appends p, the concatenation of its slices, to the file at
// offset size: one Store through the mapping, or one Write (WriteAt) call
// per slice. Then it advances size, and takes sum, the log's checksum
// with p, as its own. A failure is sticky, and advances nothing.
func (w *Writer) write(p [][]byte, sum uint64) error {
	n := int64(0)
	for _, q := range p {
		n += int64(len(q))
	}
	var err error
	if w.m != nil {
		err = w.store(n, p)
	} else {
		at := w.size
		for _, q := range p {
			if err = w.writeFile(q, at); err != nil {
				break
			}
			at += int64(len(q))
		}
	}
	if err != nil {
		return w.fail(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.size, w.sum = w.size+n, sum
	// An fsync of SyncTo may have failed meanwhile: the writer is broken,
	// and the group must not be acknowledged.
	return w.err
}

// writeOne is write of one slice.
func (w *Writer) writeOne(b []byte) error {
	w.pieces = append(w.pieces[:0], b)
	err := w.write(w.pieces, crc.Update(w.sum, b))
	clear(w.pieces)
	return err
}

// writeFile writes q at offset at with one Write (WriteAt) call.
func (w *Writer) writeFile(q []byte, at int64) error {
	var n int
	var err error
	if w.writeAt {
		n, err = w.f.WriteAt(q, at)
	} else {
		n, err = w.f.Write(q)
	}
	if err == nil && n != len(q) {
		err = io.ErrShortWrite
	}
	return err
}

// fail makes err, met writing at offset size, the sticky error.
func (w *Writer) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.setErrLocked(fmt.Errorf("wal: write %s at offset %d: %w", w.path, w.size, err))
	return w.err
}

// Sync makes the file durable: File.Sync (fsync), or the Mapping's Sync
// on a mapped writer (fdatasync on linux, which also flushes the pages
// stored through the mapping). On success everything written so far is
// durable and SyncedSize equals Size. On error the writer is broken: this
// and every later call return the same error. An fsync is never retried.
func (w *Writer) Sync() error {
	if err := w.usable(); err != nil {
		return err
	}
	_, err := w.SyncTo(w.size)
	return err
}

// SyncTo makes the file durable at least up to off (a Size the owner
// saw), and reports whether this call ran the fsync. It may be called
// from any goroutine, at once with the owner's writes: an fsync covers
// every byte written when it starts, so callers that arrive while one
// runs wait for it and then either find their bytes durable or run the
// next one for all of them. Errors are as for Sync: a failed fsync breaks
// the writer, and every waiter gets its error. After Close, offsets the
// log holds are durable (Close syncs them).
func (w *Writer) SyncTo(off int64) (ran bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced.Load() < off {
		switch {
		case w.err != nil:
			return ran, w.err
		case w.closed:
			return ran, w.closedErr()
		case w.syncing:
			w.idle.Wait()
			continue
		}
		w.syncing = true
		target := w.size
		w.mu.Unlock()
		err := w.syncFile()
		w.mu.Lock()
		w.syncing, ran = false, true
		w.idle.Broadcast()
		if err != nil {
			w.setErrLocked(fmt.Errorf("wal: sync %s: %w", w.path, err))
			return ran, w.err
		}
		if target > w.synced.Load() {
			w.synced.Store(target)
		}
	}
	return ran, nil
}

// sync is Sync for the owner while no SyncTo can run (Close).
func (w *Writer) sync() error {
	if err := w.stickyErr(); err != nil {
		return err // a failed fsync is never retried
	}
	err := w.syncFile()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.setErrLocked(fmt.Errorf("wal: sync %s: %w", w.path, err))
		return w.err
	}
	w.synced.Store(w.size)
	return nil
}

// syncFile fsyncs the file, or the mapping it is written through.
func (w *Writer) syncFile() error {
	if w.m != nil {
		return w.m.Sync()
	}
	return w.f.Sync()
}

// exclusive waits until no fsync of SyncTo runs and keeps new ones
// waiting (Close and Abandon release the file under it); done ends it,
// marking the writer closed, and wakes the waiters.
func (w *Writer) exclusive() {
	w.mu.Lock()
	for w.syncing {
		w.idle.Wait()
	}
	w.syncing = true
	w.mu.Unlock()
}

func (w *Writer) done() {
	w.mu.Lock()
	w.syncing, w.closed = false, true
	w.idle.Broadcast()
	w.mu.Unlock()
}

// Close ends the log: it writes an end record naming next (the WAL that
// follows, or 0 when the DB is closing), fsyncs, and closes the file.
//
// If some records are not yet durable it fsyncs them first, so the end
// record's synced field (its own offset) is true when the end record is
// written: a crash between the two writes can then never leave an end
// record on disk that vouches for records that were lost.
//
// A mapped writer (see Writer) first cuts the preallocated zeros off the
// file's end (Mapping.Truncate), unmaps it, and fsyncs, so the shorter
// size is durable before the end record is written (with WriteAt) and
// fsynced. In the other order a crash could leave a durable end record
// followed by zeros, which recovery rightly reports as corruption:
// nothing may follow an end record.
//
// After Close, WriteRecords, Sync and Close return an error. If the
// writer is broken, Close releases the file and returns the sticky error.
func (w *Writer) Close(next base.FileNum) error {
	if w.closed {
		return w.closedErr()
	}
	// A SyncTo's fsync may fail while Close waits for it: the sticky
	// error is read again once none runs, and the file is then released
	// as Abandon does, never synced again.
	w.exclusive()
	if err := w.stickyErr(); err != nil {
		w.done()
		w.release()
		_ = w.f.Close()
		return err
	}
	err := w.closeLog(next)
	w.done()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: close %s: %w", w.path, cerr)
	}
	return err
}

func (w *Writer) closeLog(next base.FileNum) error {
	truncated := false
	if w.m != nil {
		var err error
		if truncated, err = w.unmap(); err != nil {
			return err
		}
	}
	if truncated || w.synced.Load() < w.size {
		if err := w.sync(); err != nil {
			return err
		}
	}
	var payload [endPayloadSize]byte
	binary.LittleEndian.PutUint64(payload[:], uint64(next))
	w.buf = record.Append(w.buf[:0], w.seed, RecordEnd, w.size, payload[:])
	if err := w.writeOne(w.buf); err != nil {
		return err
	}
	return w.sync()
}

// Abandon closes the file without writing anything more. It is used after
// an error; the log then ends without an end record, and recovery reads
// it like the log of a crashed process. A mapped writer also cuts the
// preallocated zeros off the file, on a best-effort basis, so the file
// ends where the write path would have left it. Abandon may be called
// after Close.
func (w *Writer) Abandon() {
	if w.closed {
		return
	}
	w.exclusive()
	w.done()
	w.release()
	_ = w.f.Close()
}

// Final describes a log as Writer.Close left it: its size and the
// CRC-64/Jones of all its bytes. The manifest records it for every closed
// log, so that recovery can tell the file it finds from the one that was
// closed (see Expect).
type Final struct {
	Size     int64
	Checksum uint64
}

// Final returns the log's size and checksum. It describes the file once
// Close has returned nil; before, it describes the bytes written so far.
func (w *Writer) Final() Final { return Final{Size: w.size, Checksum: w.sum} }

// HoldsRecords reports whether a record was written past the header.
// Owner only.
func (w *Writer) HoldsRecords() bool { return w.size > HeaderSize }

// Size returns the number of bytes written to the file, header included.
func (w *Writer) Size() int64 { return w.size }

// SyncedSize returns the offset up to which the file is known durable.
func (w *Writer) SyncedSize() int64 { return w.synced.Load() }

// Num returns the WAL's file number.
func (w *Writer) Num() base.FileNum { return w.num }

// usable returns the sticky error, or an error matching base.ErrClosed
// after Close or Abandon.
func (w *Writer) usable() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return w.closedErr()
	}
	return nil
}

// setErrLocked makes err the sticky error, unless there is one already:
// every later call returns the first. Requires w.mu.
func (w *Writer) setErrLocked(err error) {
	if w.err == nil {
		w.err = err
	}
}

// stickyErr returns the sticky error, if any.
func (w *Writer) stickyErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) closedErr() error {
	return fmt.Errorf("wal: %s: %w", w.path, base.ErrClosed)
}
