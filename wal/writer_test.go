package wal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/vfs"
)

// statSize returns the size of the file at path.
func statSize(t testing.TB, fs vfs.FS, path string) int64 {
	t.Helper()
	fi, err := fs.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestAppendAcknowledged(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		fs, dir := m.setup(t)
		w := createIn(t, m, fs, dir, 1)
		defer w.Abandon()
		if err := w.WriteRecords([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
		r := replayDir(fs, dir, 1)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.payloads) != 1 || string(r.payloads[0]) != "hello" || r.offsets[0] != HeaderSize {
			t.Fatalf("replayed %q at %v", r.payloads, r.offsets)
		}
		// A mapped log is preallocated: zeros follow its last record,
		// which recovery reads as a torn tail.
		size := statSize(t, fs, fs.PathJoin(dir, FileName(1)))
		if m.maps() != (size > w.Size()) {
			t.Fatalf("a %d-byte file holds %d written bytes", size, w.Size())
		}
		want := ReplayResult{Records: 1, ValidSize: w.Size(), FileSize: size, TornTail: size > w.Size(),
			Checksum: crc.Checksum(fileBytes(t, fs, fs.PathJoin(dir, FileName(1))))}
		if r.res != want {
			t.Fatalf("result %+v, want %+v", r.res, want)
		}
	})
}

func TestMultiAppend(t *testing.T) {
	forEachMode(t, testMultiAppend)
}

func testMultiAppend(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 2)
	var want [][]byte
	for i := 0; i < 10; i++ {
		p := []byte(fmt.Sprintf("record-%d", i))
		want = append(want, p)
		if err := w.WriteRecords(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(0); err != nil {
		t.Fatal(err)
	}
	r := replayDir(fs, dir, 2)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkPrefix(t, r.payloads, want)
	if len(r.payloads) != len(want) || !r.res.CleanClose || r.res.Next != 0 || r.res.Records != len(want) ||
		r.res.TornTail || r.res.FileSize != r.res.ValidSize {
		t.Fatalf("replayed %d records, result %+v", len(r.payloads), r.res)
	}
}

// TestRoundTrip writes groups of random sizes, some synced, closes with a
// successor, and checks that Replay returns everything with the offsets
// and synced fields the writer used.
func TestRoundTrip(t *testing.T) {
	forEachMode(t, testRoundTrip)
}

func testRoundTrip(t *testing.T, m mode) {
	rng := newRand(t)
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 5)
	var want [][]byte
	var wantOffsets, wantSynced []int64
	for g := 0; g < 20; g++ {
		group := make([][]byte, 1+rng.IntN(5))
		off := w.Size()
		for i := range group {
			group[i] = randPayload(rng, 100<<10)
			want = append(want, group[i])
			wantOffsets = append(wantOffsets, off)
			wantSynced = append(wantSynced, w.SyncedSize())
			off += RecordHeaderSize + int64(len(group[i]))
		}
		if err := w.WriteRecords(group...); err != nil {
			t.Fatal(err)
		}
		if w.Size() != off {
			t.Fatalf("size %d after group, want %d", w.Size(), off)
		}
		if rng.IntN(2) == 0 {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if w.SyncedSize() != w.Size() {
				t.Fatalf("synced %d, size %d after Sync", w.SyncedSize(), w.Size())
			}
		}
	}
	if err := w.Close(7); err != nil {
		t.Fatal(err)
	}
	r := replayDir(fs, dir, 5)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.payloads) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(r.payloads), len(want))
	}
	checkPrefix(t, r.payloads, want)
	for i := range wantOffsets {
		if r.offsets[i] != wantOffsets[i] {
			t.Fatalf("record %d at offset %d, want %d", i, r.offsets[i], wantOffsets[i])
		}
	}
	if !r.res.CleanClose || r.res.Next != 7 || r.res.TornTail || r.res.ValidSize != r.res.FileSize {
		t.Fatalf("result %+v", r.res)
	}

	h, recs, res, err := ReadAll(fs, fs.PathJoin(dir, FileName(5)))
	if err != nil {
		t.Fatal(err)
	}
	if h.Num != 5 || res != r.res || len(recs) != len(want)+1 {
		t.Fatalf("ReadAll: header %+v, %d records, result %+v", h, len(recs), res)
	}
	for i, rec := range recs[:len(want)] {
		if rec.Type != RecordData || rec.Synced != wantSynced[i] || rec.Offset != wantOffsets[i] {
			t.Fatalf("record %d: %v synced %d at %d, want data synced %d at %d",
				i, rec.Type, rec.Synced, rec.Offset, wantSynced[i], wantOffsets[i])
		}
	}
	end := recs[len(want)]
	if end.Type != RecordEnd || end.Synced != end.Offset || end.Offset+RecordHeaderSize+endPayloadSize != res.FileSize {
		t.Fatalf("end record %+v in a %d-byte file", end, res.FileSize)
	}
}

// TestGroupIsOneWrite checks the group-commit contract: a group of records
// costs one Write call, and no fsync. On the mapped path it costs one
// Store and no Write call at all: the File wrapper forwards the mapping
// and counts both, and the Writer makes no Write.
func TestGroupIsOneWrite(t *testing.T) {
	forEachMode(t, testGroupIsOneWrite)
}

func testGroupIsOneWrite(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 3)
	defer w.Abandon()
	wantWrites, wantStores := int64(1), int64(0)
	if m.maps() {
		wantWrites, wantStores = 0, 1
	}
	writes, stores, syncs := fs.writes.Load(), fs.stores.Load(), fs.syncs.Load()
	group := make([][]byte, 16)
	for i := range group {
		group[i] = bytes.Repeat([]byte{byte(i)}, 100)
	}
	if err := w.WriteRecords(group...); err != nil {
		t.Fatal(err)
	}
	if got := fs.writes.Load() - writes; got != wantWrites {
		t.Fatalf("%d Write calls for one group, want %d", got, wantWrites)
	}
	if got := fs.stores.Load() - stores; got != wantStores {
		t.Fatalf("%d Stores for one group, want %d", got, wantStores)
	}
	if got := fs.syncs.Load() - syncs; got != 0 {
		t.Fatalf("%d Sync calls by WriteRecords, want 0", got)
	}
	if err := w.WriteRecords(); err != nil {
		t.Fatal(err)
	}
	if fs.writes.Load()-writes != wantWrites || fs.stores.Load()-stores != wantStores {
		t.Fatalf("an empty group made a Write call or a Store")
	}
}

// TestCloseSyncsBeforeEndRecord checks that Close makes earlier records
// durable before it writes the end record that vouches for them. A mapped
// writer also syncs its truncation first, synced records or not.
func TestCloseSyncsBeforeEndRecord(t *testing.T) {
	forModes(t, modes[:4], testCloseSyncsBeforeEndRecord)
}

func testCloseSyncsBeforeEndRecord(t *testing.T, m mode) {
	for _, synced := range []bool{false, true} {
		t.Run(fmt.Sprintf("synced=%t", synced), func(t *testing.T) {
			fs, dir := m.setup(t)
			w := createIn(t, m, fs, dir, 3)
			if err := w.WriteRecords([]byte("a"), []byte("b")); err != nil {
				t.Fatal(err)
			}
			if synced {
				if err := w.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			syncs := fs.syncs.Load()
			if err := w.Close(4); err != nil {
				t.Fatal(err)
			}
			want := int64(2)
			if synced && !m.maps() {
				want = 1
			}
			if got := fs.syncs.Load() - syncs; got != want {
				t.Fatalf("Close made %d Sync calls, want %d", got, want)
			}
			// After a power loss that keeps only synced data the log is
			// still whole and cleanly closed.
			crashed := fs.FS.(*vfs.MemFS).CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0, Rand: rand.New(rand.NewPCG(1, 2))})
			r := replay(crashed, 3)
			if r.err != nil || len(r.payloads) != 2 || !r.res.CleanClose || r.res.Next != 4 {
				t.Fatalf("after crash: %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
			}
		})
	}
}

func TestSyncErrorSticky(t *testing.T) {
	forEachMode(t, testSyncErrorSticky)
}

func testSyncErrorSticky(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 9)
	if err := w.WriteRecords([]byte("before")); err != nil {
		t.Fatal(err)
	}
	fs.failSync.Store(true)
	serr := w.Sync()
	if !errors.Is(serr, errInjected) {
		t.Fatalf("Sync: %v, want the injected error", serr)
	}
	if w.SyncedSize() != HeaderSize {
		t.Fatalf("synced size advanced to %d after a failed Sync", w.SyncedSize())
	}
	// Even once the device recovers, the writer stays broken: a retried
	// fsync proves nothing about the pages the failed one dropped.
	fs.failSync.Store(false)
	writes := fs.writes.Load()
	if err := w.WriteRecords([]byte("after")); err != serr {
		t.Fatalf("WriteRecords after failed Sync: %v, want %v", err, serr)
	}
	if err := w.Sync(); err != serr {
		t.Fatalf("Sync after failed Sync: %v, want %v", err, serr)
	}
	if err := w.Close(0); err != serr {
		t.Fatalf("Close after failed Sync: %v, want %v", err, serr)
	}
	if fs.writes.Load() != writes {
		t.Fatalf("a broken writer wrote to the file")
	}
	if err := w.WriteRecords([]byte("x")); err != serr {
		t.Fatalf("WriteRecords after Close: %v, want %v", err, serr)
	}
	w.Abandon()
	// The process did not crash: the written record is in the file, which
	// has no end record.
	r := replayDir(fs, dir, 9)
	if r.err != nil || len(r.payloads) != 1 || r.res.CleanClose {
		t.Fatalf("replayed %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
	}
}

// TestWriteErrorSticky fails a Write, or a Store on the mapped path.
func TestWriteErrorSticky(t *testing.T) {
	forEachMode(t, testWriteErrorSticky)
}

func testWriteErrorSticky(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 9)
	defer w.Abandon()
	fs.failWrite.Store(true)
	werr := w.WriteRecords([]byte("x"))
	if !errors.Is(werr, errInjected) {
		t.Fatalf("WriteRecords: %v, want the injected error", werr)
	}
	if w.Size() != HeaderSize {
		t.Fatalf("size advanced to %d after a failed write", w.Size())
	}
	fs.failWrite.Store(false)
	if err := w.Sync(); err != werr {
		t.Fatalf("Sync after failed write: %v, want %v", err, werr)
	}
	if err := w.WriteRecords([]byte("y")); err != werr {
		t.Fatalf("WriteRecords after failed write: %v, want %v", err, werr)
	}
}

func TestCreateErrors(t *testing.T) {
	forEachMode(t, testCreateErrors)
}

func testCreateErrors(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	// No such directory.
	if _, err := Create(fs, fs.PathJoin(dir, "missing"), 1, m.options()); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
	// The header fsync fails: nothing is left behind.
	fs.failSync.Store(true)
	if _, err := Create(fs, dir, 1, m.options()); !errors.Is(err, errInjected) {
		t.Fatalf("Create: %v, want the injected error", err)
	}
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Fatalf("failed Create left %q", names)
	}
}

func TestUseAfterClose(t *testing.T) {
	forEachMode(t, testUseAfterClose)
}

func testUseAfterClose(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 1)
	if w.Num() != 1 || w.Size() != HeaderSize || w.SyncedSize() != HeaderSize {
		t.Fatalf("new writer: num %d size %d synced %d", w.Num(), w.Size(), w.SyncedSize())
	}
	if err := w.Close(0); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"WriteRecords": w.WriteRecords([]byte("x")),
		"Sync":         w.Sync(),
		"Close":        w.Close(0),
	} {
		if !errors.Is(err, base.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	w.Abandon() // harmless after Close
}
