package tempest

import "github.com/tempestdb/tempest/internal/base"

// Error classes. Test them with errors.Is.
var (
	// ErrNotFound is returned by Get when the key is absent or deleted.
	ErrNotFound = base.ErrNotFound
	// ErrClosed is returned by any use of a DB, Snapshot or Iterator after
	// Close, and by a second Close.
	ErrClosed = base.ErrClosed
	// ErrInvalidArgument is returned for bad input: an over-long key or
	// value, an over-large batch, invalid options, a foreign WriteToken.
	// Nothing was changed.
	ErrInvalidArgument = base.ErrInvalidArgument
	// ErrCorruption is returned when persisted bytes fail validation. The
	// message names the file and the offset.
	ErrCorruption = base.ErrCorruption
	// ErrReadOnly is returned by writes after a failed write or sync of the
	// WAL, an SST or the manifest. The error also wraps the cause. Reads
	// keep working; reopening the DB recovers from the log.
	ErrReadOnly = base.ErrReadOnly
	// ErrLocked is returned by Open when another process (or another DB in
	// this process) has the directory open.
	ErrLocked = base.ErrLocked
)
