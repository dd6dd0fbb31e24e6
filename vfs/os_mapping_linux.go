//go:build linux

package vfs

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"
)

// osMapping is the Mapping of a file of Default on linux: a shared memory
// mapping (MAP_SHARED) of the file, so that a Store is a copy into the
// page cache, with no system call. The bytes are then in the kernel's
// page cache exactly as after write(2): they survive a crash of the
// process, and they are durable once the file is synced.
//
// # Space
//
// A store to a mapped page that the file system cannot back (no space
// left, or a page past the end of the file) raises SIGBUS, which would
// kill the process. So Allocate extends the file with fallocate(2) mode 0,
// which allocates the blocks and extends the file size, and Store refuses
// to copy past the allocated size: a store can no longer fail for lack of
// space. When fallocate fails (ENOSPC) the allocated size is unchanged.
//
// A store may still fault if the page must be read back from disk and the
// read fails, or if another process truncated the file. The copy runs
// with debug.SetPanicOnFault, so such a fault becomes an error wrapping
// ErrMappingFault instead of killing the process.
//
// # Page faults
//
// The first store to each page of the mapping faults into the kernel,
// which on a preallocated (unwritten) extent is expensive: several
// microseconds, more than the copies of the thirty-odd small records the
// page holds. So before a copy reaches pages not yet prepared, one
// madvise(MADV_POPULATE_WRITE) call (Linux 5.14) prepares them and the
// next populateAhead bytes, within the allocated size: one system call
// per megabyte instead of a fault per page. Those pages are then dirty
// zeros, which a Sync writes out along with the stored bytes; they were
// zeros before. Where the call fails (an older kernel) the mapping stops
// making it and takes the faults.
//
// The calls run on a goroutine of the mapping's own, the pager (see
// os_mapping_pager_linux.go), which a Store wakes when it nears the end
// of the prepared pages, so the writer's Store is a copy and nothing
// else. A store that outruns the pager takes the page faults itself.
//
// The call costs about as much per page as the faults it replaces (under
// two microseconds a page on the bench machine), so its size decides how
// the cost is spread: a call per 64 KiB made one WAL write in every 500 or
// so take 30 µs, enough to put 0.2% of small writes in the latency tail; a
// call per megabyte makes one write in 7,500 take about half a
// millisecond. In the overwrite bench that cut the writes whose WAL copy
// took over 2.5 µs from 0.36% to 0.15% (see docs/performance.md).
//
// # Large stores
//
// A store of writeFrom bytes or more (its slices together) is written
// with one pwritev(2) on the descriptor instead of copied through the
// window. Both put the bytes in the same page-cache pages of the file
// before Store returns, so a crash of the process keeps them alike, and
// Sync makes them durable alike. But a copy into pages not yet prepared
// takes a page fault per page (on a preallocated extent the kernel zeroes
// and maps each page, then marks it writable), and the pager's
// MADV_POPULATE_WRITE costs as much per page, where pwritev(2) fills the
// page cache directly. In BenchmarkOSMappingStore, counting the pager's
// CPU time too, the system call takes about half the CPU time of the copy
// from 64 KiB up (0.9-1.2 ms against 1.9-2.8 ms for 4 MiB), as much at
// 16 KiB, and twice as much at 4 KiB. The store touches no page of the
// window, so it leaves the pager alone: the next store through the
// window wakes it, from that store's end.
//
// # Resident pages
//
// Every page stored to stays mapped, and counts in the process's resident
// set, until it is unmapped: a WAL of a 64 MiB memtable would add 64 MiB
// to the RSS. So pages more than dropBehind behind the stores are dropped
// from the process with madvise(MADV_DONTNEED), a megabyte at a time. On
// a shared file mapping this only removes the page table entries: the
// pages stay in the page cache, dirty ones are marked dirty there and
// written back (and made durable by the next fdatasync) as before, and a
// later access would read the file's current contents. This assumes the
// stores move forward, as a log's do; a store behind them is still
// correct, it only faults its page in again.
//
// # Windows
//
// The file is mapped in windows of mapWindow bytes at multiples of
// mapWindow. A window may extend past the end of the file (its pages
// there are never touched). On 64-bit platforms one window of 1 GiB of
// address space covers any WAL the engine writes; on 32-bit ones windows
// are 64 MiB and are replaced as the stores move on.
//
// # Durability
//
// Sync is fdatasync(2) on the descriptor, with no msync(2). On Linux the
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
// is one reason the capability is linux-only.
type osMapping struct {
	// file keeps the descriptor open; fd is its number.
	file *os.File
	fd   int
	// windowMu guards region, base and allocated against the pager: the
	// writer (the one goroutine that calls the Mapping's methods, but for
	// Sync, which touches only fd and unmapped) changes them only while
	// holding it, and reads them without it; the pager reads them only
	// while holding it.
	windowMu sync.Mutex
	// allocated is the file's size, all of it allocated by fallocate (or
	// written): stores below it cannot fail for lack of space.
	allocated int64
	// region maps the file's bytes [base, base+len(region)); nil when no
	// window is mapped.
	region []byte
	base   int64
	// pager prepares and drops the window's pages.
	pager pager
	// iov is write's scratch list of slices.
	iov [][]byte
	// unmapped is set by Unmap.
	unmapped bool
}

var _ MappableFile = osFile{}

// Tunables; tests shrink them to exercise remapping.
var (
	// mapWindow is the size of a mapped window, a multiple of the page
	// size.
	mapWindow int64 = defaultMapWindow
	// populateAhead is how far past a store the pages are prefaulted.
	populateAhead int64 = 1 << 20
	// dropBehind is how far behind the stores written pages are dropped
	// from the process's resident set, in steps of the same size.
	dropBehind int64 = 1 << 20
	// writeFrom is the store size from which Store writes with pwritev(2)
	// (see Large stores).
	writeFrom int64 = 64 << 10
)

// defaultMapWindow is 1 GiB on 64-bit platforms, 64 MiB on 32-bit ones
// (^uint(0)>>63 is 1 where uint has 64 bits, else 0).
const defaultMapWindow = 64 << 20 << (4 * (^uint(0) >> 63))

// System calls, replaceable by tests to inject failures.
var (
	fallocate = unix.Fallocate
	fdatasync = unix.Fdatasync
	pwritev   = unix.Pwritev
)

// Map implements MappableFile.
func (f osFile) Map() (Mapping, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	m := &osMapping{file: f.File, fd: int(f.Fd()), allocated: size}
	if err := m.remap(0); err != nil {
		return nil, err
	}
	m.startPager()
	return m, nil
}

func (m *osMapping) usable() error {
	if m.unmapped {
		return &os.PathError{Op: "mapping", Path: m.file.Name(), Err: os.ErrClosed}
	}
	return nil
}

// Allocate implements Mapping.
func (m *osMapping) Allocate(size int64) error {
	if err := m.usable(); err != nil {
		return err
	}
	if size <= m.allocated {
		return nil
	}
	n := size - m.allocated
	if err := fallocate(m.fd, 0, m.allocated, n); err != nil {
		return fmt.Errorf("fallocate %d bytes at offset %d: %w", n, m.allocated, err)
	}
	m.windowMu.Lock()
	m.allocated = size
	m.windowMu.Unlock()
	return nil
}

// Store implements Mapping, moving the window as needed.
func (m *osMapping) Store(off int64, p ...[]byte) (err error) {
	if err := m.usable(); err != nil {
		return err
	}
	n := storeLen(p)
	if off < 0 || off > m.allocated-n {
		return fmt.Errorf("%w: %d bytes at offset %d, allocated %d", ErrMappingFault, n, off, m.allocated)
	}
	if n >= writeFrom {
		return m.write(off, p)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		fault, ok := r.(interface{ Addr() uintptr })
		if !ok {
			// lint:panic not a fault of the mapping: re-raised as it came
			panic(r)
		}
		err = fmt.Errorf("%w (address %#x)", ErrMappingFault, fault.Addr())
	}()
	for _, q := range p {
		if off, err = m.copyAt(off, q); err != nil {
			return err
		}
	}
	m.pager.stored(off)
	return nil
}

// copyAt copies q into the window at off, moving the window as needed,
// and returns the offset after it.
func (m *osMapping) copyAt(off int64, q []byte) (int64, error) {
	for len(q) > 0 {
		if off < m.base || off >= m.base+int64(len(m.region)) {
			if err := m.remap(off); err != nil {
				return off, err
			}
		}
		end := min(off+int64(len(q)), m.base+int64(len(m.region)))
		n := copy(m.region[off-m.base:end-m.base], q)
		q = q[n:]
		off += int64(n)
	}
	return off, nil
}

// maxIovecs is the most slices one pwritev(2) takes (IOV_MAX on linux).
const maxIovecs = 1024

// write stores p at off with pwritev(2) (see Large stores), through
// short writes and interruptions.
func (m *osMapping) write(off int64, p [][]byte) error {
	var head []byte // what is left of p[0]
	if len(p) > 0 {
		head = p[0]
	}
	for len(p) > 0 {
		if len(head) == 0 {
			if p = p[1:]; len(p) > 0 {
				head = p[0]
			}
			continue
		}
		m.iov = append(append(m.iov[:0], head), p[1:min(len(p), maxIovecs)]...)
		n, err := pwritev(m.fd, m.iov, off)
		clear(m.iov)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("pwritev at offset %d: %w", off, err)
		case n <= 0:
			return fmt.Errorf("pwritev at offset %d: %w", off, io.ErrShortWrite)
		}
		off += int64(n)
		for n > 0 {
			k := min(n, len(head))
			head, n = head[k:], n-k
			if len(head) == 0 && n > 0 {
				p = p[1:]
				head = p[0]
			}
		}
	}
	return nil
}

// remap replaces the window with the one holding offset off.
func (m *osMapping) remap(off int64) error {
	m.windowMu.Lock()
	defer m.windowMu.Unlock()
	if err := m.releaseLocked(); err != nil {
		return err
	}
	base := off - off%mapWindow
	region, err := unix.Mmap(m.fd, base, int(mapWindow), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %d bytes at offset %d: %w", mapWindow, base, err)
	}
	m.region, m.base = region, base
	m.pager.restartLocked(off - off%int64(unix.Getpagesize()))
	return nil
}

// Sync implements Mapping (see Durability in the type comment).
func (m *osMapping) Sync() error {
	if err := m.usable(); err != nil {
		return err
	}
	if err := fdatasync(m.fd); err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}
	return nil
}

// Truncate implements Mapping.
func (m *osMapping) Truncate(size int64) error {
	if err := m.usable(); err != nil {
		return err
	}
	m.windowMu.Lock()
	defer m.windowMu.Unlock()
	if err := unix.Ftruncate(m.fd, size); err != nil {
		return fmt.Errorf("ftruncate to %d bytes: %w", size, err)
	}
	m.allocated = size
	return nil
}

// Unmap implements Mapping.
func (m *osMapping) Unmap() error {
	if err := m.usable(); err != nil {
		return err
	}
	m.unmapped = true
	m.stopPager()
	m.windowMu.Lock()
	defer m.windowMu.Unlock()
	return m.releaseLocked()
}

// releaseLocked unmaps the window, if any. The stored bytes stay in the
// page cache. Requires windowMu.
func (m *osMapping) releaseLocked() error {
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
