package errorfs

import (
	"fmt"
	"syscall"
)

// Predefined errors for injectors. Both match their errno with errors.Is:
// ErrInjected matches syscall.EIO and ErrNoSpace matches syscall.ENOSPC.
// (On windows these errnos are values the syscall package invents; no
// windows call returns them, so matching them there is harmless.)
var (
	ErrInjected error = &errnoError{msg: "errorfs: injected I/O error", errno: syscall.EIO}
	ErrNoSpace  error = &errnoError{msg: "errorfs: injected no space left on device", errno: syscall.ENOSPC}
)

// errnoError is a sentinel that also matches an errno.
type errnoError struct {
	msg   string
	errno syscall.Errno
}

func (e *errnoError) Error() string        { return e.msg }
func (e *errnoError) Is(target error) bool { return target == e.errno }

// InjectedError is the error an operation fails with when an Injector
// returns Err for it. It unwraps to Err.
type InjectedError struct {
	Op  Op
	Err error
}

func (e *InjectedError) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }
func (e *InjectedError) Unwrap() error { return e.Err }
