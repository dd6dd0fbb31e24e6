package tempest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tempestdb/tempest/vfs"
)

// A failed Open changes nothing. Until it commits (see commitOpen), Open
// only creates: directories, LOCK, recovery's SSTs, a new WAL, and a new
// manifest file (manifest.OpenTentative); it never writes to, renames or
// removes a file that was there. So to give up, it removes what it
// created and the directory is as it found it, byte for byte:
//
//  1. close every file it opened (abandon);
//  2. remove the new files in manifest/, newest first, and sync it: the
//     manifest it found is again the newest. The new one may record the
//     new WAL and SSTs (when the recovery edit was written but its sync
//     failed), so it must go before them;
//  3. only if that succeeded, remove the new files in wal/ and sst/ and
//     sync both. A file left over (a removal failed, or a crash undid it)
//     is numbered at or past the old manifest's lease: an SST is then
//     unknown (row S6), the new WAL, which holds no record, too (W12);
//     neither is data the old manifest misses;
//  4. remove the subdirectories it created, then LOCK if it created it
//     (while still holding the lock), release the lock, and remove the
//     database directory and its parents if it created them.
//
// Removing LOCK while holding it means another process that opened the
// old LOCK file may lock a file that is no longer in the directory; the
// operating system's Lock checks, after locking, that the path still
// names the file it locked, and fails otherwise.
//
// If a removal fails, Open returns that error joined to the one that made
// it give up, and leaves the file and every later step's files: the
// directory is then not as it was, but it is consistent, and the next
// Open judges the leftovers by the recovery table.

// openAttempt records what the database's directories held before Open
// changed anything.
type openAttempt struct {
	fs   vfs.FS
	dirs dirs
	// rootMade says the database directory did not exist; madeParents are
	// its missing ancestors, deepest first (MkdirAll creates them).
	rootMade    bool
	madeParents []string
	// lockMade says LOCK did not exist before Open locked it.
	lockMade bool
	// before maps wal/, sst/ and manifest/ to the names they held once
	// the lock was taken; a directory that did not exist is absent. nil
	// until then: before the lock, the files belong to whoever holds it.
	before map[string][]string
}

// recordRoot notes whether the database directory exists, before Open
// creates it.
func recordRoot(fs vfs.FS, d dirs) (*openAttempt, error) {
	a := &openAttempt{fs: fs, dirs: d}
	_, err := fs.Stat(d.root)
	switch {
	case errors.Is(err, os.ErrNotExist):
		a.rootMade = true
		a.madeParents, err = missingParents(fs, d.root)
	}
	return a, err
}

// noteLock notes whether LOCK exists, before Open locks it.
func (a *openAttempt) noteLock(path string) error {
	_, err := a.fs.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		a.lockMade = true
		return nil
	}
	return err
}

// recordDirs lists wal/, sst/ and manifest/ once the lock is held.
func (a *openAttempt) recordDirs() error {
	before := make(map[string][]string)
	for _, dir := range []string{a.dirs.wal, a.dirs.sst, a.dirs.manifest} {
		names, err := a.fs.List(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return err
		}
		before[dir] = names
	}
	a.before = before
	return nil
}

// listed returns the names dir held when recordDirs listed it.
func (a *openAttempt) listed(dir string) []string { return a.before[dir] }

// missingParents returns the ancestors of dir that do not exist, deepest
// first.
func missingParents(fs vfs.FS, dir string) ([]string, error) {
	var out []string
	for p := parentDir(dir); p != ""; p = parentDir(p) {
		_, err := fs.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// parentDir returns the directory holding path, or "" at a root.
func parentDir(path string) string {
	path = strings.TrimRight(path, `/\`)
	i := strings.LastIndexAny(path, `/\`)
	if i <= 0 || (i == 2 && path[1] == ':') {
		return ""
	}
	return path[:i]
}

// revert removes what the failed attempt created and releases lock (nil
// if it was never taken). It returns cause joined to any error of its
// own. Without the lock it removes only the database directory and its
// parents if it created them and they are still empty, unless another
// process holds the lock (the directory is then in use).
func (a *openAttempt) revert(cause error, lock io.Closer) error {
	errs := []error{cause}
	if a.before != nil {
		errs = append(errs, a.revertLocked())
	}
	if a.lockMade && lock != nil {
		// LOCK goes while the lock is held. Where an open file cannot be
		// removed (Windows), it goes after the release.
		err := a.fs.Remove(a.fs.PathJoin(a.dirs.root, lockFileName))
		errs = append(errs, lock.Close())
		if err != nil {
			errs = append(errs, a.fs.Remove(a.fs.PathJoin(a.dirs.root, lockFileName)))
		}
	} else if lock != nil {
		errs = append(errs, lock.Close())
	}
	if a.rootMade && !errors.Is(cause, ErrLocked) {
		errs = append(errs, a.removeMadeDirs())
	}
	return errors.Join(errs...)
}

// revertLocked removes the files and subdirectories the attempt created,
// with the lock held.
func (a *openAttempt) revertLocked() error {
	if err := a.removeNew(a.dirs.manifest); err != nil {
		return err
	}
	errs := []error{a.removeNew(a.dirs.wal, a.dirs.sst)}
	for _, dir := range []string{a.dirs.wal, a.dirs.sst, a.dirs.manifest} {
		if _, ok := a.before[dir]; !ok {
			errs = append(errs, removeDir(a.fs, dir))
		}
	}
	return errors.Join(errs...)
}

// removeMadeDirs removes the database directory and the parents Open
// created.
func (a *openAttempt) removeMadeDirs() error {
	for _, dir := range append([]string{a.dirs.root}, a.madeParents...) {
		if err := removeDir(a.fs, dir); err != nil {
			return err
		}
	}
	return nil
}

// removeNew removes the entries of dirs that were not there before,
// newest name first, then syncs each directory it changed.
func (a *openAttempt) removeNew(dirs ...string) error {
	var errs []error
	for _, dir := range dirs {
		names, err := a.fs.List(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		slices.SortFunc(names, func(x, y string) int { return cmpFileNames(y, x) })
		removed := false
		for _, name := range names {
			if slices.Contains(a.before[dir], name) {
				continue
			}
			if err := a.fs.Remove(a.fs.PathJoin(dir, name)); err != nil {
				errs = append(errs, fmt.Errorf("tempest: removing %s created by a failed open: %w", name, err))
				continue
			}
			removed = true
		}
		if removed {
			errs = append(errs, vfs.SyncDir(a.fs, dir))
		}
	}
	return errors.Join(errs...)
}

// removeDir removes the empty directory dir; one already gone is fine.
func removeDir(fs vfs.FS, dir string) error {
	err := fs.Remove(dir)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("tempest: removing directory %s created by a failed open: %w", dir, err)
}

// cmpFileNames orders file names as their numbers: a longer name (more
// digits) after a shorter one, then bytewise.
func cmpFileNames(x, y string) int {
	if len(x) != len(y) {
		return len(x) - len(y)
	}
	return strings.Compare(x, y)
}
