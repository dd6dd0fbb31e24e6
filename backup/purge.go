package backup

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Purge keeps the keepLast newest backups of repo and deletes the others
// and every file no remaining backup uses. It removes (durably) the
// metadata of each deleted backup before any of its files, so a crash
// leaves each backup either whole or gone; the files a crash leaves
// behind are removed by the next Create or Purge.
func (o Options) Purge(repo string, keepLast int) error {
	if keepLast < 0 {
		return base.InvalidArgumentf("backup: purge: keepLast %d < 0", keepLast)
	}
	r := o.repo(repo)
	if ok, err := exists(r.fs, r.meta); err != nil || !ok {
		return err // nothing to purge
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	metas, err := r.readAll()
	if err != nil {
		return err
	}
	if n := len(metas) - keepLast; n > 0 {
		for _, m := range metas[:n] {
			if err := r.fs.Remove(r.metaPath(m.id)); err != nil {
				return fmt.Errorf("backup: purge %d: %w", m.id, err)
			}
		}
		if err := vfs.SyncDir(r.fs, r.meta); err != nil {
			return err
		}
		metas = metas[n:]
	}
	return r.collectGarbage(metas)
}

// lock takes the repository's exclusive lock; the result releases it.
func (r repoDirs) lock() (func(), error) {
	l, err := r.fs.Lock(r.lockPath())
	if err != nil {
		return nil, fmt.Errorf("backup: lock %s: %w", r.root, err)
	}
	return func() { _ = l.Close() }, nil
}

// lockShared takes the repository's lock shared, as Verify and Restore
// do: any number of them run at once, and none beside Create or Purge, so
// no file they read is removed under them. Without a LOCK file (every
// repository Create made has one) they go on unlocked rather than create
// a file in a directory that may not be a repository.
func (r repoDirs) lockShared() (func(), error) {
	l, err := r.fs.LockShared(r.lockPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return func() {}, nil
	case err != nil:
		return nil, fmt.Errorf("backup: lock %s: %w", r.root, err)
	}
	return func() { _ = l.Close() }, nil
}

// collectGarbage removes what no metadata in metas (all of the
// repository's) names: shared files, private trees, metadata temp files
// and the work area's contents. The caller holds the lock.
func (r repoDirs) collectGarbage(metas []*backupMeta) error {
	shared := map[string]bool{}
	private := map[string]bool{}
	for _, m := range metas {
		private[strconv.FormatUint(m.id, 10)] = true
		for _, f := range m.files {
			if f.shared {
				shared[sharedName(f)] = true
			}
		}
	}
	for _, p := range []struct {
		dir  string
		keep map[string]bool
	}{
		{r.meta, private}, // metadata files are named by ID, as private trees
		{r.shared, shared},
		{r.private, private},
		{r.tmp, nil},
	} {
		if err := removeExcept(r.fs, p.dir, p.keep); err != nil {
			return err
		}
	}
	return nil
}

// removeExcept removes every entry of dir not in keep, then syncs dir if
// it removed any.
func removeExcept(fs vfs.FS, dir string, keep map[string]bool) error {
	names, err := fs.List(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, n := range names {
		if keep[n] {
			continue
		}
		if err := vfs.RemoveAll(fs, fs.PathJoin(dir, n)); err != nil {
			return err
		}
		removed = true
	}
	if !removed {
		return nil
	}
	return vfs.SyncDir(fs, dir)
}
