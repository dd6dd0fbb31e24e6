package backup

import (
	"errors"
	"io"
	"os"
	"path"

	"github.com/tempestdb/tempest/vfs"
	"github.com/zeebo/xxh3"
)

// exists reports whether name exists.
func exists(fs vfs.FS, name string) (bool, error) {
	_, err := fs.Stat(name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// writeFileAtomic makes name hold data, durably, or leaves it unchanged:
// it writes and syncs name+".tmp", renames it over name and syncs the
// directory.
func writeFileAtomic(fs vfs.FS, dir, name string, data []byte) error {
	full := fs.PathJoin(dir, name)
	tmp := full + ".tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, full)
	}
	if err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	return vfs.SyncDir(fs, dir)
}

// hashFile returns the size and XXH3-64 of the file name. If w is not
// nil, the bytes are also written to it.
func hashFile(fs vfs.FS, name string, w io.Writer) (int64, uint64, error) {
	f, err := fs.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, 0, err
	}
	var h xxh3.Hasher
	dst := io.Writer(&h)
	if w != nil {
		dst = io.MultiWriter(&h, w)
	}
	if _, err := io.Copy(dst, io.NewSectionReader(f, 0, size)); err != nil {
		return 0, 0, err
	}
	return size, h.Sum64(), nil
}

// walkFiles lists the directories and files under root, as '/'-separated
// paths relative to root, parents before children.
func walkFiles(fs vfs.FS, root string) (dirs, files []string, err error) {
	var walk func(rel string) error
	walk = func(rel string) error {
		names, err := fs.List(fs.PathJoin(root, rel))
		if err != nil {
			return err
		}
		for _, n := range names {
			r := path.Join(rel, n)
			fi, err := fs.Stat(fs.PathJoin(root, r))
			if err != nil {
				return err
			}
			if fi.IsDir() {
				dirs = append(dirs, r)
				if err := walk(r); err != nil {
					return err
				}
			} else {
				files = append(files, r)
			}
		}
		return nil
	}
	return dirs, files, walk("")
}
