package benchmark

import (
	"io/fs"
	"path/filepath"
)

// DirSize returns the bytes the files under dir occupy on disk: the
// allocated size where the operating system reports it (unix), so that
// sparse or preallocated files count for what they hold, else the
// apparent size.
func DirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += allocatedSize(info)
		return nil
	})
	return total, err
}
