package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// dirs are the paths of a DB's directories (the layout is named in
// internal/base, filenames.go).
type dirs struct {
	root, wal, sst, manifest string
}

// lockFileName is the name of the lock file in the database directory.
const lockFileName = base.LockFile

func makeDirs(fs vfs.FS, root string) dirs {
	return dirs{
		root:     root,
		wal:      fs.PathJoin(root, base.WALDir),
		sst:      fs.PathJoin(root, base.SSTDir),
		manifest: fs.PathJoin(root, base.ManifestDir),
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

// blobPath is the path of blob file num, in the sst directory.
func (d *DB) blobPath(num base.FileNum) string {
	return d.fs.PathJoin(d.dirs.sst, base.MakeFilename(base.FileTypeBlob, num))
}

// blobSize returns the size the manifest records for live blob file num.
func (d *DB) blobSize(num base.FileNum) (uint64, bool) {
	if d.manifest == nil {
		return 0, false
	}
	b, ok := d.manifest.BlobFile(num)
	return b.Size, ok
}
