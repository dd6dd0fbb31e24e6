package wal

import (
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/vfs"
)

// The mapped path
//
// When the file offers it (vfs.MappableFile: files of vfs.Default on
// linux, of a MemFS made mappable, and errorfs's over either), a Writer
// appends records by storing them through a vfs.Mapping of the file, one
// Store per group, so WriteRecords makes no system call (the mapping
// writes a store of 64 KiB or more with pwritev(2) on linux), and Sync is
// the Mapping's (one fdatasync on linux). Otherwise it writes each group
// with one File.Write call (and each large payload with one of its own,
// see WriteRecords) and syncs with File.Sync. The file's format is the
// same either way.
//
// A store through a mapping cannot report a full disk (the page would
// raise SIGBUS), so the Writer extends the file ahead of its stores with
// Mapping.Allocate, and never stores past the allocated size: a full disk
// is an error of WriteRecords, before anything of the group is written.
// Each extension is a quarter of the file, at least Options.Preallocate
// and at most preallocMax, rounded up to allocAlign.
//
// The file is extended before the stores reach its allocated end: once
// they come within allocLead bytes of it (or Options.Preallocate, if
// less). The mapping's pager prepares the pages ahead of the stores
// (vfs, "Page faults") only within the allocated size, so a store into
// a fresh extension took a page fault per page itself until the pager
// next ran. An extension that fails fails the group, as before, only
// that much earlier: a full disk is met with up to the lead still
// allocated, and an I/O error of the device stops the log at once.
//
// The file therefore ends with zeros after its last record. Recovery
// reads zeros as a torn tail (type 0 is never written), which is what a
// crashed process leaves. Close truncates the file to its last record,
// and makes the shorter size durable, before it writes the end record
// (see Writer.Close); Abandon truncates it too, on a best-effort basis.

// Options tune a Writer. The zero value selects the defaults.
type Options struct {
	// Preallocate is the least a mapped log is extended by at a time.
	// Default DefaultPreallocate. A log that stays small wastes less disk,
	// and leaves recovery a shorter tail of zeros to read after a crash,
	// with a smaller step.
	Preallocate int64
	// Legacy writes the log in the legacy framing (magic "TMPS_WAL",
	// unseeded records), for a database below format version 6, which a
	// binary of its version must still read. By default the log is in the
	// record framing.
	Legacy bool
}

// DefaultPreallocate is the default of Options.Preallocate.
const DefaultPreallocate = 4 << 20

const (
	// preallocMax bounds each extension of a mapped log.
	preallocMax = 64 << 20
	// allocAlign rounds the allocated size up to a multiple of every page
	// size Linux uses.
	allocAlign = 64 << 10
	// allocLead is how far ahead of the stores the file is allocated: as
	// far as the mapping's pager prepares pages (vfs's populateAhead).
	allocLead = 1 << 20
)

// mapFile puts w on the mapped path if its file offers a mapping and the
// file system can allocate space ahead; otherwise it leaves w on the
// write path and returns nil. It fails only if the first allocation
// fails otherwise (ENOSPC); the file is then unmapped and unchanged.
func (w *Writer) mapFile(prealloc int64) error {
	mf, ok := w.f.(vfs.MappableFile)
	if !ok {
		return nil
	}
	m, err := mf.Map()
	if err != nil {
		return nil // the file system cannot map it: keep to File.Write
	}
	w.m, w.allocated, w.prealloc = m, w.size, prealloc
	if w.prealloc <= 0 {
		w.prealloc = DefaultPreallocate
	}
	if err := w.reserve(w.size + 1); err != nil {
		_ = m.Unmap()
		w.m = nil
		if errors.Is(err, errors.ErrUnsupported) {
			return nil
		}
		return err
	}
	return nil
}

// reserve makes the allocated size at least end (see The mapped path).
func (w *Writer) reserve(end int64) error {
	if end <= w.allocated {
		return nil
	}
	grow := min(max(w.allocated/4, w.prealloc), preallocMax)
	target := max(end, w.allocated+grow)
	target += (allocAlign - target%allocAlign) % allocAlign
	if err := w.m.Allocate(target); err != nil {
		return fmt.Errorf("allocate %d bytes: %w", target, err)
	}
	w.allocated = target
	return nil
}

// store appends p, n bytes in all, through the mapping at offset size
// with one Store, first extending the file if p reaches within the lead
// of the allocated size.
func (w *Writer) store(n int64, p [][]byte) error {
	if err := w.reserve(w.size + n + min(w.prealloc, allocLead)); err != nil {
		return err
	}
	return w.m.Store(w.size, p...)
}

// unmap truncates the file to size, cutting the allocated zeros, and
// releases the mapping; it reports whether the file was truncated. Later
// writes use WriteAt. A failure is sticky.
func (w *Writer) unmap() (truncated bool, err error) {
	if w.allocated != w.size {
		err = w.m.Truncate(w.size)
		truncated = err == nil
	}
	if uerr := w.m.Unmap(); err == nil {
		err = uerr
	}
	w.m, w.writeAt = nil, true
	if err != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.setErrLocked(fmt.Errorf("wal: close %s: %w", w.path, err))
		return false, w.err
	}
	return truncated, nil
}

// release gives up the mapping, if any, without the guarantees of Close:
// it truncates the allocated zeros on a best-effort basis and unmaps,
// ignoring errors.
func (w *Writer) release() {
	if w.m == nil {
		return
	}
	if w.allocated != w.size {
		_ = w.m.Truncate(w.size)
	}
	_ = w.m.Unmap()
	w.m = nil
}

// mapped reports whether the writer writes through a mapping.
func (w *Writer) mapped() bool { return w.m != nil }
