package cluster

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
)

// execLog returns a transaction entry: watches, then queued commands.
func execLog(idx uint64, now int64, watches []watched, queued ...[]string) *raft.Log {
	var q [][][]byte
	for _, c := range queued {
		args := make([][]byte, len(c))
		for i, a := range c {
			args[i] = []byte(a)
		}
		q = append(q, args)
	}
	return &raft.Log{Index: idx, Type: raft.LogCommand, Data: encodeEntry(now, execEntry(watches, q))}
}

// TestFSMWatch: WATCH's outcomes as the state machine decides them from
// the versions and delete records alone, one case per row of
// watchChanged's rules.
func TestFSMWatch(t *testing.T) {
	db := openTestDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	f, err := openFSM(db, shardPrefix(0), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The index of the entry that wrote each key is its version.
	applyAll(t, f, []*raft.Log{
		entry(1, 1000, "set", "k", "v"),
		entry(2, 1000, "set", "e", "v", "px", "100"),
		entry(3, 1000, "set", "gone", "v", "px", "10"),
	})
	alive := func(key string, ver, seen uint64) watched {
		return watched{key: []byte(key), stored: true, alive: true, version: ver, seen: seen}
	}
	absent := func(key string, seen uint64) watched { return watched{key: []byte(key), seen: seen} }
	dead := func(key string, ver, seen uint64) watched {
		return watched{key: []byte(key), stored: true, version: ver, seen: seen}
	}
	cases := []struct {
		name    string
		log     *raft.Log
		aborted bool
	}{
		{"untouched", execLog(4, 1020, []watched{alive("k", 1, 3)}, []string{"get", "k"}), false},
		{"expired since", execLog(5, 1200, []watched{alive("e", 2, 3)}), true},
		{"expired then and now", execLog(6, 1200, []watched{dead("gone", 3, 3)}), false},
		{"absent then and now", execLog(7, 1200, []watched{absent("n", 6)}), false},
	}
	for _, c := range cases {
		if got := applyAll(t, f, []*raft.Log{c.log})[0]; got.aborted != c.aborted {
			t.Fatalf("%s: aborted %v, want %v (%+v)", c.name, got.aborted, c.aborted, got)
		}
	}
	applyAll(t, f, []*raft.Log{
		entry(8, 1300, "set", "k", "v"), // the same value
		entry(9, 1300, "set", "n", "1"),
		entry(10, 1300, "del", "n"),
		entry(11, 1300, "set", "gone", "w"),
	})
	cases = []struct {
		name    string
		log     *raft.Log
		aborted bool
	}{
		{"rewritten with the same value", execLog(12, 1300, []watched{alive("k", 1, 7)}), true},
		{"created and deleted since", execLog(13, 1300, []watched{absent("n", 7)}), true},
		{"deleted before WATCH", execLog(14, 1300, []watched{absent("n", 10)}), false},
		{"expired one rewritten", execLog(15, 1300, []watched{dead("gone", 3, 7)}), true},
		{"one of two changed", execLog(16, 1300, []watched{alive("k", 8, 11), alive("gone", 1, 11)}), true},
		{"both current", execLog(17, 1300, []watched{alive("k", 8, 11), alive("gone", 11, 11)}, []string{"incr", "c"}), false},
	}
	for _, c := range cases {
		if got := applyAll(t, f, []*raft.Log{c.log})[0]; got.aborted != c.aborted {
			t.Fatalf("%s: aborted %v, want %v (%+v)", c.name, got.aborted, c.aborted, got)
		}
	}
	if e := readKey(t, db, f, "c", 1300); string(e.Val) != "1" || e.Ver != 17 {
		t.Fatalf("c after the committed transaction = %+v, want 1 at version 17", e)
	}
}

// TestFSMExecFlush: FLUSHDB inside a transaction's entry flushes the
// shard in its place among the queued commands (a write before it is
// gone, one after it stays), records a delete in every bucket, and
// flushes nothing when its arguments are wrong or WATCH aborts.
func TestFSMExecFlush(t *testing.T) {
	db := openTestDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	f, err := openFSM(db, shardPrefix(0), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	applyAll(t, f, []*raft.Log{entry(1, 1000, "set", "a", "1")})
	got := applyAll(t, f, []*raft.Log{
		execLog(2, 1000, nil, []string{"set", "b", "2"}, []string{"flushdb", "bad"}, []string{"get", "a"}),
		execLog(3, 1000, []watched{{key: []byte("b"), seen: 1}}, []string{"flushdb"}),
		execLog(4, 1000, nil, []string{"set", "c", "3"}, []string{"FLUSHDB", "SYNC"}, []string{"set", "d", "4"},
			[]string{"get", "c"}, []string{"get", "d"}),
	})
	want := [][]string{
		{"+OK\r\n", "-ERR syntax error\r\n", "$1\r\n1\r\n"},
		nil, // aborted: b was written after WATCH
		{"+OK\r\n", "+OK\r\n", "+OK\r\n", "$-1\r\n", "$1\r\n4\r\n"},
	}
	for i, r := range got {
		if fmt.Sprintf("%q", r.replies) != fmt.Sprintf("%q", want[i]) || r.aborted != (want[i] == nil) {
			t.Errorf("entry %d: %+v, want replies %q", i+2, r, want[i])
		}
	}
	for key, val := range map[string]string{"a": "", "b": "", "c": "", "d": "4"} {
		if e := readKey(t, db, f, key, 1000); string(e.Val) != val {
			t.Errorf("%s after the flush = %q, want %q", key, e.Val, val)
		}
	}
	for _, key := range []string{"a", "nokey"} {
		if at, err := f.deletedAt(db, []byte(key)); err != nil || at != 4 {
			t.Errorf("delete record of %s's bucket = %d, %v; want 4 (the flush)", key, at, err)
		}
	}
}
