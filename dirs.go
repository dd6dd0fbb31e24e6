package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// Directory layout of a DB:
//
//	<dir>/LOCK                  the process lock
//	<dir>/manifest/manifest-N   manifest journal files
//	<dir>/wal/NNNNNN.log        WAL files
//	<dir>/sst/NNNNNN.sst        SST files
type dirs struct {
	root, wal, sst, manifest string
}

// lockFileName is the name of the lock file in the database directory.
const lockFileName = "LOCK"

func makeDirs(fs vfs.FS, root string) dirs {
	return dirs{
		root:     root,
		wal:      fs.PathJoin(root, "wal"),
		sst:      fs.PathJoin(root, "sst"),
		manifest: fs.PathJoin(root, "manifest"),
	}
}

// sstFileName is the name of SST num inside the sst directory.
func sstFileName(num base.FileNum) string { return sstable.FileName(num) }

// parseSSTFileName is the inverse of sstFileName. Only canonical names
// parse: any other file in the sst directory is not the engine's.
func parseSSTFileName(name string) (base.FileNum, bool) { return sstable.ParseFileName(name) }

func (d *DB) sstPath(num base.FileNum) string {
	return d.fs.PathJoin(d.dirs.sst, sstFileName(num))
}
