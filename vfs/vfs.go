// Package vfs is the file-system seam under Tempest. Every byte the engine
// persists goes through FS and File, so tests can substitute an in-memory
// file system that simulates crashes (MemFS) or one that injects faults
// (package errorfs).
//
// # Durability contract
//
// Data written with File.Write is durable only after File.Sync returns nil.
// A successful Sync promises that every byte written to the file before the
// call survives a crash of the process and a loss of power.
//
// Creating, removing or renaming a file changes its directory. That change
// is durable only after the directory itself is synced: open it with
// FS.OpenDir and call Sync. Until then a crash may undo it.
//
// After Sync returns an error, the state of the file's unsynced data is
// unknown: the kernel may have dropped those dirty pages. Callers must not
// retry the Sync and treat a later success as covering the earlier writes.
// Tempest turns such an error into a sticky read-only state.
//
// Bytes stored through a Mapping (the MappableFile capability) are like
// bytes written with File.Write and not yet synced: they are in the
// operating system's cache, so they survive a crash of the process, and
// a power loss may keep, drop or tear them. Mapping.Sync makes them
// durable, and with them the size that Mapping.Allocate or
// Mapping.Truncate set, which a power loss may otherwise undo. Space
// allocated and never stored to reads as zeros. The same rules as for
// Sync hold after a failed Mapping.Sync.
//
// # Implementations
//
// Default is the operating system's file system; on linux its files are
// MappableFiles (os_mapping_linux.go). MemFS is an in-memory file system
// that tracks what is durable under this contract and can produce the
// state a crash would leave (CrashClone; the crash model is described in
// mem_crash.go); its files imitate mappable ones when SetMappable says
// so. Package errorfs wraps any FS to inject faults, into mappings too.
//
// # Capabilities
//
// A File may offer more than File, through an interface the caller
// checks for with a type assertion: MappableFile (mapping.go). A wrapper
// of File forwards a capability only when the file it wraps has it, and
// only in a form that lets it see every operation, so that a caller can
// never bypass it; a wrapper that does not know a capability hides it,
// and the caller falls back to File.
package vfs

import (
	"io"
	"os"
)

// File is an open file. Write appends at the end of what this handle has
// written; WriteAt writes at an absolute offset (used only to fill in a
// header reserved earlier). Reads are positional and may run concurrently
// with each other and with writes to other regions.
type File interface {
	io.Closer
	io.ReaderAt
	io.Writer
	io.WriterAt
	// Sync makes every byte written so far durable (see the package doc).
	// On a directory handle it makes the directory's entries durable.
	Sync() error
	// Size returns the current size of the file.
	Size() (int64, error)
}

// FS is a file system.
type FS interface {
	// Create creates the named file for writing, truncating it if it exists.
	// The new directory entry is durable only after the parent directory is
	// synced.
	Create(name string) (File, error)
	// Open opens the named file for reading.
	Open(name string) (File, error)
	// OpenForAppend opens an existing file for reading and writing, with
	// writes appended at its current end.
	OpenForAppend(name string) (File, error)
	// OpenDir opens a directory so that it can be synced.
	OpenDir(name string) (File, error)
	// Remove removes the named file or empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname if it exists.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and its missing parents.
	MkdirAll(dir string, perm os.FileMode) error
	// List returns the names of the entries in dir, sorted, without the
	// directory part.
	List(dir string) ([]string, error)
	// Stat returns information about the named file.
	Stat(name string) (os.FileInfo, error)
	// Lock takes an exclusive lock on the named file, creating it if needed.
	// It fails with a *LockedError, which matches ErrLocked, if another
	// process, or another Lock or LockShared call in this process, holds it. Closing the returned
	// Closer releases the lock. The OS releases it when the process dies.
	Lock(name string) (io.Closer, error)
	// LockShared takes a shared lock on the named file, which must exist:
	// it is never created (an error matching os.ErrNotExist says so), and
	// only read access to it is needed. Any number of shared locks may be
	// held at once, by this process and by others; they exclude Lock and
	// Lock excludes them. A conflict fails with a *LockedError, which
	// matches ErrLocked and says which kind of lock is held. Closing the
	// returned Closer releases the lock.
	LockShared(name string) (io.Closer, error)
	// PathJoin joins path elements with the FS's separator.
	PathJoin(elem ...string) string
}
