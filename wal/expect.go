package wal

import (
	"github.com/tempestdb/tempest/internal/base"
)

// Expect is what recovery knows about a log from outside the file: the
// manifest records the Final of every log that was closed, and whether
// the database was closed cleanly. A file can only show what it holds;
// Expect is how a log that lost its tail is told from one that never had
// more.
type Expect struct {
	// Recorded says the log was closed with Final: the file must be
	// exactly that (its size, its checksum, hence its end record).
	Recorded bool
	Final    Final
	// Ended says the database was closed cleanly: a log that holds
	// records must end with its end record. (A log holding no record at
	// all is the leftover of an Open that crashed; it satisfies Ended.)
	Ended bool
}

// Check judges res, the replay of the log at path, against e. A log that
// lost its tail after it was closed is corruption, not a torn tail: the
// bytes were durable, and only a crash may drop bytes that were not. The
// error matches base.ErrCorruption and names the file and the offset
// where the log stops being what was closed.
func (e Expect) Check(path string, res ReplayResult) error {
	if e.Recorded {
		return e.checkFinal(path, res)
	}
	if e.Ended && !res.CleanClose && res.Records > 0 {
		return base.Corruptionf(path, res.ValidSize,
			"the log ends without its end record, but the database was closed cleanly: its tail was lost after it was durable")
	}
	return nil
}

func (e Expect) checkFinal(path string, res ReplayResult) error {
	want := e.Final
	switch {
	case !res.CleanClose:
		return base.Corruptionf(path, res.ValidSize,
			"the log ends without its end record, but it was closed with %d bytes (recorded in the manifest)", want.Size)
	case res.FileSize != want.Size:
		return base.Corruptionf(path, min(res.FileSize, want.Size),
			"the log is %d bytes, but it was closed with %d bytes (recorded in the manifest)", res.FileSize, want.Size)
	case res.Checksum != want.Checksum:
		return base.Corruptionf(path, -1,
			"the log's checksum %#016x differs from %#016x recorded in the manifest when it was closed: another copy of the file",
			res.Checksum, want.Checksum)
	}
	return nil
}
