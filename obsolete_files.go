package tempest

import (
	"errors"
	"os"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// Deleting files. The engine deletes only a file the manifest proves it
// may: one recorded obsolete (an SST a compaction removed, a WAL below
// MinUnflushedLog, or an orphan that recovery proved and recorded, see
// recovery_plan.go), or an output it wrote and never recorded, while the
// number is still in flight (removeAbandonedTables). Every other file in
// the database's directories is left in place; recovery reports the ones
// it does not know (reportUnknownFiles).
//
// Deleting an obsolete file: remove it (a file already gone counts as
// removed), sync its directory, then queue its number for the next
// manifest edit, which records it as deleted (applyEdit). Until then it
// stays obsolete, and the next Open deletes it again if it is there.

// deleteObsolete removes obsolete files of one kind and queues their
// deletion records. A failure is logged; the file stays obsolete.
func (d *DB) deleteObsolete(kind manifest.FileKind, nums []base.FileNum) {
	if len(nums) == 0 {
		return
	}
	dir := d.dirs.sst
	if kind == manifest.KindLog {
		dir = d.dirs.wal
	}
	var gone []base.FileNum
	for _, n := range nums {
		path := d.obsoletePath(kind, n)
		err := d.fs.Remove(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			d.opts.Logger.Warn("tempest: removing obsolete file", "file", path, "err", err)
			continue
		}
		gone = append(gone, n)
		if err == nil {
			d.fileDeleted(kind, n)
		}
	}
	if err := vfs.SyncDir(d.fs, dir); err != nil {
		// The removals may not survive a crash: do not record them.
		d.opts.Logger.Warn("tempest: syncing directory after removals", "dir", dir, "err", err)
		return
	}
	d.queueDeletions(gone)
}

func (d *DB) obsoletePath(kind manifest.FileKind, n base.FileNum) string {
	switch kind {
	case manifest.KindLog:
		return d.fs.PathJoin(d.dirs.wal, wal.FileName(n))
	case manifest.KindBlob:
		return d.blobPath(n)
	}
	return d.sstPath(n)
}

// fileDeleted counts a removed file and tells the listener.
func (d *DB) fileDeleted(kind manifest.FileKind, n base.FileNum) {
	l := d.opts.EventListener
	if kind == manifest.KindLog {
		if l.WALDeleted != nil {
			l.WALDeleted(WALInfo{FileNum: uint64(n)})
		}
		return
	}
	if kind == manifest.KindBlob {
		d.counters.blobFilesDeleted.Add(1)
		return
	}
	d.counters.tablesDeleted.Add(1)
	if l.TableDeleted != nil {
		l.TableDeleted(TableInfo{FileNum: uint64(n)})
	}
}

// removeAbandonedTables removes SSTs a flush or compaction wrote and will
// never record. A number leaves flight only once its file is gone and the
// directory synced; until then the orphan floor stays at or below it, so
// the next Open proves the file an orphan if it is still there.
// Blob files written with them go the same way: a number is an SST's or
// a blob file's, so both names are removed.
func (d *DB) removeAbandonedTables(nums []base.FileNum) {
	var gone []base.FileNum
	for _, n := range nums {
		d.tables.evict(n)
		d.blobs.evict(n)
		err := d.fs.Remove(d.blobPath(n))
		if err == nil || errors.Is(err, os.ErrNotExist) {
			err = d.fs.Remove(d.sstPath(n))
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			d.opts.Logger.Warn("tempest: removing an unrecorded SST", "file", n, "err", err)
			continue
		}
		gone = append(gone, n)
	}
	if err := vfs.SyncDir(d.fs, d.dirs.sst); err != nil {
		d.opts.Logger.Warn("tempest: syncing directory after removals", "dir", d.dirs.sst, "err", err)
		return
	}
	d.releaseTableNums(gone...)
}

// deleteFiles closes and removes obsolete files of kind.
func (d *DB) deleteFiles(kind manifest.FileKind, nums []base.FileNum) {
	if kind == manifest.KindBlob {
		for _, n := range nums {
			d.blobs.evict(n)
		}
		d.deleteObsolete(kind, nums)
		return
	}
	d.deleteTables(nums)
}

// deleteTables closes and removes obsolete SST files (see
// deleteObsolete). A failure is logged: the file stays obsolete in the
// manifest, and the next Open deletes it.
func (d *DB) deleteTables(nums []base.FileNum) {
	for _, n := range nums {
		d.tables.evict(n)
	}
	d.deleteObsolete(manifest.KindTable, nums)
}
