package tempest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

func openTxnDB(t *testing.T, o *Options) *DB {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	if o.FS == nil {
		o.FS = vfs.NewMem()
	}
	d := mustOpen(t, "/db", o)
	t.Cleanup(func() { d.Close() })
	return d
}

func txnGet(t *testing.T, tx *Txn, k string) string {
	t.Helper()
	v, err := tx.Get([]byte(k))
	if errors.Is(err, ErrNotFound) {
		return "<none>"
	}
	if err != nil {
		t.Fatalf("txn get %q: %v", k, err)
	}
	return string(v)
}

func txnSet(t *testing.T, tx *Txn, k, v string) {
	t.Helper()
	if err := tx.Set([]byte(k), []byte(v)); err != nil {
		t.Fatalf("txn set %q: %v", k, err)
	}
}

func wantConflict(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("commit: %v, want ErrConflict", err)
	}
}

func mustCommit(t *testing.T, tx *Txn) WriteToken {
	t.Helper()
	tok, err := tx.Commit(NoSync)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return tok
}

// TestTxnSnapshotAndOwnWrites: a transaction reads at its start, sees its
// own writes, deletes and range deletes, and its writes become visible
// together at Commit.
func TestTxnSnapshotAndOwnWrites(t *testing.T) {
	d := openTxnDB(t, nil)
	mustSet(t, d, "a", "1", NoSync)
	mustSet(t, d, "b", "1", NoSync)
	mustSet(t, d, "c", "1", NoSync)
	tx := d.NewTransaction(true)
	mustSet(t, d, "a", "2", NoSync) // after the snapshot: not seen
	if got := txnGet(t, tx, "a"); got != "1" {
		t.Fatalf("a = %s, want the snapshot's 1", got)
	}
	txnSet(t, tx, "b", "tx")
	if err := tx.DeleteRange([]byte("c"), []byte("d")); err != nil {
		t.Fatal(err)
	}
	txnSet(t, tx, "e", "tx")
	if got := txnGet(t, tx, "b") + txnGet(t, tx, "c") + txnGet(t, tx, "e"); got != "tx<none>tx" {
		t.Fatalf("own writes read %s", got)
	}
	it, err := tx.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(scanAll(t, it)); got != "[a=1 b=tx e=tx]" {
		t.Fatalf("scan = %s", got)
	}
	it.Close()
	mustGet(t, d, "b", "1") // not yet committed
	// tx read a, which was written after its snapshot.
	_, err = tx.Commit(NoSync)
	wantConflict(t, err)
	mustGet(t, d, "b", "1")
	mustGet(t, d, "c", "1")

	tx = d.NewTransaction(true)
	txnSet(t, tx, "b", "tx")
	if err := tx.DeleteRange([]byte("c"), []byte("d")); err != nil {
		t.Fatal(err)
	}
	tok := mustCommit(t, tx)
	mustGet(t, d, "b", "tx")
	mustNotFound(t, d, "c")
	if uint64(tok.seq) != d.visibleSeq.Load() {
		t.Fatalf("token %v is not the last commit %d", tok, d.visibleSeq.Load())
	}
}

// TestTxnReadOnly: a read-only transaction reads its snapshot, refuses
// writes with ErrTxnReadOnly, and commits whatever was written since.
func TestTxnReadOnly(t *testing.T) {
	d := openTxnDB(t, nil)
	mustSet(t, d, "a", "1", NoSync)
	err := d.View(func(tx *Txn) error {
		mustSet(t, d, "a", "2", NoSync)
		if got := txnGet(t, tx, "a"); got != "1" {
			t.Fatalf("a = %s", got)
		}
		if err := tx.Set([]byte("a"), []byte("x")); !errors.Is(err, ErrTxnReadOnly) {
			t.Fatalf("set in View: %v", err)
		}
		if err := tx.Delete([]byte("a")); !errors.Is(err, ErrTxnReadOnly) {
			t.Fatalf("delete in View: %v", err)
		}
		if err := tx.DeleteRange([]byte("a"), []byte("b")); !errors.Is(err, ErrTxnReadOnly) {
			t.Fatalf("delete range in View: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tx := d.NewTransaction(false)
	txnGet(t, tx, "a")
	mustSet(t, d, "a", "3", NoSync)
	if _, err := tx.Commit(nil); err != nil {
		t.Fatalf("read-only commit after a write to what it read: %v", err)
	}
	// A read-write transaction that wrote nothing commits too.
	tx = d.NewTransaction(true)
	txnGet(t, tx, "a")
	mustSet(t, d, "a", "4", NoSync)
	if _, err := tx.Commit(nil); err != nil {
		t.Fatalf("commit of a transaction without writes: %v", err)
	}
}

// TestTxnLifecycle: Discard, commit after Discard, use after Commit, a
// second Commit, and closing the DB with transactions open.
func TestTxnLifecycle(t *testing.T) {
	d := openTxnDB(t, nil)
	tx := d.NewTransaction(true)
	txnSet(t, tx, "a", "1")
	tx.Discard()
	tx.Discard()
	if _, err := tx.Commit(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after discard: %v", err)
	}
	mustNotFound(t, d, "a")

	tx = d.NewTransaction(true)
	txnSet(t, tx, "a", "1")
	mustCommit(t, tx)
	if _, err := tx.Get([]byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after commit: %v", err)
	}
	if err := tx.Set([]byte("a"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("set after commit: %v", err)
	}
	if _, err := tx.NewIter(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("iter after commit: %v", err)
	}
	if _, err := tx.Commit(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("second commit: %v", err)
	}
	tx.Discard()
	d.txns.mu.Lock()
	empty, active := d.txns.open.empty(), d.txns.active
	d.txns.mu.Unlock()
	if !empty || active {
		t.Fatalf("tracker after every transaction ended: open list empty %v, active %v", empty, active)
	}

	rw, ro := d.NewTransaction(true), d.NewTransaction(false)
	txnSet(t, rw, "b", "1")
	it, err := rw.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	for _, tx := range []*Txn{rw, ro} {
		if _, err := tx.Get([]byte("a")); !errors.Is(err, ErrClosed) {
			t.Fatalf("get after DB close: %v", err)
		}
		if _, err := tx.Commit(nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("commit after DB close: %v", err)
		}
		tx.Discard()
	}
	if it.First() || !errors.Is(it.Error(), ErrClosed) {
		t.Fatalf("iterator after DB close: %v", it.Error())
	}
	it.Close()
	late := d.NewTransaction(true)
	if err := late.Set([]byte("a"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("transaction of a closed DB: %v", err)
	}
	late.Discard()
	if err := d.Update(func(*Txn) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update on a closed DB: %v", err)
	}
}

// TestTxnUpdateDiscardsOnError: Update commits only when fn succeeds.
func TestTxnUpdateDiscardsOnError(t *testing.T) {
	d := openTxnDB(t, nil)
	boom := errors.New("boom")
	err := d.Update(func(tx *Txn) error {
		txnSet(t, tx, "a", "1")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	mustNotFound(t, d, "a")
	if err := d.Update(func(tx *Txn) error { return tx.Set([]byte("a"), []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	mustGet(t, d, "a", "2")
}

// TestTxnHistoryCap: a transaction older than what the bounded history of
// writes still covers fails with ErrConflict, though nothing it read was
// written; with the history intact the same transaction commits.
func TestTxnHistoryCap(t *testing.T) {
	for _, overflow := range []bool{false, true} {
		t.Run(fmt.Sprint("overflow=", overflow), func(t *testing.T) {
			d := openTxnDB(t, &Options{TxnConflictHistoryBytes: minTxnConflictHistoryBytes})
			tx := d.NewTransaction(true)
			txnGet(t, tx, "read")
			txnSet(t, tx, "mine", "1")
			n := 10 // well under the cap
			if overflow {
				n = 200 // 200 records of >= 64 bytes each pass 4 KiB
			}
			for i := range n {
				mustSet(t, d, fmt.Sprintf("other%04d", i), "x", NoSync)
			}
			d.txns.mu.Lock()
			bytes := d.txns.bytes
			d.txns.mu.Unlock()
			if bytes > d.txns.capBytes {
				t.Fatalf("history holds %d bytes, over its cap %d", bytes, d.txns.capBytes)
			}
			_, err := tx.Commit(NoSync)
			if overflow {
				wantConflict(t, err)
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTxnTooLarge: a transaction whose read and write sets pass a
// quarter of the history cap fails with ErrInvalidArgument, on the call
// that passes it and on Commit.
func TestTxnTooLarge(t *testing.T) {
	d := openTxnDB(t, &Options{TxnConflictHistoryBytes: minTxnConflictHistoryBytes})
	for _, reads := range []bool{true, false} {
		tx := d.NewTransaction(true)
		var err error
		for i := 0; err == nil && i < 1000; i++ {
			k := []byte(fmt.Sprintf("key%04d", i))
			if reads {
				_, err = tx.Get(k)
				if errors.Is(err, ErrNotFound) {
					err = nil
				}
			} else {
				err = tx.Set(k, k)
			}
		}
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("reads %v: a growing transaction ended with %v, want ErrInvalidArgument", reads, err)
		}
		if _, err := tx.Commit(nil); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("reads %v: commit of a too-large transaction: %v", reads, err)
		}
	}
	mustNotFound(t, d, "key0000")

	// Iterator seeks add ranges; Commit refuses the transaction.
	tx := d.NewTransaction(true)
	txnSet(t, tx, "a", "1")
	it, err := tx.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		it.SeekGE([]byte(fmt.Sprintf("key%04d", i)))
	}
	it.Close()
	if _, err := tx.Commit(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("commit of a transaction with 1000 scanned ranges: %v", err)
	}
	mustNotFound(t, d, "a")
}

// TestTxnRangeWrites: DeleteRange, plain or in a transaction, conflicts
// with a Get and with a scan of anything it covers, and not with reads
// outside it.
func TestTxnRangeWrites(t *testing.T) {
	d := openTxnDB(t, nil)
	for _, k := range []string{"a", "c", "e", "g"} {
		mustSet(t, d, k, "1", NoSync)
	}
	// The transactions write z: scans stop before it.
	below := &IterOptions{UpperBound: []byte("y")}
	cases := []struct {
		name     string
		read     func(tx *Txn)
		conflict bool
	}{
		{"get inside", func(tx *Txn) { txnGet(t, tx, "c") }, true},
		{"get of an absent key inside", func(tx *Txn) { txnGet(t, tx, "bb") }, true},
		{"get of the range's end", func(tx *Txn) { txnGet(t, tx, "d") }, false},
		{"get outside", func(tx *Txn) { txnGet(t, tx, "e") }, false},
		{"scan reaching it", func(tx *Txn) { scanN(t, tx, below, 2) }, true},
		{"scan stopping before it", func(tx *Txn) { scanN(t, tx, below, 1) }, false},
		{"reverse scan reaching it", func(tx *Txn) { scanBackN(t, tx, below, 3) }, true},
		{"reverse scan stopping after it", func(tx *Txn) { scanBackN(t, tx, below, 2) }, false},
		{"scan of nothing before it", func(tx *Txn) { scanN(t, tx, &IterOptions{UpperBound: []byte("a")}, 10) }, false},
		{"seek to its end", func(tx *Txn) { seekGE(t, tx, "d") }, false},
		{"seek into its last key", func(tx *Txn) { seekGE(t, tx, "cc") }, true},
		{"seek into it", func(tx *Txn) { seekGE(t, tx, "bb") }, true},
		{"bounded scan after it", func(tx *Txn) { scanN(t, tx, &IterOptions{LowerBound: []byte("e")}, 10) }, false},
		{"bounded scan before it", func(tx *Txn) { scanN(t, tx, &IterOptions{UpperBound: []byte("b")}, 10) }, false},
		{"bounded scan up to it", func(tx *Txn) { scanN(t, tx, &IterOptions{UpperBound: []byte("bb")}, 10) }, true},
	}
	for _, c := range cases {
		for _, inTxn := range []bool{false, true} {
			tx := d.NewTransaction(true)
			c.read(tx)
			txnSet(t, tx, "z", "w")
			if inTxn {
				if err := d.Update(func(o *Txn) error { return o.DeleteRange([]byte("b"), []byte("d")) }); err != nil {
					t.Fatal(err)
				}
			} else if err := d.DeleteRange([]byte("b"), []byte("d"), NoSync); err != nil {
				t.Fatal(err)
			}
			_, err := tx.Commit(NoSync)
			if c.conflict != errors.Is(err, ErrConflict) || !c.conflict && err != nil {
				t.Fatalf("%s (range delete in a transaction %v): commit %v, want conflict %v", c.name, inTxn, err, c.conflict)
			}
			mustSet(t, d, "c", "1", NoSync)
		}
	}
}

// scanN reads up to n keys forward from First.
func scanN(t *testing.T, tx *Txn, o *IterOptions, n int) {
	t.Helper()
	it, err := tx.NewIter(o)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok && n > 1; ok = it.Next() {
		n--
	}
}

// seekGE seeks to the first key >= k.
func seekGE(t *testing.T, tx *Txn, k string) {
	t.Helper()
	it, err := tx.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	it.SeekGE([]byte(k))
}

// scanBackN reads up to n keys backward from Last.
func scanBackN(t *testing.T, tx *Txn, o *IterOptions, n int) {
	t.Helper()
	it, err := tx.NewIter(o)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.Last(); ok && n > 1; ok = it.Prev() {
		n--
	}
}

// TestTxnIngestHook: a file added by ingestion, recorded through
// recordRangeWrite from a commit task, conflicts with reads of its range.
func TestTxnIngestHook(t *testing.T) {
	d := openTxnDB(t, nil)
	ingest := func(smallest, largest string) {
		r := &commitReq{task: func() error {
			seq := d.commit.lastSeq + 1
			d.txns.recordRangeWrite(seq, []byte(smallest), []byte(largest))
			d.commit.lastSeq = seq
			d.visibleSeq.Store(uint64(seq))
			return nil
		}}
		d.runCommit(r)
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	for _, c := range []struct {
		read     string
		conflict bool
	}{{"a", false}, {"b", true}, {"c", true}, {"d", true}, {"e", false}} {
		tx := d.NewTransaction(true)
		txnGet(t, tx, c.read)
		txnSet(t, tx, "z", "1")
		ingest("b", "d")
		_, err := tx.Commit(NoSync)
		if c.conflict != errors.Is(err, ErrConflict) || !c.conflict && err != nil {
			t.Fatalf("read %s: commit %v, want conflict %v", c.read, err, c.conflict)
		}
	}
}
