package rediscmd

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest"
)

// sweepDB opens a DB holding keys k00..k19 under prefix "x": the even
// ones expired at 100, the odd ones without expiry.
func sweepDB(t *testing.T) (*tempest.DB, [][]byte) {
	t.Helper()
	db, err := tempest.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := db.NewIndexedBatch()
	tx := &Txn{R: b, B: b, Prefix: []byte("x")}
	var expired [][]byte
	for i := range 20 {
		k := []byte(fmt.Sprintf("k%02d", i))
		e := Entry{Val: []byte("v")}
		if i%2 == 0 {
			e.Exp = 100
			expired = append(expired, k)
		}
		if err := tx.Set(k, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	return db, expired
}

// TestFindExpiredSlices: a step lists the expired keys among n entries
// and resumes after them; a byte budget ends a step early; the steps of
// one pass list every expired key once and end with nil. Before their
// expiry nothing is listed.
func TestFindExpiredSlices(t *testing.T) {
	db, want := sweepDB(t)
	tx := &Txn{R: db, Prefix: []byte("x"), Now: 100}
	got, next, err := tx.FindExpired(nil, 5, 0)
	if err != nil || len(got) != 3 || string(got[2]) != "k04" || string(next) != "k05" {
		t.Fatalf("first 5: %q next %q, %v; want k00 k02 k04, next k05", got, next, err)
	}
	got, next, err = tx.FindExpired([]byte("k05"), 100, 7) // the third key reaches 7 bytes
	if err != nil || len(got) != 3 || string(got[0]) != "k06" || string(next) != "k11" {
		t.Fatalf("from k05 with 7 bytes: %q next %q, %v; want k06 k08 k10, next k11", got, next, err)
	}
	var all [][]byte
	var from []byte
	for steps := 0; ; steps++ {
		got, next, err := tx.FindExpired(from, 3, 4)
		if err != nil || steps > 20 {
			t.Fatalf("step %d: %v", steps, err)
		}
		all = append(all, got...)
		if next == nil {
			break
		}
		from = next
	}
	if !slices.EqualFunc(all, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("one pass listed %q, want %q", all, want)
	}
	early := &Txn{R: db, Prefix: []byte("x"), Now: 99}
	if got, next, err := early.FindExpired(nil, 100, 0); len(got) != 0 || next != nil || err != nil {
		t.Fatalf("at 99: %q next %q, %v; want nothing", got, next, err)
	}
}

// TestPurgeExpired: only the listed keys still expired when re-read are
// deleted, with their versions; a key written since and an absent key
// are left alone, and nothing is touched.
func TestPurgeExpired(t *testing.T) {
	db, _ := sweepDB(t)
	b := db.NewIndexedBatch()
	tx := &Txn{R: b, B: b, Prefix: []byte("x"), Now: 100, Version: 9}
	if err := tx.Set([]byte("k02"), Entry{Val: []byte("new")}); err != nil { // rewritten since listed
		t.Fatal(err)
	}
	tx.Touched = nil
	purged, err := tx.PurgeExpired([][]byte{[]byte("k00"), []byte("k01"), []byte("k02"), []byte("absent")})
	if err != nil || len(purged) != 1 || string(purged[0].Key) != "k00" || purged[0].Ver != 0 {
		t.Fatalf("purged %+v, %v; want k00 alone", purged, err)
	}
	if len(tx.Touched) != 0 {
		t.Fatalf("a purge touched %q", tx.Touched)
	}
	for k, stored := range map[string]bool{"k00": false, "k01": true, "k02": true} {
		if _, ok, err := tx.GetRaw([]byte(k)); ok != stored || err != nil {
			t.Fatalf("%s stored %v (%v), want %v", k, ok, err, stored)
		}
	}
}
