package tempest

import "time"

// EventListener receives notifications of the DB's background activity.
// Every field is optional. Callbacks run synchronously on the goroutine
// doing the work and must return quickly; they must not call back into the
// DB. WriteStallBegin, WriteStallEnd, BackgroundError and CorruptionFound
// run with an internal lock held; the others without.
type EventListener struct {
	FlushBegin      func(FlushInfo)
	FlushEnd        func(FlushInfo)
	CompactionBegin func(CompactionInfo)
	CompactionEnd   func(CompactionInfo)
	WriteStallBegin func(WriteStallInfo)
	WriteStallEnd   func()
	TableCreated    func(TableInfo)
	TableDeleted    func(TableInfo)
	WALCreated      func(WALInfo)
	WALDeleted      func(WALInfo)
	BackgroundError func(error)
	CorruptionFound func(error)
	// UnknownFile reports a file that Open found in the database's
	// directories and left in place, because recovery could not prove
	// it the engine's to delete (see UnknownFileInfo).
	UnknownFile func(UnknownFileInfo)
}

// UnknownFileInfo names a file Open left in place: not recorded in the
// manifest, and not provably an obsolete or orphaned file of the engine.
// It may be a user's file, or a copy of an old file put back; the engine
// never deletes it.
type UnknownFileInfo struct {
	Path   string
	Reason string
}

// FlushInfo describes a flush of a frozen memtable to L0.
type FlushInfo struct {
	Output   uint64 // SST file number (0 if the memtable was empty)
	Bytes    uint64
	Duration time.Duration
	Err      error
}

// CompactionInfo describes a compaction.
type CompactionInfo struct {
	Kind        string // "default", "move", "intra-l0", "tombstone-density", "manual", "read"
	StartLevel  int
	OutputLevel int
	Inputs      []uint64 // file numbers read
	Outputs     []uint64 // file numbers written
	BytesIn     uint64
	BytesOut    uint64
	Duration    time.Duration
	Err         error
}

// WriteStallInfo says why writers wait. A stop waits until a flush or
// compaction changes the picture; a slowdown delays one batch.
type WriteStallInfo struct {
	// Reason is, for stops, "memtables" (too many awaiting flush), "l0"
	// (too many L0 files) or "compaction-debt" (too many bytes awaiting
	// compaction); for slowdowns, "l0-slowdown" or
	// "compaction-debt-slowdown".
	Reason string
	// Delay is, for a slowdown, the delay about to be taken (it may end
	// early); zero for a stop.
	Delay time.Duration
}

// TableInfo names an SST file.
type TableInfo struct {
	FileNum uint64
	Level   int
	Size    uint64
}

// WALInfo names a WAL file.
type WALInfo struct {
	FileNum uint64
}
