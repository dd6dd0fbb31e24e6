package cluster

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// A shard snapshot streams the shard's data range at one moment: the
// applied index and clock (8 bytes big-endian each), then each key (without the shard's
// prefix) and its stored value, each as a uvarint length and its bytes.
//
// DB.Export writes table files of the current state, not of a snapshot,
// and Persist runs while Apply goes on, so the stream is read from a
// tempest.Snapshot taken in Snapshot (on raft's FSM goroutine, between
// two Applies) instead.

type fsmSnapshot struct {
	snap    *tempest.Snapshot
	prefix  []byte
	applied uint64
	now     int64
}

// Snapshot captures the shard at its applied index (raft.FSM).
func (f *shardFSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.db.NewSnapshot(), prefix: f.prefix, applied: f.applied.Load(), now: f.lastNow.Load()}, nil
}

// Persist writes the stream to sink.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(appliedRecord(s.applied, s.now))
	lower := withSub(s.prefix, subData)
	it, err := s.snap.NewIter(&tempest.IterOptions{LowerBound: lower, UpperBound: withSub(s.prefix, subData+1)})
	if err != nil {
		return err
	}
	var lb [binary.MaxVarintLen64]byte
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len(lower):]
		bw.Write(lb[:binary.PutUvarint(lb[:], uint64(len(k)))])
		bw.Write(k)
		bw.Write(lb[:binary.PutUvarint(lb[:], uint64(len(it.Value())))])
		if _, err := bw.Write(it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// Release drops the database snapshot.
func (s *fsmSnapshot) Release() { s.snap.Close() }

// Restore replaces the shard's data with a snapshot stream (raft.FSM).
//
// The data is replaced in several batches, so a marker key brackets
// them: a node that crashes with the marker set restores its newest
// snapshot again at start (restoring).
func (f *shardFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	var hdr [16]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return fmt.Errorf("cluster: snapshot header: %w", err)
	}
	applied := binary.BigEndian.Uint64(hdr[:])
	now := int64(binary.BigEndian.Uint64(hdr[8:]))
	marker := withSub(f.prefix, subRestoring)
	if err := f.db.Set(marker, nil, tempest.Sync); err != nil {
		return err
	}
	lower := withSub(f.prefix, subData)
	if err := f.db.DeleteRange(lower, withSub(f.prefix, subData+1), tempest.NoSync); err != nil {
		return err
	}
	b := f.db.NewBatch()
	for {
		k, err := readChunk(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		v, err := readChunk(br)
		if err != nil {
			return fmt.Errorf("cluster: snapshot: %w", err)
		}
		if err := b.Set(append(append([]byte(nil), lower...), k...), v); err != nil {
			return err
		}
		if b.Len() >= 4<<20 {
			if _, err := f.db.Apply(b, tempest.NoSync); err != nil {
				return err
			}
			b = f.db.NewBatch()
		}
	}
	b.Set(withSub(f.prefix, subApplied), hdr[:])
	b.Delete(marker)
	if _, err := f.db.Apply(b, tempest.Sync); err != nil {
		return err
	}
	f.lastNow.Store(now)
	f.setApplied(applied)
	return nil
}

// readChunk reads a uvarint length and that many bytes; io.EOF only
// before the length.
func readChunk(br *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, err
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("%w: cluster: snapshot record of %d bytes", tempest.ErrCorruption, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	return b, nil
}
