package backup

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// restoreTempSuffix names the sibling directory a restore is built in.
const restoreTempSuffix = ".restore-tmp"

// Restore writes backup id of repo to destDir, which must not exist, as
// a DB that tempest.Open opens at the backup's state. Every file is
// checked against its recorded size and checksum as it is copied (a
// mismatch is ErrCorruption naming the stored file). The copy is built in
// destDir+".restore-tmp", synced and renamed into place; a failure
// removes it.
func (o Options) Restore(repo string, id uint64, destDir string) error {
	fs := o.fs()
	if destDir == "" {
		return base.InvalidArgumentf("backup: restore: empty destination")
	}
	if ok, err := exists(fs, destDir); err != nil {
		return err
	} else if ok {
		return base.InvalidArgumentf("backup: restore: %s exists", destDir)
	}
	r := o.repo(repo)
	unlock, err := r.lockShared()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := r.readMeta(id)
	if err != nil {
		return err
	}
	tmp := destDir + restoreTempSuffix
	if err := vfs.RemoveAll(fs, tmp); err != nil {
		return err
	}
	if err := r.restoreInto(m, tmp, destDir); err != nil {
		_ = vfs.RemoveAll(fs, tmp)
		return fmt.Errorf("backup: restore %d to %s: %w", id, destDir, err)
	}
	return nil
}

func (r repoDirs) restoreInto(m *backupMeta, tmp, destDir string) error {
	fs := r.fs
	dirs := []string{tmp}
	if err := fs.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for _, d := range m.dirs {
		if !validRelPath(d) {
			return base.Corruptionf(r.metaPath(m.id), 0, "bad directory %q", d)
		}
		p := localPath(fs, tmp, d)
		if err := fs.MkdirAll(p, 0o755); err != nil {
			return err
		}
		dirs = append(dirs, p)
	}
	for _, f := range m.files {
		if err := r.restoreFile(m.id, f, localPath(fs, tmp, f.path)); err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := vfs.SyncDir(fs, dirs[i]); err != nil {
			return err
		}
	}
	if err := fs.Rename(tmp, destDir); err != nil {
		return err
	}
	return vfs.SyncDir(fs, filepath.Dir(destDir))
}

// localPath joins the '/'-separated rel to dir with fs's separator.
func localPath(fs vfs.FS, dir, rel string) string {
	return fs.PathJoin(append([]string{dir}, strings.Split(rel, "/")...)...)
}

// restoreFile copies f from the repository to dst, checking it, and
// syncs it.
func (r repoDirs) restoreFile(id uint64, f fileEntry, dst string) (err error) {
	out, err := r.fs.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if err := r.checkStored(id, f, out); err != nil {
		return err
	}
	return out.Sync()
}
