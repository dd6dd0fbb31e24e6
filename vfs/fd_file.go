package vfs

// FdFile is implemented by a File backed by an operating-system file
// descriptor (a handle on windows). Files from Default implement it; MemFS
// files do not.
//
// It lets a caller bypass File for a faster system interface, such as
// writing through a shared memory mapping (package wal does on linux).
// Bytes written that way skip whatever a wrapping File would do with them,
// so wrappers (package errorfs, test doubles) deliberately do not forward
// Fd: a wrapped file does not implement FdFile, and its caller keeps using
// the File methods, where the wrapper sees every operation.
//
// The descriptor belongs to the File: it stays valid until the File is
// closed, and the caller must not close it.
type FdFile interface {
	Fd() uintptr
}

var _ FdFile = osFile{}
