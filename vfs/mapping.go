package vfs

import "errors"

// MappableFile is implemented by a File that can also be written through
// a shared memory mapping: on linux, files of Default; files of a MemFS,
// which imitate them (see MemFS.SetMappable); and errorfs's files when
// the file they wrap is one (see Capabilities in the package doc).
// Elsewhere the capability is absent.
type MappableFile interface {
	File
	// Map maps the file, from offset 0, for writing. The file's current
	// size becomes the mapping's allocated size. The handle must be
	// writable. An error (errors.ErrUnsupported where the file system
	// cannot map files) leaves nothing mapped: the file can still be
	// written with File.Write.
	Map() (Mapping, error)
}

// A Mapping writes a file through a shared memory mapping (MAP_SHARED on
// linux): a Store is a copy into the file's pages in the operating
// system's cache, with no system call. See the package doc for what a
// crash keeps of it.
//
// A store to a mapped page that the file system cannot back (no space
// left, or a page past the end of the file) raises SIGBUS on linux, which
// no error return can report. So a Mapping keeps an allocated size, which
// only Allocate raises: every byte below it has its blocks allocated, and
// Store refuses to write past it. The caller allocates first, and a full
// disk is an error from Allocate, never a signal.
//
// A Mapping is not safe for concurrent use, with one exception: Sync may
// run at once with Store and Allocate (a WAL's writers share an fsync
// while the next record is stored); it then covers at least the bytes
// stored before it began. The bytes stored are visible to ReadAt on any
// handle of the file.
type Mapping interface {
	// Allocate extends the file to size bytes, allocating their blocks
	// (fallocate(2) mode 0); the new bytes read as zeros. A size at or
	// below the allocated size changes nothing. It fails (ENOSPC when the
	// device is full, ErrUnsupported when the file system cannot
	// preallocate) without changing the allocated size.
	Allocate(size int64) error
	// Store copies p, the concatenation of its slices, into the file at
	// offset off. Stores past the allocated size fail with an error
	// matching ErrMappingFault, as does a memory fault during the copy
	// (the page could not be read back, or the file was truncated by
	// someone else). A large store may be written with a system call
	// instead (pwritev(2) on linux), whose error it returns. After an
	// error part of p may have been stored.
	Store(off int64, p ...[]byte) error
	// Sync makes every byte stored so far, and the allocated size,
	// durable (fdatasync(2), which on linux covers the pages dirtied
	// through the mapping). After an error the state of the unsynced
	// bytes is unknown, as for File.Sync, and a retry proves nothing.
	Sync() error
	// Truncate sets the file's size, and the allocated size, to size,
	// for instance to cut off space allocated and never stored to. Like
	// Allocate's, the new size is durable only after a Sync.
	Truncate(size int64) error
	// Unmap releases the mapping. The stored bytes stay in the file.
	// Every later call, Unmap included, fails with os.ErrClosed.
	Unmap() error
}

// storeLen is the length of a Store's bytes.
func storeLen(p [][]byte) int64 {
	n := int64(0)
	for _, q := range p {
		n += int64(len(q))
	}
	return n
}

// ErrMappingFault reports a store through a Mapping that faulted, or that
// would have: past the allocated size, or on a page the system could not
// provide.
var ErrMappingFault = errors.New("vfs: memory fault storing through a file mapping")
