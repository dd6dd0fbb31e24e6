// Package journal implements a generic, replayable, rotating log of edits:
// the storage under the manifest. It knows nothing about what the edits
// mean: a Replayable state applies them and a Codec turns them into bytes.
//
// # Files
//
// A journal lives in a directory as files named "<prefix>-<filenum>", the
// file number in decimal, zero-padded to 6 digits ("manifest-000003"; larger
// numbers use more digits). Names that start with the prefix but do not
// follow this pattern exactly are ignored. Only the newest file matters;
// older ones are removed once a newer one is complete.
//
//	+--------------------------- journal file ----------------------------+
//	| header (24 B)                                                       |
//	|   magic "TMPSJRNL" (8) | filenum u64 LE | crc64(bytes 0..16) u64 LE |
//	+---------------------------------------------------------------------+
//	| record framing: frame(guard), then records:                         |
//	|   record 0: the snapshot edit (in a rotated file) or the first edit |
//	|   record 1 ...                                                      |
//	| legacy framing: frame 0: the snapshot edit or the first edit        |
//	|   frame 1 ...                                                       |
//	+---------------------------------------------------------------------+
//
//	frame  := crc64 u64 LE | len u32 LE | body (len bytes, len >= 1)
//	crc64  := CRC-64/Jones (internal/crc) over the 4 len bytes then the body
//	record := a data record of package internal/record (21-byte prefix: crc,
//	          len, type 1, synced = its own offset; crc seeded by
//	          record.FileSeed("TMPSJRNL", filenum)), the edit as payload
//
// All integers are little-endian. New files are in the record framing
// unless Config.Legacy or the state (FramingChooser) asks for the legacy
// one; both are read. The guard is a frame of the legacy framing whose
// body ends with GuardMarker ("TMPS-RECORD-FRAMING-1"): the codec's guard
// (Guarded), or the marker alone. The marker tells the framings apart;
// the codec's guard stops a reader that knows only the legacy framing
// (framing.go; the manifest's names format version 6). The legacy frame
// (frame.go) is written only for files of the legacy framing and for the
// guard: the manifest of a database below format version 6.
//
// # Open
//
//  1. Create the directory if needed and list it.
//  2. Read the header of each journal file, newest first; the first valid
//     one (magic, checksum, and a file number equal to the name's) is
//     replayed. Newer files with invalid headers are rotations that never
//     completed and are skipped. If journal files exist and none has a valid
//     header, Open fails with base.ErrCorruption: it never silently starts
//     empty.
//  3. Replay the file's edits into the initial state, in its framing: a
//     damaged frame or record followed by any valid one is mid-file
//     corruption (base.ErrCorruption, with file and offset); otherwise it
//     is a torn tail, replay stops there and the journal rotates at once,
//     so nothing is ever appended after garbage (replay.go for the legacy
//     framing, package internal/record for the record framing; a damaged
//     guard before a valid record is corruption too).
//  4. If no journal file exists, create file 0 holding only a header (and
//     the guard in the record framing). They are written to
//     "<prefix>-000000.tmp", synced, and renamed into place, and the
//     directory is synced, so file 0 never exists without them.
//  5. Remove the files the journal proves it no longer needs: older
//     journal files with a valid header, files whose header is zeros
//     (rotations that never completed) and the temporary file of file 0.
//     Any other file with a journal name is left in place
//     (ReplayInfo.Foreign).
//
// OpenTentative (tentative.go) opens without writing to or removing any
// file that exists, so a caller that fails afterwards can leave the
// directory as it was; Load (load.go) replays without writing anything.
//
// # Read-only open
//
// OpenReadOnly follows steps 2 and 3 and nothing else: it creates no
// directory or file, does not rotate after a torn tail (ReplayInfo reports
// the tail), removes nothing, syncs nothing and keeps no file open. Append
// and Rotate fail with base.ErrReadOnly. With no journal file there is
// nothing to read: it fails with os.ErrNotExist rather than create one.
//
// # Append and rotation
//
// Append checks the edit against the state (Replayable.Check: an edit that
// the state would reject is never written), frames it, writes it at the end
// of the current file, fsyncs, and applies it. A failed write or fsync fails
// the journal for good (sticky error): the file's contents after a failed
// fsync are unknown, and an fsync is never retried.
//
// After an append the journal rotates once the file size reaches
// max(GrowthBaseline, startSize × GrowthFactor), where startSize is the
// header plus the snapshot edit the file started with. The rotation steps
// and their failure handling are described in rotate.go.
package journal
