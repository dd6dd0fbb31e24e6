package wal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/internal/record"
)

// largeGroup is a group of payloads below and at or above directFrom, so
// that WriteRecords writes large payloads from the caller's memory
// between framed parts; writes is the number of Write calls it costs on
// the write path: the framed part before each large payload, the payload,
// and the framed tail. On the mapped path it is one Store.
func largeGroup() (group [][]byte, writes int64) {
	sizes := []int{100, directFrom, 7, directFrom + 5000, 3 * directFrom, 0}
	for i, n := range sizes {
		group = append(group, bytes.Repeat([]byte{byte(i + 1)}, n))
	}
	return group, 7
}

// groupWrites is the number of Write calls, or Stores, a group costing
// writes Write calls takes in mode m.
func groupWrites(m mode, writes int64) int64 {
	if m.maps() {
		return 1
	}
	return writes
}

// TestLargePayloadsDirect checks that a group holding large payloads
// writes them without copying them into the frame, in the writes
// largeGroup counts (one Store on the mapped path), and that the file holds the same bytes as one frame
// of the whole group would: the format does not change. Replay reads the
// records back, and the log's checksum covers every byte.
func TestLargePayloadsDirect(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		fs, dir := m.setup(t)
		w := createIn(t, m, fs, dir, 5)
		defer w.Abandon()
		group, writes := largeGroup()
		want := groupWrites(m, writes)
		before := fs.writes.Load() + fs.stores.Load()
		if err := w.WriteRecords(group...); err != nil {
			t.Fatal(err)
		}
		if got := fs.writes.Load() + fs.stores.Load() - before; got != want {
			t.Fatalf("%d writes and Stores for the group, want %d", got, want)
		}
		data := fileBytes(t, fs, fs.PathJoin(dir, FileName(5)))
		frame := data[:HeaderSize:HeaderSize]
		for _, p := range group {
			frame = record.Append(frame, w.seed, RecordData, HeaderSize, p)
		}
		if w.Size() != int64(len(frame)) || !bytes.Equal(data[:len(frame)], frame) {
			t.Fatalf("the file's %d written bytes differ from one frame of the group (%d bytes)", w.Size(), len(frame))
		}
		if w.Final().Checksum != crc.Checksum(frame) {
			t.Fatal("the log's checksum is not that of its bytes")
		}
		r := replayDir(fs, dir, 5)
		if r.err != nil || len(r.payloads) != len(group) {
			t.Fatalf("replayed %d records (%v), want %d", len(r.payloads), r.err, len(group))
		}
		checkPrefix(t, r.payloads, group)
	})
}

// TestLargePayloadWriteFails fails each write of a group holding large
// payloads in turn: WriteRecords returns the error, the writer neither
// counts any of the group nor takes another write, and the records
// written before the group all replay.
func TestLargePayloadWriteFails(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		group, writes := largeGroup()
		for fail := int64(1); fail <= groupWrites(m, writes); fail++ {
			fs, dir := m.setup(t)
			w := createIn(t, m, fs, dir, 5)
			if err := w.WriteRecords([]byte("before")); err != nil {
				t.Fatal(err)
			}
			size, sum := w.Size(), w.Final().Checksum
			fs.failWriteAt.Store(fs.writes.Load() + fs.stores.Load() + fail)
			if err := w.WriteRecords(group...); !errors.Is(err, errInjected) {
				t.Fatalf("write %d failing: WriteRecords gives %v", fail, err)
			}
			if w.Size() != size || w.Final().Checksum != sum {
				t.Fatalf("write %d failing: size %d after the failure, was %d", fail, w.Size(), size)
			}
			calls := fs.writes.Load() + fs.stores.Load()
			if err := w.WriteRecords([]byte("after")); !errors.Is(err, errInjected) {
				t.Fatalf("write %d failing: the next group gives %v", fail, err)
			}
			if fs.writes.Load()+fs.stores.Load() != calls {
				t.Fatalf("write %d failing: the broken writer wrote again", fail)
			}
			w.Abandon()
			r := replayDir(fs, dir, 5)
			if r.err != nil || len(r.payloads) == 0 || string(r.payloads[0]) != "before" {
				t.Fatalf("write %d failing: replayed %d records (%v)", fail, len(r.payloads), r.err)
			}
		}
	})
}
