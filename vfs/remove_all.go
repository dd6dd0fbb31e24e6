package vfs

import (
	"errors"
	"os"
)

// RemoveAll removes name and, if it is a directory, everything under it.
// A name that does not exist is not an error.
func RemoveAll(fs FS, name string) error {
	info, err := fs.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.IsDir() {
		names, err := fs.List(name)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := RemoveAll(fs, fs.PathJoin(name, n)); err != nil {
				return err
			}
		}
	}
	return fs.Remove(name)
}
