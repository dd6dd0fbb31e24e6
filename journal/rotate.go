package journal

import (
	"fmt"

	"github.com/tempestdb/tempest/vfs"
)

// Rotation moves the journal from file N to file N+1:
//
//  1. create N+1;
//  2. write 24 reserved zero bytes, then (in the record framing) the
//     guard, then the Snapshot() edit, in the framing of new files
//     (Config.Legacy, FramingChooser; see framing.go); fsync;
//  3. write the header over the reserved bytes (WriteAt); fsync;
//  4. fsync the directory;
//  5. switch appends to N+1, close N;
//  6. remove every older journal file of the prefix, fsync the directory
//     (deferred to Commit while the journal is tentative).
//
// N+1 is one past the newest journal file found at Open, when that is
// higher: a leftover from a rotation that never completed is skipped,
// never truncated.
//
// The header is written last and only after the snapshot is durable, so a
// file with a valid header always holds its whole snapshot; a crash before
// step 3 completes leaves N+1 without a valid header, and Open skips it.
//
// Failures:
//   - in steps 1-2 N+1 can never become valid: it is removed (best effort)
//     and the journal stays on N, unfailed;
//   - in step 3 the header may still reach the disk later, which would hide
//     every later append to N. N+1 is removed and the directory synced; if
//     that succeeds the journal stays on N, otherwise it fails;
//   - in step 4 whether N+1 survives a crash is unknown: the journal fails;
//   - in step 6 leftovers are harmless (older than the current file) and
//     are retried after the next rotation or Open.

// Rotate forces a rotation to a new file.
func (j *Journal[T, E]) Rotate() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usableLocked(); err != nil {
		return err
	}
	return j.rotateLocked()
}

// rotateLocked performs a rotation. When it returns an error with j.mu.err
// unset, the journal is still on its old file and usable.
func (j *Journal[T, E]) rotateLocked() error {
	next := max(j.mu.fileNum, j.maxNum) + 1
	if next == 0 {
		return j.failLocked(fmt.Errorf("file numbers exhausted"))
	}
	name := j.path(next)

	// The reserved header, then the snapshot frame, in the framing of
	// new files.
	fr, guard := newFraming(next, j.newFileLegacy(), j.codec)
	buf, err := frameEdit(append(make([]byte, HeaderSize), guard...), fr, fr.start, j.codec, j.state.Snapshot())
	if err != nil {
		return fmt.Errorf("journal: rotate: snapshot: %w", err)
	}

	f, err := j.fs.Create(name)
	if err != nil {
		return fmt.Errorf("journal: rotate: create %s: %w", name, err)
	}
	// abandon drops the new file. It reports whether the removal is durable.
	abandon := func() bool {
		_ = f.Close()
		if err := j.fs.Remove(name); err != nil {
			return false
		}
		return vfs.SyncDir(j.fs, j.dir) == nil
	}
	if err := writeFull(f, buf); err != nil {
		abandon()
		return fmt.Errorf("journal: rotate: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		abandon()
		return fmt.Errorf("journal: rotate: sync %s: %w", name, err)
	}
	hdr := encodeHeader(Header{FileNum: next})
	n, err := f.WriteAt(hdr[:], 0)
	if err == nil && n != len(hdr) {
		err = fmt.Errorf("short header write: %d of %d bytes", n, len(hdr))
	}
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync: %w", err)
		}
	}
	if err != nil {
		if !abandon() {
			return j.failLocked(fmt.Errorf("rotate: header of %s: %w (and the file could not be removed)", name, err))
		}
		return fmt.Errorf("journal: rotate: header of %s: %w", name, err)
	}
	if err := vfs.SyncDir(j.fs, j.dir); err != nil {
		_ = f.Close()
		return j.failLocked(fmt.Errorf("rotate to %s: %w", name, err))
	}

	if j.mu.file != nil {
		// Every byte of the old file was synced by its last append.
		_ = j.mu.file.Close()
	}
	j.mu.file = f
	j.mu.fileNum, j.mu.framing = next, fr
	j.mu.pos, j.mu.startSize = int64(len(buf)), int64(len(buf))
	if !j.mu.tentative {
		j.removeObsolete()
	}
	return nil
}
