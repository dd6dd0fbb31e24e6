package vfs

import "fmt"

// LockedError reports a lock that others hold. It matches ErrLocked.
type LockedError struct {
	Path string
	// Shared is true when the holders hold it shared (FS.LockShared), and
	// false when one holder holds it exclusively (FS.Lock).
	Shared bool
	// InProcess is true when the holder is this process.
	InProcess bool
	// Err is the operating system's error, if it reported the conflict.
	Err error
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.InProcess {
		who = "this process"
	}
	kind := "exclusively"
	if e.Shared {
		kind = "shared"
	}
	s := fmt.Sprintf("lock %s: held %s by %s", e.Path, kind, who)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Unwrap returns the operating system's error.
func (e *LockedError) Unwrap() error { return e.Err }
