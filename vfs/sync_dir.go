package vfs

import "fmt"

// SyncDir makes the entries of dir durable: the files created, removed or
// renamed in it survive a crash once it returns nil. It is the one way
// the engine syncs a directory (see the package doc's durability
// contract).
func SyncDir(fs FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
