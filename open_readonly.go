package tempest

import (
	"errors"
	"fmt"
	"os"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/vfs"
)

// A read-only open (Options.ReadOnly) reads the directory and writes
// nothing to it: it takes a shared lock on LOCK without creating it,
// replays the manifest without rotating it, and replays the WALs into
// memtables that stay in memory, frozen, for the life of the DB. Nothing
// is flushed, compacted, recorded or deleted, and Close writes nothing.
//
// Invariant: a read-only DB never writes. Every write method refuses up
// front (writable), and the DB starts with its sticky error set to
// errOpenedReadOnly, so every internal path that would write (rotation,
// flush, compaction scheduling, Close's end record and clean-close edit)
// finds it set and stands down. Automatic compactions are off, so reads
// never ask for read-triggered ones.

// errOpenedReadOnly is the error of every write to a DB opened with
// Options.ReadOnly.
var errOpenedReadOnly = fmt.Errorf("%w: the database was opened with Options.ReadOnly", ErrReadOnly)

// writable returns why the DB takes no writes, if it takes none: it is
// closed, or it was opened read-only.
func (d *DB) writable() error {
	switch {
	case d.closed.Load():
		return ErrClosed
	case d.opts.ReadOnly:
		return errOpenedReadOnly
	}
	return nil
}

// openReadOnly is Open for Options.ReadOnly.
func (d *DB) openReadOnly() error {
	d.opts.DisableAutomaticCompactions = true // d.opts is the DB's own copy
	if err := d.lockShared(); err != nil {
		return err
	}
	// The recovery table decides as for a read-write open, from the
	// directories as listed now.
	a := &openAttempt{fs: d.fs, dirs: d.dirs}
	if err := a.recordDirs(); err != nil {
		return err
	}
	m, err := manifest.OpenReadOnly(d.fs, d.dirs.manifest, d.cmp)
	if errors.Is(err, os.ErrNotExist) {
		// Rows M1 and M2: no manifest is no database only without data.
		if cerr := d.checkNoData(a, "no manifest", d.dirs.manifest); cerr != nil {
			return cerr
		}
		return fmt.Errorf("tempest: open %s read-only: no database: %w", d.dirname, err)
	}
	if err != nil {
		return err
	}
	d.manifest = m
	if m.ComparerName() == "" && len(m.Files()) == 0 {
		// A manifest that records no comparer yet: rows M1 and M2, without
		// the first edit, which a read-only open does not write.
		err = d.checkNewDB(a)
	} else {
		err = d.checkManifest(a)
	}
	if err != nil {
		return err
	}
	plan, err := d.planRecovery(a)
	if err != nil {
		return err
	}
	return d.recoverReadOnly(plan)
}

// lockShared takes a shared lock on LOCK, which a read-only open never
// creates. A read-write Open creates LOCK before anything else and never
// removes it, so LOCK is missing only from a directory copied without it
// or not made by Tempest. Without LOCK a read-only open cannot keep a
// writer out, so it goes on unlocked only if no writer can start: the
// directory's permissions let no one create a file in it. Otherwise it
// fails (see docs/decisions.md).
func (d *DB) lockShared() error {
	lock, err := d.fs.LockShared(d.fs.PathJoin(d.dirname, lockFileName))
	switch {
	case err == nil:
		d.lock = lock
		return nil
	case errors.Is(err, base.ErrLocked):
		return lockedError(d.dirname, true, err)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	info, serr := d.fs.Stat(d.dirname)
	if serr != nil {
		return fmt.Errorf("tempest: open %s read-only: no database: %w", d.dirname, serr)
	}
	if info.Mode().Perm()&0o222 != 0 {
		return fmt.Errorf("tempest: open %s read-only: the directory has no LOCK file, which a read-only "+
			"open does not create, and without which it cannot keep a read-write open out: %w", d.dirname, err)
	}
	d.opts.Logger.Warn("tempest: read-only open without a lock: no LOCK file in a directory no one may write",
		"dir", d.dirname)
	return nil
}

// lockedError words a conflict on dir's LOCK, saying which kind of open
// holds it. readOnly is the kind of the open that was refused.
func lockedError(dir string, readOnly bool, err error) error {
	mode := ""
	if readOnly {
		mode = " read-only"
	}
	var le *vfs.LockedError
	if !errors.As(err, &le) {
		return fmt.Errorf("tempest: open %s%s: %w", dir, mode, err)
	}
	holder, where := "open read-write", "another process"
	if le.Shared {
		holder = "open read-only"
	}
	if le.InProcess {
		where = "this process"
	}
	return fmt.Errorf("tempest: open %s%s: the database is %s in %s: %w", dir, mode, holder, where, err)
}

// recoverReadOnly replays the WALs into memtables that are kept, frozen,
// and installs the first readState. The active memtable is an empty one
// of the smallest size: nothing is ever written to it.
func (d *DB) recoverReadOnly(plan *recoveryPlan) error {
	r := newReplayer(d)
	r.inMemory = true
	err := r.replay(plan.logs)
	if err == nil {
		err = r.flush() // keeps the last memtable
	}
	if err != nil {
		r.release()
		return err
	}
	for _, m := range r.kept {
		d.chargeCache(m)
	}
	d.visibleSeq.Store(uint64(d.recoveredVisibleSeq(r.lastSeq)))
	d.mu.horizon = d.manifest.Horizon()
	d.mu.imms = r.kept
	d.mu.mem = d.newMemTableOfSize(0, memtable.MinArenaSize)
	d.mu.Lock()
	d.mu.bgErr = errOpenedReadOnly
	d.updateReadStateLocked() // the first: there is no previous one
	d.mu.Unlock()
	return nil
}
