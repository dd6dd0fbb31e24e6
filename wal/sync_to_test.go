package wal

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestSyncToShared holds an fsync while more records are written and more
// writers ask for theirs to be synced: they wait for it, then share one
// more fsync, and every record is durable.
func TestSyncToShared(t *testing.T) {
	forEachMode(t, testSyncToShared)
}

func testSyncToShared(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 9)
	fs.gate, fs.entered = make(chan struct{}), make(chan struct{})
	before := fs.syncs.Load()

	const waiters = 4
	ran := make(chan bool, waiters+1)
	errs := make(chan error, waiters+1)
	var wg sync.WaitGroup
	syncTo := func(off int64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := w.SyncTo(off)
			ran <- r
			errs <- err
		}()
	}
	if err := w.WriteRecords([]byte("first")); err != nil {
		t.Fatal(err)
	}
	syncTo(w.Size())
	<-fs.entered // the first fsync runs, and is held
	for i := range waiters {
		if err := w.WriteRecords(fmt.Appendf(nil, "record %d", i)); err != nil {
			t.Fatal(err)
		}
		syncTo(w.Size())
	}
	fs.gate <- struct{}{} // the first fsync ends
	<-fs.entered          // one waiter runs the next, for all of them
	fs.gate <- struct{}{}
	wg.Wait()
	close(ran)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for r := range ran {
		if r {
			n++
		}
	}
	if n != 2 || fs.syncs.Load()-before != 2 {
		t.Fatalf("%d callers ran %d fsyncs (%d counted), want 2 for %d callers", n, n, fs.syncs.Load()-before, waiters+1)
	}
	if w.SyncedSize() != w.Size() {
		t.Fatalf("synced %d of %d bytes", w.SyncedSize(), w.Size())
	}
	fs.gate = nil
	if err := w.Close(0); err != nil {
		t.Fatal(err)
	}
	if r := replayDir(fs, dir, 9); r.err != nil || len(r.payloads) != waiters+1 {
		t.Fatalf("replayed %d records, err %v", len(r.payloads), r.err)
	}
}

// TestSyncToError fails the fsync that writers wait for: each of them gets
// the error, the writer is broken, and no fsync runs again.
func TestSyncToError(t *testing.T) {
	forEachMode(t, testSyncToError)
}

func testSyncToError(t *testing.T, m mode) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 9)
	fs.gate, fs.entered = make(chan struct{}), make(chan struct{})
	fs.failSync.Store(true)
	if err := w.WriteRecords([]byte("first")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		off := w.Size()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.SyncTo(off)
			errs <- err
		}()
	}
	<-fs.entered
	fs.gate <- struct{}{}
	wg.Wait()
	close(errs)
	syncs := fs.syncs.Load()
	for err := range errs {
		if !errors.Is(err, errInjected) {
			t.Fatalf("SyncTo: %v, want the injected error", err)
		}
	}
	fs.failSync.Store(false)
	if _, err := w.SyncTo(w.Size()); !errors.Is(err, errInjected) {
		t.Fatalf("SyncTo after a failed fsync: %v, want the injected error", err)
	}
	if fs.syncs.Load() != syncs {
		t.Fatal("a failed fsync was retried")
	}
	w.Abandon()
}

// TestSyncToDuringClose closes the log while a SyncTo's fsync runs: Close
// waits for it, and a writer that asks afterwards finds its record durable.
func TestSyncToDuringClose(t *testing.T) {
	forEachMode(t, testSyncToDuringClose)
}

func testSyncToDuringClose(t *testing.T, m mode) {
	fs, dir, w, first := gatedWriter(t, m)
	done := goSyncTo(w, first)
	<-fs.entered
	if err := w.WriteRecords([]byte("second")); err != nil {
		t.Fatal(err)
	}
	second := w.Size()
	closed := make(chan error, 1)
	go func() { closed <- w.Close(0) }()
	fs.gate <- struct{}{} // the SyncTo's fsync
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range 2 { // Close syncs before and after its end record
		<-fs.entered
		fs.gate <- struct{}{}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := w.SyncTo(second); err != nil {
		t.Fatalf("SyncTo of a record Close made durable: %v", err)
	}
	if r := replayDir(fs, dir, 9); r.err != nil || len(r.payloads) != 2 || !r.res.CleanClose {
		t.Fatalf("replayed %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
	}
}

// TestSyncToFailsDuringClose fails a SyncTo's fsync while Close waits for
// it: Close must not sync again and write an end record as if the log
// were durable, and the record the failed fsync covered is never
// reported durable.
func TestSyncToFailsDuringClose(t *testing.T) {
	forEachMode(t, testSyncToFailsDuringClose)
}

func testSyncToFailsDuringClose(t *testing.T, m mode) {
	fs, dir, w, first := gatedWriter(t, m)
	fs.failSyncAt.Store(fs.syncs.Load() + 1)
	synced := goSyncTo(w, first)
	<-fs.entered
	closed := make(chan error, 1)
	go func() { closed <- w.Close(0) }()
	// Give Close the time to reach its wait for the fsync; if it has not
	// by then, it finds the error at once, which must give the same
	// outcome.
	time.Sleep(20 * time.Millisecond)
	fs.gate <- struct{}{}
	if err := <-synced; !errors.Is(err, errInjected) {
		t.Fatalf("SyncTo whose fsync failed: %v", err)
	}
	syncs := fs.syncs.Load()
	go func() {
		for range fs.entered {
			fs.gate <- struct{}{}
		}
	}()
	cerr := <-closed
	close(fs.entered)
	if !errors.Is(cerr, errInjected) {
		t.Fatalf("Close after a failed fsync: %v, want the injected error", cerr)
	}
	if fs.syncs.Load() != syncs {
		t.Fatal("Close retried the failed fsync")
	}
	if _, err := w.SyncTo(first); err == nil {
		t.Fatal("a record whose fsync failed was reported durable")
	}
	if r := replayDir(fs, dir, 9); r.res.CleanClose {
		t.Fatal("the log got an end record after a failed fsync")
	}
}

// gatedWriter creates a log in mode m whose fsyncs are held at the gate,
// writes one record, and returns the offset after it.
func gatedWriter(t *testing.T, m mode) (*faultFS, string, *Writer, int64) {
	fs, dir := m.setup(t)
	w := createIn(t, m, fs, dir, 9)
	fs.gate, fs.entered = make(chan struct{}), make(chan struct{})
	if err := w.WriteRecords([]byte("first")); err != nil {
		t.Fatal(err)
	}
	return fs, dir, w, w.Size()
}

// goSyncTo calls w.SyncTo(off) on a goroutine of its own and delivers its
// error.
func goSyncTo(w *Writer, off int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := w.SyncTo(off)
		done <- err
	}()
	return done
}
