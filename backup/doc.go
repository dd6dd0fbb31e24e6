// Package backup keeps incremental physical backups of a tempest DB in a
// repository directory.
//
// A backup is a checkpoint (tempest.DB.Checkpoint) whose SSTs live in the
// repository's shared store, keyed by name, size and whole-file checksum,
// so a later backup that holds the same table stores nothing new for it.
// The repository's layout:
//
//	LOCK                            held by Create and Purge, shared by Verify and Restore
//	meta/<id>                       one backup's metadata (below)
//	private/<id>/...                its manifest, LOCK and empty directories
//	shared/<name>_<size>_<sum>.sst  SSTs (and .blob: blob files) shared by every backup naming them
//	tmp/                            work area of Create, emptied by the next one
//
// # Metadata
//
// A backup's metadata file, meta/<id>, is text, one record a line, in
// this order:
//
//	tempest-backup 1
//	id <id, decimal>
//	time <creation time, Unix nanoseconds>
//	seq <the sequence number the backup is consistent at>
//	dir <relative path>                             once per directory
//	file <relative path> <size> <checksum> shared|private   once per file
//	crc <16 hex digits>
//
// Relative paths use '/', have no empty, "." or ".." element, and name
// the directory or file in the restored DB. The checksum is the XXH3-64
// (seed 0) of the whole file, 16 hex digits: for an SST, the whole-file
// checksum its manifest records. A shared file is stored as
// shared/<base>_<size>_<checksum>.sst (base: its name without ".sst"), a
// private one as private/<id>/<path>. The crc line holds the
// CRC-64/Jones of every byte before it. A file that fails to parse, or
// whose crc differs, is ErrCorruption; a name in meta/ that is not a
// decimal ID (a "<id>.tmp" being written) is not a backup.
//
// # Invariants
//
// A backup exists exactly when its metadata file exists, and
// every file that metadata names is complete and durable before the
// metadata is renamed into place. Purge removes metadata first and files
// after; Create and Purge remove files that no metadata names (leftovers
// of a crash), so a crash at any point never damages an earlier backup.
package backup

import (
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// Options configure the repository operations. The zero value is ready.
type Options struct {
	// FS holds the repository (and, for Restore, the destination). For
	// Create it must be the FS of the DB being backed up. Default:
	// vfs.Default.
	FS vfs.FS
	// Progress, if not nil, is called with the size of each file once
	// Create has stored it or Verify or Restore has checked it.
	Progress func(bytes int64)
}

// repo returns the repository at dir on o's FS.
func (o Options) repo(dir string) repoDirs {
	r := makeRepoDirs(o.fs(), dir)
	r.progress = o.Progress
	return r
}

func (o Options) fs() vfs.FS {
	if o.FS == nil {
		return vfs.Default
	}
	return o.FS
}

// Info describes one backup.
type Info struct {
	ID   uint64
	Time time.Time
	// Seq is the sequence number of the WriteToken the backup is
	// consistent at (WriteToken.SeqNum): it holds every batch up to it and
	// none after. A token cannot be built from a number outside package
	// tempest, so a backup read back from the repository gives the number.
	Seq uint64
	// Files and Bytes count the files of the backup and their sizes.
	Files int
	Bytes int64
	// StoredBytes is the number of bytes Create added to the repository
	// for this backup: its private files and the SSTs not already in the
	// shared store. It is zero in List's results.
	StoredBytes int64
}

// Create backs up db into repo on vfs.Default. See Options.Create.
func Create(db *tempest.DB, repo string) (Info, error) { return Options{}.Create(db, repo) }

// List returns the backups of repo on vfs.Default. See Options.List.
func List(repo string) ([]Info, error) { return Options{}.List(repo) }

// Verify checks backup id of repo on vfs.Default. See Options.Verify.
func Verify(repo string, id uint64) error { return Options{}.Verify(repo, id) }

// Restore restores backup id of repo on vfs.Default. See Options.Restore.
func Restore(repo string, id uint64, destDir string) error {
	return Options{}.Restore(repo, id, destDir)
}

// Purge removes old backups of repo on vfs.Default. See Options.Purge.
func Purge(repo string, keepLast int) error { return Options{}.Purge(repo, keepLast) }
