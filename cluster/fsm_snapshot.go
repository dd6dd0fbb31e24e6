package cluster

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path/filepath"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// A shard snapshot carries the FSM's state, the keys [prefix 'a',
// prefix 'e') of the shard (its applied record and its data; keys.go),
// as SSTs exported at one moment, in a stream (format 2):
//
//	magic     8 bytes   0xFF "TMPSNP2"
//	applied   16 bytes  the applied index and clock at that moment (the
//	                    record the files hold too), read without the files
//	files     each a uvarint length (at least 1) and that many bytes: an
//	                    SST of Snapshot.Export, in key order
//	end       a uvarint 0, then the CRC-32C (Castagnoli) of every byte
//	                    before it, 4 bytes big-endian; nothing follows
//
// Format 1, written before, is the applied record and then each key
// (without the shard's prefix) and value of the data as a uvarint length
// and its bytes, to the end (fsm_restore_stream.go reads it). Its first
// byte is the high byte of an applied index, which is 0xFF only from
// 0xFF<<56 entries on: the magic tells the two apart.
//
// Snapshot runs on raft's FSM goroutine, between two Applies: it takes a
// tempest.Snapshot, nothing more. Persist runs later, while Apply goes
// on: it exports the range at that snapshot into the shard's scratch
// directory and streams the files.
var snapshotMagic = [8]byte{0xff, 'T', 'M', 'P', 'S', 'N', 'P', '2'}

// castagnoli is the CRC-32C table of the stream's checksum.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// scratchSeq numbers the scratch directories of persists and restores.
var scratchSeq atomic.Uint64

type fsmSnapshot struct {
	f       *shardFSM
	snap    *tempest.Snapshot
	applied uint64
	now     int64
}

// Snapshot captures the shard at its applied index (raft.FSM).
func (f *shardFSM) Snapshot() (raft.FSMSnapshot, error) {
	snap := f.db.NewSnapshot()
	if snap == nil {
		return nil, tempest.ErrClosed
	}
	return &fsmSnapshot{f: f, snap: snap, applied: f.applied.Load(), now: f.lastNow.Load()}, nil
}

// Persist writes the stream to sink.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// write exports the state at the snapshot and streams it to w.
func (s *fsmSnapshot) write(w io.Writer) error {
	fs := s.f.db.Options().FS
	dir := s.f.scratchDir("persist") // Export makes it and its parents
	defer vfs.RemoveAll(fs, dir)
	lower, upper := stateBounds(s.f.prefix)
	paths, err := s.snap.Export(lower, upper, dir)
	if err != nil {
		return err
	}
	sw := &streamWriter{w: bufio.NewWriterSize(w, 1<<16), crc: crc32.New(castagnoli)}
	sw.write(snapshotMagic[:])
	sw.write(appliedRecord(s.applied, s.now))
	for _, p := range paths {
		if err := sw.file(fs, p); err != nil {
			return err
		}
	}
	sw.uvarint(0)
	sw.w.Write(binary.BigEndian.AppendUint32(nil, sw.crc.Sum32()))
	return sw.w.Flush()
}

// Release drops the database snapshot.
func (s *fsmSnapshot) Release() { s.snap.Close() }

// scratchDir returns a new path in the shard's scratch directory.
func (f *shardFSM) scratchDir(what string) string {
	return filepath.Join(f.scratch, fmt.Sprintf("%s-%d", what, scratchSeq.Add(1)))
}

// stateBounds is the key range a snapshot carries: the applied record
// and the data.
func stateBounds(prefix []byte) (lower, upper []byte) {
	return withSub(prefix, subApplied), withSub(prefix, subData+1)
}

// streamWriter writes a stream and its checksum; errors are the
// bufio.Writer's, sticky, and returned by its Flush.
type streamWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
}

func (sw *streamWriter) write(b []byte) {
	sw.w.Write(b)
	sw.crc.Write(b)
}

func (sw *streamWriter) uvarint(v uint64) {
	sw.write(binary.AppendUvarint(nil, v))
}

// file writes the file at path as one record.
func (sw *streamWriter) file(fs vfs.FS, path string) error {
	f, err := fs.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return err
	}
	sw.uvarint(uint64(size))
	n, err := io.Copy(io.MultiWriter(sw.w, sw.crc), io.NewSectionReader(f, 0, size))
	if err == nil && n != size {
		err = fmt.Errorf("cluster: snapshot: %s: read %d of %d bytes", path, n, size)
	}
	return err
}
