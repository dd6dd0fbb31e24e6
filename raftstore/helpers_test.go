package raftstore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/testutil"
)

// openDB opens (or reopens) the Tempest DB in dir with small memtables,
// so that tests reach flushed tables soon.
func openDB(t testing.TB, dir string) *tempest.DB {
	t.Helper()
	db, err := tempest.Open(dir, &tempest.Options{MemTableSize: tempest.MinMemTableSize})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// newStore returns the Store of prefix in db.
func newStore(t testing.TB, db *tempest.DB, prefix string) *Store {
	t.Helper()
	s, err := New(db, []byte(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testLog returns the entry the tests write at index in term.
func testLog(index, term uint64) *raft.Log {
	l := &raft.Log{Index: index, Term: term, Type: raft.LogCommand, Data: fmt.Appendf(nil, "cmd-%d-%d", index, term)}
	if index%3 == 0 {
		l.Extensions = []byte{byte(index)}
	}
	if index%2 == 0 {
		l.AppendedAt = time.Unix(0, int64(index)*1e6+7)
	}
	return l
}

// sameLog reports whether a and b are equal as raft reads them.
func sameLog(a, b *raft.Log) bool {
	return a.Index == b.Index && a.Term == b.Term && a.Type == b.Type &&
		bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Extensions, b.Extensions) &&
		a.AppendedAt.Equal(b.AppendedAt)
}

// checkBounds fails unless s reports first and last.
func checkBounds(t testing.TB, s *Store, first, last uint64) {
	t.Helper()
	f, err := s.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	if f != first || l != last {
		t.Fatalf("bounds %d..%d, want %d..%d", f, l, first, last)
	}
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

func newRand(seed uint64) *rand.Rand { return testutil.NewRand(seed) }

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
