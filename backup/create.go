package backup

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// Create stores a backup of db in repo and returns its Info. o.FS must be
// db's FS.
//
// How: under the repository LOCK, it removes what no metadata names
// (leftovers of a crash), takes a Checkpoint into tmp/ (hard links when
// the DB is on the repository's file system), moves each SST into the
// shared store unless a file of that name, size and checksum is already
// there, moves the rest of the checkpoint to private/<id>, syncs it all,
// and last writes the metadata atomically: the backup exists from that
// rename on.
func (o Options) Create(db *tempest.DB, repo string) (Info, error) {
	r := o.repo(repo)
	if err := r.mkdirs(); err != nil {
		return Info{}, err
	}
	unlock, err := r.lock()
	if err != nil {
		return Info{}, err
	}
	defer unlock()
	metas, err := r.readAll()
	if err != nil {
		return Info{}, err
	}
	if err := r.collectGarbage(metas); err != nil {
		return Info{}, err
	}
	id := uint64(1)
	if len(metas) > 0 {
		id = metas[len(metas)-1].id + 1
	}
	m, stored, err := r.create(db, id)
	if err != nil {
		r.abandon(id)
		return Info{}, fmt.Errorf("backup: create in %s: %w", repo, err)
	}
	in := m.info()
	in.StoredBytes = stored
	return in, nil
}

// abandon removes what a failed create of backup id left, unless its
// metadata is in place (a failed sync after the rename): then the backup
// is complete and may be visible, and nothing of it may go. What abandon
// cannot remove, the next Create or Purge does.
func (r repoDirs) abandon(id uint64) {
	if ok, err := exists(r.fs, r.metaPath(id)); err != nil || ok {
		return
	}
	_ = vfs.RemoveAll(r.fs, r.privateDir(id))
	_ = removeExcept(r.fs, r.tmp, nil)
}

// create builds backup id and returns its metadata and the bytes it added
// to the repository.
func (r repoDirs) create(db *tempest.DB, id uint64) (*backupMeta, int64, error) {
	ck := r.fs.PathJoin(r.tmp, "ck-"+strconv.FormatUint(id, 10))
	tok, err := db.Checkpoint(ck)
	if err != nil {
		return nil, 0, err
	}
	m := &backupMeta{id: id, time: time.Now(), seq: tok.SeqNum()}
	dirs, files, err := walkFiles(r.fs, ck)
	if err != nil {
		return nil, 0, err
	}
	m.dirs = dirs
	var stored int64
	for _, rel := range files {
		f, n, err := r.storeFile(ck, rel)
		if err != nil {
			return nil, 0, err
		}
		m.files = append(m.files, f)
		stored += n
	}
	if err := r.moveCheckpointRest(ck, id, dirs); err != nil {
		return nil, 0, err
	}
	if err := writeFileAtomic(r.fs, r.meta, strconv.FormatUint(id, 10), m.encode()); err != nil {
		return nil, 0, err
	}
	return m, stored, nil
}

// storeFile hashes the checkpoint's file rel and, for an SST, moves it to
// the shared store unless an equal file is there (then it drops it). It
// returns the file's entry and the bytes it adds to the repository.
func (r repoDirs) storeFile(ck, rel string) (fileEntry, int64, error) {
	src := r.fs.PathJoin(ck, rel)
	size, sum, err := hashFile(r.fs, src, nil)
	if err != nil {
		return fileEntry{}, 0, err
	}
	f := fileEntry{path: rel, size: size, checksum: sum, shared: isSST(rel)}
	r.done(size)
	if !f.shared {
		return f, size, nil // moved with the checkpoint's rest
	}
	dst := r.fs.PathJoin(r.shared, sharedName(f))
	if ok, err := exists(r.fs, dst); err != nil || ok {
		if err == nil {
			err = r.fs.Remove(src)
		}
		return f, 0, err
	}
	if err := r.fs.Rename(src, dst); err != nil {
		return fileEntry{}, 0, err
	}
	return f, size, nil
}

// isSST reports whether the checkpoint file rel is a table or a blob
// file, stored shared.
func isSST(rel string) bool {
	return strings.HasPrefix(rel, "sst/") && (strings.HasSuffix(rel, ".sst") || strings.HasSuffix(rel, ".blob"))
}

// moveCheckpointRest renames what remains of the checkpoint (its private
// files and directories) to private/<id> and makes the moves durable: the
// shared store, the private tree and the work area.
func (r repoDirs) moveCheckpointRest(ck string, id uint64, dirs []string) error {
	dst := r.privateDir(id)
	if err := vfs.RemoveAll(r.fs, dst); err != nil {
		return err
	}
	if err := r.fs.Rename(ck, dst); err != nil {
		return err
	}
	syncs := []string{r.shared, r.tmp, r.private, dst}
	for _, d := range dirs {
		syncs = append(syncs, r.fs.PathJoin(dst, d))
	}
	for _, d := range syncs {
		if err := vfs.SyncDir(r.fs, d); err != nil {
			return err
		}
	}
	return nil
}
