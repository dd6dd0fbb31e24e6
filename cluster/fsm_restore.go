package cluster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path/filepath"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/invariants"
	"github.com/tempestdb/tempest/vfs"
)

// maxSnapshotFile bounds one file of a snapshot stream: a larger length
// is damage (exported files are cut at the DB's TargetFileSize).
const maxSnapshotFile = 1 << 40

// Restore replaces the shard's state with a snapshot stream (raft.FSM).
//
// The stream is read whole into SST files in the shard's scratch
// directory: a stream of format 2 (fsm_snapshot.go) carries them, and its
// checksum is verified; one of format 1 is written into one
// (receiveStream). Then one IngestAndReplace over the state range
// replaces the data and the applied record together, atomically. So a
// stream that is damaged, cut short or fails to ingest leaves the
// shard's state as it was.
func (f *shardFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if err := f.restore(bufio.NewReaderSize(rc, 1<<16)); err != nil {
		return fmt.Errorf("cluster: restoring a snapshot of shard %d: %w", binary.BigEndian.Uint16(f.prefix[1:]), err)
	}
	f.restores.Add(1)
	return nil
}

func (f *shardFSM) restore(br *bufio.Reader) error {
	fs := f.db.Options().FS
	dir := f.scratchDir("restore")
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer vfs.RemoveAll(fs, dir)
	var (
		applied uint64
		paths   []string
		err     error
	)
	if head, _ := br.Peek(len(snapshotMagic)); bytes.Equal(head, snapshotMagic[:]) {
		applied, paths, err = receiveFiles(br, fs, dir)
	} else {
		paths = []string{filepath.Join(dir, "stream.sst")}
		applied, err = receiveStream(br, f.db, f.prefix, paths[0])
	}
	if err != nil {
		return err
	}
	lower, upper := stateBounds(f.prefix)
	if _, err := f.db.IngestAndReplace(paths, lower, upper); err != nil {
		return err
	}
	// The state is whole: a restore cut short before (format 1 restores
	// of earlier versions left a marker) is over.
	if partial, err := f.restoring(); err != nil || partial {
		if err == nil {
			err = f.db.Delete(withSub(f.prefix, subRestoring), tempest.Sync)
		}
		if err != nil {
			return err
		}
	}
	if err := f.loadApplied(); err != nil {
		return err
	}
	if invariants.Enabled && f.applied.Load() != applied {
		panic(fmt.Sprintf("cluster: snapshot header names applied index %d, its files %d", applied, f.applied.Load()))
	}
	return nil
}

// receiveFiles reads a format 2 stream from its magic to its end into
// files in dir and returns the applied index its header names and the
// files' paths, once the checksum verified and nothing follows.
func receiveFiles(br *bufio.Reader, fs vfs.FS, dir string) (applied uint64, paths []string, err error) {
	sr := &streamReader{r: br, crc: crc32.New(castagnoli)}
	var head [len(snapshotMagic) + 16]byte
	if _, err := io.ReadFull(sr, head[:]); err != nil {
		return 0, nil, cutShort(err)
	}
	if applied, _, err = decodeApplied(head[len(snapshotMagic):]); err != nil {
		return 0, nil, err
	}
	for {
		n, err := binary.ReadUvarint(sr)
		switch {
		case err != nil:
			return 0, nil, cutShort(err)
		case n > maxSnapshotFile:
			return 0, nil, fmt.Errorf("%w: cluster: snapshot file %d of %d bytes", tempest.ErrCorruption, len(paths)+1, n)
		case n == 0:
			return applied, paths, sr.end()
		}
		p := filepath.Join(dir, fmt.Sprintf("%06d.sst", len(paths)+1))
		if err := sr.file(fs, p, int64(n)); err != nil {
			return 0, nil, err
		}
		paths = append(paths, p)
	}
}

// cutShort reports a stream that ended before its end record as
// corruption; other read errors pass.
func cutShort(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: cluster: the snapshot stream ends before its end record", tempest.ErrCorruption)
	}
	return err
}

// streamReader reads a stream and checksums what it reads.
type streamReader struct {
	r   *bufio.Reader
	crc hash.Hash32
}

func (sr *streamReader) Read(p []byte) (int, error) {
	n, err := sr.r.Read(p)
	sr.crc.Write(p[:n])
	return n, err
}

func (sr *streamReader) ReadByte() (byte, error) {
	b, err := sr.r.ReadByte()
	if err == nil {
		sr.crc.Write([]byte{b})
	}
	return b, err
}

// file copies the next n bytes into a new file at path.
func (sr *streamReader) file(fs vfs.FS, path string, n int64) error {
	f, err := fs.Create(path)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, sr, n)
	return errors.Join(cutShort(err), f.Close())
}

// end checks the checksum after the end record, and that nothing
// follows it.
func (sr *streamReader) end() error {
	want := sr.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(sr.r, sum[:]); err != nil {
		return cutShort(err)
	}
	if got := binary.BigEndian.Uint32(sum[:]); got != want {
		return fmt.Errorf("%w: cluster: snapshot stream checksum %08x, computed %08x", tempest.ErrCorruption, got, want)
	}
	if _, err := sr.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: cluster: bytes after the snapshot stream's end (%v)", tempest.ErrCorruption, err)
	}
	return nil
}

// restoreOnStart reports whether the shard must restore its newest
// snapshot at start (raft's NoSnapshotRestoreOnStart off). With it on,
// raft takes the newest snapshot as applied; that is wrong when
//   - a restore of an earlier version was cut short (its marker is
//     set): the data is partial;
//   - the FSM has not applied what the newest snapshot holds: raft stored
//     a snapshot sent by the leader, and the node stopped before Restore
//     ingested it (or Restore failed).
//
// The snapshot's index also counts entries the FSM never sees (no-ops,
// configuration changes), so when the FSM's applied index is below it
// the snapshot's own applied record decides (reading it opens the
// snapshot, which raft's store checksums whole). A snapshot that cannot
// be read is restored too: raft then tries it and the ones before, and a
// failed restore changes nothing.
func (f *shardFSM) restoreOnStart(snaps raft.SnapshotStore) (bool, error) {
	if partial, err := f.restoring(); err != nil || partial {
		return partial, err
	}
	metas, err := snaps.List()
	if err != nil {
		return false, err
	}
	if len(metas) == 0 || f.applied.Load() >= metas[0].Index {
		return false, nil
	}
	_, rc, err := snaps.Open(metas[0].ID)
	if err != nil {
		return true, nil
	}
	defer rc.Close()
	applied, err := snapshotApplied(rc)
	return err != nil || f.applied.Load() < applied, nil
}

// snapshotApplied reads the applied index from the head of a snapshot
// stream of either format.
func snapshotApplied(r io.Reader) (uint64, error) {
	var head [len(snapshotMagic) + 16]byte
	if _, err := io.ReadFull(r, head[:16]); err != nil {
		return 0, err
	}
	if !bytes.Equal(head[:len(snapshotMagic)], snapshotMagic[:]) {
		applied, _, err := decodeApplied(head[:16])
		return applied, err
	}
	if _, err := io.ReadFull(r, head[16:]); err != nil {
		return 0, err
	}
	applied, _, err := decodeApplied(head[len(snapshotMagic):])
	return applied, err
}
