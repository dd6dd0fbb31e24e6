package server

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/resp"
)

// storedVersions counts the engine's stored entries for a Redis key:
// after a compaction, 0 means the key and everything it hid are gone.
func storedVersions(t *testing.T, s *Server, key string) int {
	t.Helper()
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	sk := storeKey([]byte(key))
	for ok := it.SeekGE(sk); ok && bytes.Equal(it.Key(), sk); ok = it.Next() {
		n++
	}
	return n
}

// TestExpiryHidesOlderVersions: an expired value reads as deleted and
// never reveals the version below it, in the memtable, after a flush,
// after the sweep and a compaction (which drop the key entirely), and
// after a restart.
func TestExpiryHidesOlderVersions(t *testing.T) {
	dir := t.TempDir()
	s := startTempest(t, Config{Dir: dir, SweepEvery: -1})
	c := dialRaw(t, s.Addr().String())
	expect := func(want string, args ...string) {
		t.Helper()
		if got := string(c.Do(args...)); got != want {
			t.Fatalf("%q: got %q, want %q", args, got, want)
		}
	}
	expect("+OK\r\n", "SET", "k", "v1")
	expect("+OK\r\n", "SET", "keep", "old")
	if err := s.db.Flush(); err != nil { // v1 in an SST, below what follows
		t.Fatal(err)
	}
	expect("+OK\r\n", "SET", "k", "v2", "PX", "400")
	expect("+OK\r\n", "SET", "keep", "new", "PX", "100000")
	expect("$2\r\nv2\r\n", "GET", "k")
	time.Sleep(450 * time.Millisecond)
	expect("$-1\r\n", "GET", "k")
	expect(":0\r\n", "EXISTS", "k")
	expect(":-2\r\n", "TTL", "k")
	expect(":0\r\n", "STRLEN", "k")
	expect("*0\r\n", "KEYS", "k")
	expect("$-1\r\n", "SET", "k", "again", "XX", "GET") // XX: k is absent
	expect(":1\r\n", "INCR", "k")                       // from 0, not from v1
	expect(":1\r\n", "DEL", "k")
	expect("+OK\r\n", "SET", "k", "v3", "PX", "50")
	if err := s.db.Flush(); err != nil { // the expiring version in an SST too
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	expect("$-1\r\n", "GET", "k")
	if n := storedVersions(t, s, "k"); n != 1 {
		t.Fatalf("before the sweep: the engine shows %d entries for k, want 1 (the expired value)", n)
	}
	swept, err := s.SweepExpired()
	if err != nil || swept != 1 {
		t.Fatalf("SweepExpired: %d, %v; want 1 key", swept, err)
	}
	expect("$-1\r\n", "GET", "k")
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Compact(context.Background(), []byte{keyPrefix}, []byte{keyPrefix + 1}); err != nil {
		t.Fatal(err)
	}
	expect("$-1\r\n", "GET", "k")
	if n := storedVersions(t, s, "k"); n != 0 {
		t.Fatalf("after sweep and compaction: %d stored versions of k, want 0", n)
	}
	expect("$3\r\nnew\r\n", "GET", "keep")
	ttlReply := c.Do("TTL", "keep")
	ttl, ok := resp.ParseInt(ttlReply[1 : len(ttlReply)-2])
	if !ok || ttl < 90 || ttl > 100 { // SET ... PX 100000 a few seconds ago at most
		t.Fatalf("TTL keep = %q", ttlReply)
	}
	pttl, ok := resp.ParseInt(bytes.TrimSuffix(bytes.TrimPrefix(c.Do("PTTL", "keep"), []byte(":")), []byte("\r\n")))
	if !ok || pttl <= 90000 || pttl > 100000 {
		t.Fatalf("PTTL keep = %d", pttl)
	}
	expect(":-2\r\n", "TTL", "nothing-else")
	expect("+OK\r\n", "SET", "p", "v1")
	expect("+OK\r\n", "SET", "p", "v2", "EX", "1")
	expect("$2\r\nv2\r\n", "GET", "p")
	pExpiry := time.Now().Add(time.Second)

	// A restart reads the same: the expiry is in the stored value.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startTempest(t, Config{Dir: dir})
	c = dialRaw(t, s.Addr().String())
	expect("$-1\r\n", "GET", "k")
	expect("$3\r\nnew\r\n", "GET", "keep")
	time.Sleep(time.Until(pExpiry) + 100*time.Millisecond)
	expect("$-1\r\n", "GET", "p") // SET p v1; SET p v2 EX 1; a second later: nil, not v1
}
