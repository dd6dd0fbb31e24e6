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
	// keep working; reopening the DB recovers from the log. Every write to
	// a DB opened with Options.ReadOnly returns it too.
	ErrReadOnly = base.ErrReadOnly
	// ErrLocked is returned by Open when another process (or another DB in
	// this process) has the directory open in a conflicting mode: a
	// read-write open excludes every other open, and read-only opens
	// exclude read-write ones. The message says which kind holds it.
	ErrLocked = base.ErrLocked
	// ErrFormatVersion is returned by Open when the database records a
	// format version newer than this binary's newest (FormatNewest): the
	// message names both. The database is left unchanged.
	ErrFormatVersion = base.ErrFormatVersion
	// ErrConflict is returned by Txn.Commit (and DB.Update) when a key the
	// transaction read, or a key in a range it iterated, was written by a
	// batch committed after the transaction's snapshot, or when the
	// history of committed writes (Options.TxnConflictHistoryBytes) no
	// longer reaches back to that snapshot. Nothing was written; retry the
	// transaction.
	ErrConflict = base.ErrConflict
	// ErrTxnReadOnly is returned by writes to a transaction from
	// NewTransaction(false) or DB.View.
	ErrTxnReadOnly = base.ErrTxnReadOnly
)
