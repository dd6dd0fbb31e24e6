package cluster

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

func openTestDB(t *testing.T, dir string) *tempest.DB {
	t.Helper()
	db, err := tempest.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func entry(idx uint64, now int64, args ...string) *raft.Log {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return &raft.Log{Index: idx, Type: raft.LogCommand, Data: encodeEntry(now, argv)}
}

func applyAll(t *testing.T, f *shardFSM, logs []*raft.Log) []applyResult {
	t.Helper()
	var out []applyResult
	for _, l := range logs {
		r, ok := f.Apply(l).(applyResult)
		if !ok {
			t.Fatalf("entry %d: no applyResult", l.Index)
		}
		out = append(out, r)
	}
	return out
}

// replyString is a one-command entry's reply as redis-cli shows it:
// "(nil)", an integer, "-ERR ...", or the string.
func replyString(r applyResult) string {
	raw := r.whole
	if raw == nil && len(r.replies) == 1 {
		raw = r.replies[0]
	}
	v, _, err := resp.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("unparsable %q", raw)
	case v.Null:
		return "(nil)"
	case v.Kind == '-':
		return "-" + v.Str
	}
	return v.Str
}

// readKey reads key from shard f's state at now.
func readKey(t *testing.T, db *tempest.DB, f *shardFSM, key string, now int64) rediscmd.Entry {
	t.Helper()
	tx := &rediscmd.Txn{R: db, Prefix: withSub(f.prefix, subData), Now: now}
	e, _, err := tx.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFSMDeterministic: NX/XX, INCR and expiry are decided from the
// entries alone (the leader's clock in each), so two replicas applying
// the same log reply the same and hold the same data; expiry follows the
// entry's clock, never the replica's.
func TestFSMDeterministic(t *testing.T) {
	logs := []*raft.Log{
		entry(1, 1000, "set", "k", "v1"),
		entry(2, 1001, "set", "k", "v2", "nx"),
		entry(3, 1002, "set", "k", "v3", "xx", "px", "100"),
		entry(4, 1050, "incr", "n"),
		entry(5, 1051, "incrby", "n", "41"),
		entry(6, 1102, "set", "k", "v4", "xx"), // k expired at 1102
		entry(7, 1103, "set", "k", "v5", "nx"),
		entry(8, 1104, "incr", "k"),
		entry(9, 1105, "set", "t", "x", "ex", "0"),
		entry(10, 900, "set", "z", "late", "px", "150"), // clock behind: raised to 1105
		entry(11, 1106, "msetnx", "m1", "1", "m2", "2"),
		entry(12, 1107, "expire", "m1", "10", "nx"),
		entry(13, 1108, "pexpireat", "m2", "1200", "gt"), // no TTL: GT refuses
		entry(14, 1109, "pexpireat", "m2", "1109"),       // at the shard's clock: deleted
	}
	want := []string{"OK", "(nil)", "OK", "1", "42", "(nil)", "OK", "-ERR value is not an integer or out of range", "-ERR invalid expire time in 'set' command", "OK",
		"1", "1", "0", "1"}
	var data [][]byte
	for r := range 2 {
		db := openTestDB(t, filepath.Join(t.TempDir(), "db"))
		f, err := openFSM(db, shardPrefix(1), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for i, rep := range applyAll(t, f, logs) {
			if got := replyString(rep); got != want[i] {
				t.Fatalf("replica %d entry %d: %q, want %q", r, i+1, got, want[i])
			}
		}
		if e := readKey(t, db, f, "z", 1200); string(e.Val) != "late" || e.Exp != 1255 || e.Ver != 10 {
			t.Fatalf("z = %+v, want late expiring at 1255 (the shard's clock + 150), version 10", e)
		}
		if e := readKey(t, db, f, "m1", 1200); e.Exp != 11107 {
			t.Fatalf("m1 expires at %d, want 11107 (entry 12's clock + 10 s)", e.Exp)
		}
		if e := readKey(t, db, f, "m2", 1200); e.Val != nil {
			t.Fatalf("m2 = %+v after PEXPIREAT at the shard's clock, want deleted", e)
		}
		if f.applied.Load() != 14 {
			t.Fatalf("applied %d, want 14", f.applied.Load())
		}
		d, err := shardDataDB(db, 1)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, d)
		db.Close()
	}
	if !bytes.Equal(data[0], data[1]) {
		t.Fatal("two replicas of one log hold different data")
	}
}

// TestFSMSkipsAppliedAfterRestart: a reopened FSM (as after a restart
// with NoSnapshotRestoreOnStart, when raft replays the log) skips the
// entries at or below its stored applied index, so INCR is not applied
// twice.
func TestFSMSkipsAppliedAfterRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db := openTestDB(t, dir)
	f, _ := openFSM(db, shardPrefix(0), t.TempDir())
	logs := []*raft.Log{entry(1, 1, "incr", "n"), entry(2, 2, "incr", "n"), entry(3, 3, "incr", "n")}
	applyAll(t, f, logs[:2])
	db.Close()

	db = openTestDB(t, dir)
	defer db.Close()
	f, err := openFSM(db, shardPrefix(0), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if f.applied.Load() != 2 || f.lastNow.Load() != 2 {
		t.Fatalf("reopened: applied %d clock %d, want 2 and 2", f.applied.Load(), f.lastNow.Load())
	}
	reps := applyAll(t, f, logs)
	if replyString(reps[2]) != "3" {
		t.Fatalf("entry 3 after replay of 1 and 2: %s, want 3", replyString(reps[2]))
	}
	if e := readKey(t, db, f, "n", 10); string(e.Val) != "3" {
		t.Fatalf("n = %q, want 3", e.Val)
	}
}

func TestEntryRoundTrip(t *testing.T) {
	argv := [][]byte{[]byte("set"), []byte(""), bytes.Repeat([]byte("x"), 300)}
	now, got, err := decodeEntry(encodeEntry(42, argv))
	if err != nil || now != 42 || len(got) != 3 || !bytes.Equal(got[2], argv[2]) || len(got[1]) != 0 {
		t.Fatalf("decode: %d %q %v", now, got, err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, append(encodeEntry(1, argv), 0x80)} {
		if _, _, err := decodeEntry(bad); err == nil {
			t.Errorf("decodeEntry(%x) succeeded", bad)
		}
	}
}

// shardDataDB is shard s's delete records and data in db, as one byte
// string.
func shardDataDB(db *tempest.DB, s int) ([]byte, error) {
	p := shardPrefix(s)
	var out []byte
	for kv, err := range db.All(withSub(p, subDeletes), withSub(p, subData+1)) {
		if err != nil {
			return nil, err
		}
		out = append(append(append(out, kv.Key...), 0), kv.Value...)
	}
	return out, nil
}
