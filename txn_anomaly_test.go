package tempest

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
)

// The textbook anomalies of snapshot isolation, each set up as the
// interleaving that produces it: under Tempest's transactions the
// transaction that would complete it fails with ErrConflict, and the
// state stays one that a serial order explains.

func txnInt(t *testing.T, tx *Txn, k string) int {
	t.Helper()
	s := txnGet(t, tx, k)
	if s == "<none>" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s = %q", k, s)
	}
	return n
}

func txnSetInt(t *testing.T, tx *Txn, k string, n int) { txnSet(t, tx, k, strconv.Itoa(n)) }

func dbInt(t *testing.T, d *DB, k string) int {
	t.Helper()
	var n int
	if err := d.View(func(tx *Txn) error { n = txnInt(t, tx, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTxnLostUpdate: two increments of one counter from the same
// snapshot; the second to commit fails, so no increment is lost.
func TestTxnLostUpdate(t *testing.T) {
	d := openTxnDB(t, nil)
	t1, t2 := d.NewTransaction(true), d.NewTransaction(true)
	txnSetInt(t, t1, "x", txnInt(t, t1, "x")+1)
	txnSetInt(t, t2, "x", txnInt(t, t2, "x")+1)
	mustCommit(t, t1)
	_, err := t2.Commit(NoSync)
	wantConflict(t, err)
	if n := dbInt(t, d, "x"); n != 1 {
		t.Fatalf("x = %d after one committed increment", n)
	}
}

// TestTxnWriteSkew: two doctors on call (x and y); each transaction
// checks that the other is on call and takes itself off. Under snapshot
// isolation both commit and nobody is on call; here the second fails.
func TestTxnWriteSkew(t *testing.T) {
	d := openTxnDB(t, nil)
	if err := d.Update(func(tx *Txn) error {
		txnSetInt(t, tx, "x", 1)
		txnSetInt(t, tx, "y", 1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	offCall := func(tx *Txn, me string) {
		if txnInt(t, tx, "x")+txnInt(t, tx, "y") >= 2 {
			txnSetInt(t, tx, me, 0)
		}
	}
	t1, t2 := d.NewTransaction(true), d.NewTransaction(true)
	offCall(t1, "x")
	offCall(t2, "y")
	mustCommit(t, t1)
	_, err := t2.Commit(NoSync)
	wantConflict(t, err)
	if n := dbInt(t, d, "x") + dbInt(t, d, "y"); n != 1 {
		t.Fatalf("%d doctors on call, want 1", n)
	}
}

// TestTxnPhantom: one transaction counts the rows of a range (forward or
// backward) and writes the count; another inserts a row into the range.
// Whichever order they commit in, the count agrees with the rows of a
// serial order: when the insert commits first, the counter fails.
func TestTxnPhantom(t *testing.T) {
	for _, backward := range []bool{false, true} {
		for _, insertFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("backward=%v,insertFirst=%v", backward, insertFirst), func(t *testing.T) {
				d := openTxnDB(t, nil)
				mustSet(t, d, "emp/1", "x", NoSync)
				mustSet(t, d, "emp/2", "x", NoSync)
				mustSet(t, d, "zzz", "x", NoSync)
				counter, inserter := d.NewTransaction(true), d.NewTransaction(true)
				n := countRange(t, counter, backward)
				txnSetInt(t, counter, "count", n)
				txnSet(t, inserter, "emp/3", "x")
				first, second := counter, inserter
				if insertFirst {
					first, second = inserter, counter
				}
				mustCommit(t, first)
				_, err := second.Commit(NoSync)
				if insertFirst {
					wantConflict(t, err)
					if got := dbInt(t, d, "count"); got != 0 {
						t.Fatalf("count %d committed beside the insert", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("insert after the count: %v", err)
				}
				if got := dbInt(t, d, "count"); got != 2 {
					t.Fatalf("count = %d, want 2 (counted before the insert)", got)
				}
			})
		}
	}
}

// countRange counts the keys of [emp/, emp0).
func countRange(t *testing.T, tx *Txn, backward bool) int {
	t.Helper()
	it, err := tx.NewIter(&IterOptions{LowerBound: []byte("emp/"), UpperBound: []byte("emp0")})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	if backward {
		for ok := it.Last(); ok; ok = it.Prev() {
			n++
		}
	} else {
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTxnReadOnlyAnomaly is Fekete, O'Neil and O'Neil's read-only
// transaction anomaly (2004). Checking x and savings y start at 0. T2
// withdraws 10 from x, charging a penalty of 1 if x+y would go negative;
// T1 deposits 20 into y; T3 only reads x and y. Interleaved as
//
//	T2 reads x, y (0, 0); T1 reads y, writes y=20, commits;
//	T3 reads x, y (0, 20), commits; T2 writes x=-11, commits
//
// snapshot isolation commits all three, and T3's view (the deposit made,
// the withdrawal not) fits no serial order: T2 must precede T1 (it did
// not see the deposit) yet follow T3. Here the read-only T3 commits, and
// T2, which read y before T1 wrote it, fails: no update transaction can
// complete the cycle around what T3 saw. Retried, T2 sees the deposit
// and charges no penalty.
func TestTxnReadOnlyAnomaly(t *testing.T) {
	d := openTxnDB(t, nil)
	withdraw := func(tx *Txn) {
		x, y := txnInt(t, tx, "x"), txnInt(t, tx, "y")
		if x+y-10 < 0 {
			txnSetInt(t, tx, "x", x-11)
		} else {
			txnSetInt(t, tx, "x", x-10)
		}
	}
	t2 := d.NewTransaction(true)
	x, y := txnInt(t, t2, "x"), txnInt(t, t2, "y")
	t1 := d.NewTransaction(true)
	txnSetInt(t, t1, "y", txnInt(t, t1, "y")+20)
	mustCommit(t, t1)
	t3 := d.NewTransaction(false)
	seen := [2]int{txnInt(t, t3, "x"), txnInt(t, t3, "y")}
	mustCommit(t, t3)
	if x+y-10 < 0 {
		txnSetInt(t, t2, "x", x-11)
	}
	_, err := t2.Commit(NoSync)
	wantConflict(t, err)
	if seen != [2]int{0, 20} {
		t.Fatalf("T3 saw %v, want the state after T1 alone", seen)
	}
	if err := d.Update(func(tx *Txn) error { withdraw(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := [2]int{dbInt(t, d, "x"), dbInt(t, d, "y")}; got != [2]int{-10, 20} {
		t.Fatalf("after T1, T3, T2: x, y = %v, want [-10 20] (no penalty)", got)
	}
}

// TestTxnSuffixComparer: under a version-suffix Comparer, a Get reads its
// key's whole prefix group, so a write of any version of the row
// conflicts (whether or not it is older than the version read) and a
// write of another row does not; a scan and a logical-prefix iterator
// read the rows they pass.
func TestTxnSuffixComparer(t *testing.T) {
	d := openTxnDB(t, &Options{Comparer: FixedSuffixComparer(8)})
	put := func(row string, ts uint64) {
		t.Helper()
		if err := d.Set(versioned(row, ts), []byte(row), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	for _, row := range []string{"a", "b", "d", "x", "y"} {
		put(row, 5)
	}
	reads := []struct {
		name string
		read func(tx *Txn)
	}{
		{"get x@7", func(tx *Txn) {
			if v, err := tx.Get(versioned("x", 7)); err != nil || string(v) != "x" {
				t.Fatalf("get x@7 = %q, %v", v, err)
			}
		}},
		{"logical prefix x", func(tx *Txn) {
			it, err := tx.NewIter(&IterOptions{Prefix: []byte("x"), LogicalPrefix: true})
			if err != nil {
				t.Fatal(err)
			}
			for ok := it.First(); ok; ok = it.Next() {
			}
			it.Close()
		}},
	}
	writes := []struct {
		row      string
		ts       uint64
		conflict bool
	}{
		{"x", 3, true}, // older than the version read
		{"x", 6, true}, // newer than it, at or below the read's version
		{"x", 9, true}, // above the read's version: the group counts
		{"y", 6, false},
		{"w", 6, false},
	}
	for _, r := range reads {
		for _, w := range writes {
			tx := d.NewTransaction(true)
			r.read(tx)
			if err := tx.Set(versioned("out", 1), nil); err != nil {
				t.Fatal(err)
			}
			put(w.row, w.ts)
			_, err := tx.Commit(NoSync)
			if w.conflict != errors.Is(err, ErrConflict) || !w.conflict && err != nil {
				t.Fatalf("%s, then a write of %s@%d: commit %v, want conflict %v", r.name, w.row, w.ts, err, w.conflict)
			}
		}
	}

	// A scan of rows [a, c): bounded by PrefixStart, before every version
	// of c.
	cmp := d.cmp
	for _, w := range []struct {
		row      string
		conflict bool
	}{{"b", true}, {"a", true}, {"c", false}, {"e", false}} {
		tx := d.NewTransaction(true)
		it, err := tx.NewIter(&IterOptions{LowerBound: cmp.PrefixStart([]byte("a")), UpperBound: cmp.PrefixStart([]byte("c"))})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		it.Close()
		if n != 2 {
			t.Fatalf("scan of [a, c) saw %d rows", n)
		}
		if err := tx.Set(versioned("out", 1), nil); err != nil {
			t.Fatal(err)
		}
		put(w.row, 1)
		_, err = tx.Commit(NoSync)
		if w.conflict != errors.Is(err, ErrConflict) || !w.conflict && err != nil {
			t.Fatalf("scan of [a, c), then a write of %s@1: commit %v, want conflict %v", w.row, err, w.conflict)
		}
	}

	// A reverse scan that stops at row d read d's whole group: a newer
	// version of d, which sorts before the version it yielded, conflicts.
	for _, w := range []struct {
		row      string
		conflict bool
	}{{"d", true}, {"b", false}, {"x", false}} {
		tx := d.NewTransaction(true)
		it, err := tx.NewIter(&IterOptions{UpperBound: cmp.PrefixStart([]byte("e"))})
		if err != nil {
			t.Fatal(err)
		}
		if !it.Last() || !cmp.HasPrefix(it.Key(), []byte("d")) {
			t.Fatalf("Last of [, e) = %q", it.Key())
		}
		it.Close()
		if err := tx.Set(versioned("out", 1), nil); err != nil {
			t.Fatal(err)
		}
		put(w.row, 100)
		_, err = tx.Commit(NoSync)
		if w.conflict != errors.Is(err, ErrConflict) || !w.conflict && err != nil {
			t.Fatalf("reverse scan to d, then a write of %s@100: commit %v, want conflict %v", w.row, err, w.conflict)
		}
	}
}
