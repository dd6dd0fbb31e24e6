package tempest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
)

// checkpointTempSuffix names the sibling directory a checkpoint is built
// in before it is renamed to its destination.
const checkpointTempSuffix = ".checkpoint-tmp"

// Checkpoint writes to destDir, which must not exist, a copy of the
// database that opens on its own, and returns the token it is consistent
// at: the copy holds every batch with a token up to it (everything
// acknowledged before the call) and nothing after it.
//
// How (design (b) of docs/design.md, "Checkpoints"): the active memtable
// is frozen, which blocks writers only for the rotation, and flushed;
// right after the flush installs, the current readState is pinned. Its
// version holds exactly the batches up to the last flushed memtable's
// lastSeq (flushes install in order), which is the token, and its
// reference keeps its SSTs on disk while they are copied. The SSTs are
// hard-linked (copied across file systems or on an FS without links),
// and a fresh manifest records them, with no WAL, closed cleanly. The
// copy is built in destDir+".checkpoint-tmp", synced, and renamed into
// place; a failure removes it.
//
// A read-only DB refuses with ErrReadOnly; a destDir that exists fails
// with ErrInvalidArgument. Checkpoint must not run concurrently with
// Close.
func (d *DB) Checkpoint(destDir string) (WriteToken, error) {
	if err := d.writable(); err != nil {
		return WriteToken{}, err
	}
	if err := d.checkCheckpointDest(destDir); err != nil {
		return WriteToken{}, err
	}
	rs, err := d.pinFlushedReadState()
	if err != nil {
		return WriteToken{}, err
	}
	defer rs.unref()
	tmp := destDir + checkpointTempSuffix
	if err := vfs.RemoveAll(d.fs, tmp); err != nil {
		return WriteToken{}, err
	}
	if err := d.writeCheckpoint(rs, tmp, destDir); err != nil {
		_ = vfs.RemoveAll(d.fs, tmp)
		return WriteToken{}, fmt.Errorf("tempest: checkpoint to %s: %w", destDir, err)
	}
	return WriteToken{seq: rs.flushedSeq}, nil
}

// checkCheckpointDest requires destDir not to exist.
func (d *DB) checkCheckpointDest(destDir string) error {
	if destDir == "" {
		return base.InvalidArgumentf("tempest: checkpoint: empty destination")
	}
	_, err := d.fs.Stat(destDir)
	switch {
	case err == nil:
		return base.InvalidArgumentf("tempest: checkpoint: %s exists", destDir)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	return nil
}

// pinFlushedReadState freezes the active memtable, waits until it is
// flushed, and returns the readState installed then (or later), with a
// reference the caller releases. Its flushedSeq is at least the frozen
// memtable's lastSeq, so it covers every batch acknowledged before the
// call.
func (d *DB) pinFlushedReadState() (*readState, error) {
	target, err := d.freezeAll()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.mu.readState.flushedSeq < target && d.mu.bgErr == nil && !d.mu.closing {
		d.mu.cond.Wait()
	}
	switch {
	case d.mu.bgErr != nil:
		return nil, d.mu.bgErr
	case d.mu.readState.flushedSeq < target:
		return nil, ErrClosed
	}
	return d.refReadStateLocked(), nil
}

// writeCheckpoint builds the checkpoint of rs in tmp, makes it durable,
// and renames it to destDir.
func (d *DB) writeCheckpoint(rs *readState, tmp, destDir string) error {
	cd := makeDirs(d.fs, tmp)
	for _, dir := range []string{cd.sst, cd.wal, cd.manifest} {
		if err := d.fs.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	edit, err := d.linkCheckpointTables(rs, cd)
	if err != nil {
		return err
	}
	if err := writeCheckpointManifest(d.fs, cd.manifest, d.cmp, d.opts, edit); err != nil {
		return err
	}
	if err := createEmptyFile(d.fs, d.fs.PathJoin(cd.root, lockFileName)); err != nil {
		return err // a read-only open needs LOCK, which it does not create
	}
	for _, dir := range []string{cd.sst, cd.wal, cd.manifest, cd.root} {
		if err := vfs.SyncDir(d.fs, dir); err != nil {
			return err
		}
	}
	if err := d.fs.Rename(tmp, destDir); err != nil {
		return err
	}
	return vfs.SyncDir(d.fs, filepath.Dir(destDir))
}

// linkCheckpointTables links or copies the SSTs of rs's version into
// cd.sst and returns the edit that records them for the copy's manifest:
// the copy's leases start past its files and rs.flushedSeq, its orphan
// floor at its file lease (every number below is recorded), and it
// records no WAL (MinUnflushedLog 0) and a clean close, so its Open
// replays nothing.
func (d *DB) linkCheckpointTables(rs *readState, cd dirs) (*manifest.Edit, error) {
	seq := rs.flushedSeq
	edit := &manifest.Edit{
		ComparerName:  d.cmp.Name,
		NextFileNum:   1,
		LastSeqNum:    max(seq, base.SeqNumMin),
		VisibleSeqNum: seq,
		Horizon:       seq,
		CleanClose:    true,
	}
	if v := d.FormatVersion(); v >= FormatVersion2 {
		edit.FormatVersion = v // the copy holds what v allows (ingested files)
	}
	blobs := make(map[base.FileNum]bool)
	for _, files := range rs.version.Levels {
		for _, f := range files {
			dst := d.fs.PathJoin(cd.sst, sstFileName(f.FileNum))
			if _, err := vfs.LinkOrCopy(d.fs, d.sstPath(f.FileNum), dst); err != nil {
				return nil, err
			}
			edit.Added = append(edit.Added, *f)
			edit.NextFileNum = max(edit.NextFileNum, f.FileNum+1)
			for _, r := range f.BlobRefs {
				blobs[r.FileNum] = true
			}
		}
	}
	if err := d.linkCheckpointBlobs(blobs, cd, edit); err != nil {
		return nil, err
	}
	edit.OrphanFloor = edit.NextFileNum
	return edit, nil
}

// linkCheckpointBlobs links or copies the blob files the checkpoint's
// SSTs name into cd.sst and records them in edit.
func (d *DB) linkCheckpointBlobs(nums map[base.FileNum]bool, cd dirs, edit *manifest.Edit) error {
	for _, n := range slices.Sorted(maps.Keys(nums)) {
		b, err := d.blobFileMeta(n)
		if err != nil {
			return err
		}
		dst := d.fs.PathJoin(cd.sst, base.MakeFilename(base.FileTypeBlob, n))
		if _, err := vfs.LinkOrCopy(d.fs, d.blobPath(n), dst); err != nil {
			return err
		}
		edit.AddedBlobs = append(edit.AddedBlobs, b)
		edit.NextFileNum = max(edit.NextFileNum, n+1)
	}
	return nil
}

// writeCheckpointManifest creates a manifest in dir holding edit, and
// closes it.
func writeCheckpointManifest(fs vfs.FS, dir string, cmp *base.Comparer, opts *Options, edit *manifest.Edit) error {
	cfg := opts.journalConfig()
	cfg.Legacy = !rulesOf(edit.FormatVersion).recordFraming // the copy's version, not a new DB's
	m, err := manifest.Open(fs, dir, cmp, cfg)
	if err != nil {
		return err
	}
	m.SetClock(opts.Clock.Now)
	err = m.Apply(edit)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return err
}

// createEmptyFile creates name, empty, and syncs it.
func createEmptyFile(fs vfs.FS, name string) error {
	f, err := fs.Create(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
