package tool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// defaultDir is the database directory when --dir is not given.
const defaultDir = "./tempest-data"

// addDirFlag adds --dir to cmd (and, being persistent, to its
// subcommands).
func addDirFlag(cmd *cobra.Command, dir *string) {
	cmd.PersistentFlags().StringVar(dir, "dir", defaultDir, "database directory")
}

// dbOpen says how to open a database.
type dbOpen struct {
	dir string
	// create allows creating a database where there is none. Without it,
	// a directory that holds no database is an error and is left as is.
	create bool
	// readOnly opens with Options.ReadOnly: the command changes nothing in
	// the directory (the WAL is replayed into memory), needs only read
	// access, and may run beside other read-only commands.
	readOnly bool
	// fs is the file system; nil means the operating system's.
	fs vfs.FS
}

// withDB opens the database, runs fn and closes the database. A
// read-write open runs recovery: it replays the WAL and may write SSTs and
// a manifest edit. A read-only one writes nothing.
func (g *globals) withDB(o dbOpen, fn func(db *tempest.DB) error) error {
	switch {
	case !o.create:
		if err := requireDB(o.dir); err != nil {
			return err
		}
	case requireDB(o.dir) != nil:
		if err := requireEmptyOrAbsent(o.dir); err != nil {
			return err
		}
	}
	cmp, err := dbComparer(g.comparer, o.dir)
	if err != nil {
		return err
	}
	merger, err := dbMerger(g.merger, o.dir)
	if err != nil {
		return err
	}
	db, err := tempest.Open(o.dir, &tempest.Options{Comparer: cmp, Merger: merger, FS: o.fs, ReadOnly: o.readOnly})
	if err != nil {
		return dbError(o.dir, err)
	}
	err = fn(db)
	if cerr := db.Close(); cerr != nil && err == nil {
		err = dbError(o.dir, fmt.Errorf("close: %w", cerr))
	}
	return err
}

// requireDB checks that dir holds a database (it has a manifest, wal or
// sst directory) without creating anything. A database that lost its
// manifest is still one: opening it reports the corruption.
func requireDB(dir string) error {
	for _, sub := range base.Subdirs {
		info, err := os.Stat(filepath.Join(dir, sub))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("cannot read database at %s: %w", dir, err)
		case !info.IsDir():
			return fmt.Errorf("no database at %s: %s is not a directory", dir, filepath.Join(dir, sub))
		}
		return nil
	}
	return fmt.Errorf("no database at %s", dir)
}

// requireEmptyOrAbsent refuses to create a database in a directory that
// holds something else, so that a mistyped --dir never scatters a
// database's files among the user's.
func requireEmptyOrAbsent(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot read %s: %w", dir, err)
	case len(entries) > 0:
		return usagef("%s is not empty and holds no database (it has %s): give --dir an empty or new directory", dir, entries[0].Name())
	}
	return nil
}

// requireFile checks that the input file at path exists, so that a
// missing one gets a plain message.
func requireFile(path string) error {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no such file: %s", path)
	}
	return err
}
