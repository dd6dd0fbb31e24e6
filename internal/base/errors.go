package base

import (
	"errors"
	"fmt"
)

// Error classes. Every error Tempest returns that belongs to one of these
// classes satisfies errors.Is(err, class).
var (
	// ErrNotFound: the key is absent or deleted.
	ErrNotFound = errors.New("tempest: not found")
	// ErrClosed: the DB, snapshot, iterator or file was used after Close.
	ErrClosed = errors.New("tempest: closed")
	// ErrInvalidArgument: the call's input is invalid; nothing was changed.
	ErrInvalidArgument = errors.New("tempest: invalid argument")
	// ErrCorruption: persisted bytes failed validation.
	ErrCorruption = errors.New("tempest: corruption")
	// ErrReadOnly: the DB no longer accepts writes after a failed write or
	// sync, or was opened read-only; the cause is wrapped alongside.
	ErrReadOnly = errors.New("tempest: read-only")
	// ErrLocked: another process (or DB) holds the directory's lock.
	ErrLocked = errors.New("tempest: directory is locked by another process")
	// ErrFormatVersion: the database's format version is newer than this
	// binary knows (FormatVersionError).
	ErrFormatVersion = errors.New("tempest: unknown database format version")
	// ErrConflict: a transaction's commit found that something it read was
	// written after its snapshot (or that the history of writes no longer
	// reaches back to its snapshot); nothing was written.
	ErrConflict = errors.New("tempest: transaction conflict")
	// ErrTxnReadOnly: a write to a read-only transaction.
	ErrTxnReadOnly = errors.New("tempest: write in a read-only transaction")
)

// FormatVersionError says that a database records a format version newer
// than the newest this binary knows. It matches ErrFormatVersion.
type FormatVersionError struct {
	Version uint64 // the database's
	Newest  uint64 // this binary's newest
}

func (e *FormatVersionError) Error() string {
	return fmt.Sprintf("tempest: database format version %d is newer than this binary's newest, %d", e.Version, e.Newest)
}

// Is makes errors.Is(err, ErrFormatVersion) true.
func (e *FormatVersionError) Is(target error) bool { return target == ErrFormatVersion }

// CorruptionError locates corrupt bytes. It matches ErrCorruption.
type CorruptionError struct {
	File   string // file name (may be empty for in-memory buffers)
	Offset int64  // byte offset within the file, or -1 if unknown
	Reason string
}

func (e *CorruptionError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("tempest: corruption in %s at offset %d: %s", e.File, e.Offset, e.Reason)
	}
	return fmt.Sprintf("tempest: corruption in %s: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrCorruption) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorruption }

// Corruptionf returns a *CorruptionError for file at offset.
func Corruptionf(file string, offset int64, format string, args ...any) error {
	return &CorruptionError{File: file, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}

// Conflictf returns an error that matches ErrConflict.
func Conflictf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// InvalidArgumentf returns an error that matches ErrInvalidArgument.
func InvalidArgumentf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// MarkReadOnly wraps cause so that it matches both ErrReadOnly and cause.
func MarkReadOnly(cause error) error {
	if cause == nil || errors.Is(cause, ErrReadOnly) {
		return cause
	}
	return readOnlyError{cause}
}

type readOnlyError struct{ cause error }

func (e readOnlyError) Error() string {
	return "tempest: read-only after background error: " + e.cause.Error()
}
func (e readOnlyError) Is(target error) bool { return target == ErrReadOnly }
func (e readOnlyError) Unwrap() error        { return e.cause }
