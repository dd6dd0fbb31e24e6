//go:build linux

package wal

import (
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/tempestdb/tempest/vfs"
)

// A mapping writes records into the WAL file through a shared memory
// mapping (MAP_SHARED), so appending a commit group is a copy into the
// page cache, with no system call. The bytes are then in the kernel's
// page cache exactly as after write(2): they survive a crash of the
// process, and they are durable once the file is synced.
//
// # Space
//
// A store to a mapped page that the file system cannot back (no space
// left, or a page past the end of the file) raises SIGBUS, which would
// kill the process. So the file is extended ahead of the writes with
// fallocate(2) mode 0, which allocates the blocks and extends the file
// size, and nothing is ever copied past the allocated size: a store can
// no longer fail for lack of space. When fallocate fails with ENOSPC the
// group is not written and WriteRecords returns the error. Each
// extension is a quarter of the file, at least preallocMin and at most
// preallocMax.
//
// The file therefore ends with zeros after its last record. Recovery
// reads zeros as a torn tail (type 0 is never written), which is what a
// crashed process leaves. Close truncates the file to its last record
// before it writes the end record (see Writer.Close); Abandon truncates it
// too, on a best-effort basis.
//
// A store may still fault if the page must be read back from disk and the
// read fails, or if another process truncated the file. The copy runs
// with debug.SetPanicOnFault, so such a fault becomes an error (and breaks
// the writer) instead of killing the process.
//
// # Page faults
//
// The first store to each page of the mapping faults into the kernel,
// which on a preallocated (unwritten) extent is expensive: several
// microseconds, more than the copies of the thirty-odd small records the
// page holds. So before a copy reaches pages not yet prepared, one
// madvise(MADV_POPULATE_WRITE) call (Linux 5.14) prepares them and the
// next populateAhead bytes: one system call per megabyte instead of a
// fault per page. Those pages are then dirty zeros, which a Sync writes
// out along with the records; recovery reads zeros as the torn tail they
// are. Where the call fails (an older kernel) the writer stops making it
// and takes the faults.
//
// The call costs about as much per page as the faults it replaces (under
// two microseconds a page on the bench machine), so its size decides
// how the cost is spread: a call per 64 KiB made one write in every 500
// or so take 30 µs, enough to put 0.2% of small writes in the latency
// tail; a call per megabyte makes one write in 7,500 take about half a
// millisecond. In the overwrite bench that cut the writes whose WAL copy
// took over 2.5 µs from 0.36% to 0.15% (see docs/performance.md).
//
// # Resident pages
//
// Every page stored to stays mapped, and counts in the process's resident
// set, until it is unmapped: a WAL of a 64 MiB memtable would add 64 MiB
// to the RSS. So pages more than dropBehind behind the copies are dropped
// from the process with madvise(MADV_DONTNEED), a megabyte at a time. On
// a shared file mapping this only removes the page table entries: the
// pages stay in the page cache, dirty ones are marked dirty there and
// written back (and made durable by the next fdatasync) as before, and a
// later access would read the file's current contents. The writer never
// reads those pages again.
//
// # Windows
//
// The file is mapped in windows of mapWindow bytes at multiples of
// mapWindow. A window may extend past the end of the file (its pages
// there are never touched). On 64-bit platforms one window of 1 GiB of
// address space covers any WAL the engine writes; on 32-bit ones windows
// are 64 MiB and are replaced as the log grows.
//
// # Durability
//
// sync is fdatasync(2) on the descriptor, with no msync(2). On Linux the
// pages of a MAP_SHARED file mapping are the file's page-cache pages, and
// a store through the mapping marks its page dirty (the kernel
// write-protects clean shared pages to track this; msync(2) NOTES: "the
// kernel properly tracks dirty pages and flushes them to storage as
// necessary"). fsync(2): fdatasync "transfers ("flushes") all modified
// in-core data of (i.e., modified buffer cache pages for) the file ... to
// the disk device", plus the metadata needed to read it back (the size
// fallocate changed, the extents the stores turned from unwritten to
// written). That includes the pages dirtied through the mapping; msync
// with MS_SYNC is itself implemented as an fdatasync of the range
// (vfs_fsync_range(file, start, end, 1) in mm/msync.c), so it would add a
// system call and nothing else. POSIX alone does not promise this, which
// is one reason the mapped path is Linux-only.
type mapping struct {
	fd int
	// allocated is the file's size, all of it allocated by fallocate (or
	// written): stores below it cannot fail for lack of space.
	allocated int64
	// region maps the file's bytes [base, base+len(region)).
	region []byte
	base   int64
	// populated is the page-aligned offset below which the window's
	// pages were prefaulted writable; noPrefault is set once
	// MADV_POPULATE_WRITE failed.
	populated  int64
	noPrefault bool
	// dropped is the page-aligned offset below which the window's pages
	// were dropped from the process (see Resident pages).
	dropped int64
}

// Tunables; tests shrink them to exercise extension and remapping.
var (
	// mapWindow is the size of a mapped window, a multiple of the page
	// size.
	mapWindow int64 = defaultMapWindow
	// preallocMin and preallocMax bound each fallocate extension.
	preallocMin int64 = 4 << 20
	preallocMax int64 = 64 << 20
	// populateAhead is how far past a copy the pages are prefaulted.
	populateAhead int64 = 1 << 20
	// dropBehind is how far behind the copies written pages are dropped
	// from the process's resident set, in steps of the same size.
	dropBehind int64 = 1 << 20
)

// defaultMapWindow is 1 GiB on 64-bit platforms, 64 MiB on 32-bit ones
// (^uint(0)>>63 is 1 where uint has 64 bits, else 0).
const defaultMapWindow = 64 << 20 << (4 * (^uint(0) >> 63))

// allocAlign rounds the allocated size up to a multiple of every page
// size Linux uses.
const allocAlign = 64 << 10

// System calls, replaceable by tests to inject failures.
var (
	fallocate = unix.Fallocate
	fdatasync = unix.Fdatasync
)

// errMappedFault reports a memory fault while copying into the mapping.
var errMappedFault = errors.New("memory fault writing through the file mapping (an I/O error, or the file was truncated)")

// newMapping maps f, whose size is size, and preallocates its first
// extension. It returns nil and no error when the mapped path does not
// apply: f has no descriptor (MemFS, or a wrapper such as errorfs), or the
// file system does not support mmap or fallocate; nothing is then left
// mapped and the file is unchanged. It returns an error if the
// preallocation fails otherwise (ENOSPC).
func newMapping(f vfs.File, size int64) (*mapping, error) {
	ff, ok := f.(vfs.FdFile)
	if !ok {
		return nil, nil
	}
	m := &mapping{fd: int(ff.Fd()), allocated: size}
	if err := m.remap(0); err != nil {
		return nil, nil
	}
	if err := m.reserve(size + 1); err != nil {
		_ = m.release()
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
			return nil, nil
		}
		return nil, err
	}
	return m, nil
}

// write copies p to the file at offset off, first extending the file if
// p would reach past its allocated size.
func (m *mapping) write(off int64, p []byte) error {
	if err := m.reserve(off + int64(len(p))); err != nil {
		return err
	}
	return m.copyAt(off, p)
}

// reserve makes the allocated size at least end.
func (m *mapping) reserve(end int64) error {
	if end <= m.allocated {
		return nil
	}
	grow := min(max(m.allocated/4, preallocMin), preallocMax)
	target := max(end, m.allocated+grow)
	target += (allocAlign - target%allocAlign) % allocAlign
	n := target - m.allocated
	if err := fallocate(m.fd, 0, m.allocated, n); err != nil {
		return fmt.Errorf("fallocate %d bytes at offset %d: %w", n, m.allocated, err)
	}
	m.allocated += n
	return nil
}

// copyAt copies p to offset off, below the allocated size, moving the
// window as needed. A memory fault during the copy is returned as an
// error wrapping errMappedFault.
func (m *mapping) copyAt(off int64, p []byte) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		fault, ok := r.(interface{ Addr() uintptr })
		if !ok {
			panic(r)
		}
		err = fmt.Errorf("%w (address %#x)", errMappedFault, fault.Addr())
	}()
	for len(p) > 0 {
		if off < m.base || off >= m.base+int64(len(m.region)) {
			if err := m.remap(off); err != nil {
				return err
			}
		}
		end := min(off+int64(len(p)), m.base+int64(len(m.region)))
		m.prefault(end)
		n := copy(m.region[off-m.base:end-m.base], p)
		p = p[n:]
		off += int64(n)
	}
	m.dropWritten(off)
	return nil
}

// dropWritten drops from the process the window's pages more than
// dropBehind below off, once they make up dropBehind bytes (see Resident
// pages). The call is only advice: a failure changes nothing.
func (m *mapping) dropWritten(off int64) {
	to := off - dropBehind
	to -= to % int64(unix.Getpagesize())
	from := max(m.dropped, m.base)
	if to-from < dropBehind {
		return
	}
	if err := unix.Madvise(m.region[from-m.base:to-m.base], unix.MADV_DONTNEED); err == nil {
		m.dropped = to
	}
}

// remap replaces the window with the one holding offset off.
func (m *mapping) remap(off int64) error {
	if err := m.release(); err != nil {
		return err
	}
	base := off - off%mapWindow
	region, err := unix.Mmap(m.fd, base, int(mapWindow), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %d bytes at offset %d: %w", mapWindow, base, err)
	}
	m.region, m.base = region, base
	m.populated = off - off%int64(unix.Getpagesize())
	m.dropped = m.populated
	return nil
}

// prefault makes the window's pages up to end, and populateAhead bytes
// past it, writable with one madvise call, within the allocated size (see
// Page faults in the type comment). The call is only advice: a failure
// disables it, and a copy that then faults is handled by copyAt.
func (m *mapping) prefault(end int64) {
	if end <= m.populated || m.noPrefault {
		return
	}
	page := int64(unix.Getpagesize())
	to := end + populateAhead
	to += (page - to%page) % page
	to = min(to, m.allocated, m.base+int64(len(m.region)))
	if err := unix.Madvise(m.region[m.populated-m.base:to-m.base], unix.MADV_POPULATE_WRITE); err != nil {
		m.noPrefault = true
		return
	}
	m.populated = to
}

// sync makes everything copied so far durable (see Durability in the type
// comment).
func (m *mapping) sync() error { return fdatasync(m.fd) }

// release unmaps the window, if any. The copied bytes stay in the page
// cache.
func (m *mapping) release() error {
	if m.region == nil {
		return nil
	}
	err := unix.Munmap(m.region)
	m.region = nil
	if err != nil {
		return fmt.Errorf("munmap: %w", err)
	}
	return nil
}

// truncate cuts the preallocated tail off the file, which then ends at
// size. It reports whether the file changed.
func (m *mapping) truncate(size int64) (bool, error) {
	if m.allocated == size {
		return false, nil
	}
	if err := unix.Ftruncate(m.fd, size); err != nil {
		return false, fmt.Errorf("ftruncate to %d bytes: %w", size, err)
	}
	m.allocated = size
	return true, nil
}
