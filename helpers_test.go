package tempest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// smallOptions returns options with tiny sizes so tests exercise many
// memtable rotations and flushes.
func smallOptions(fs vfs.FS) *Options {
	return &Options{
		FS:                    fs,
		MemTableSize:          MinMemTableSize,
		MaxImmutableMemTables: 2,
		BlockSize:             512,
		SeqNumLeaseStep:       100,
		FileNumLeaseStep:      5,
		L0CompactionThreshold: 2,
		LBaseMaxBytes:         128 << 10,
		LevelMultiplier:       4,
		TargetFileSize:        32 << 10,
	}
}

func mustOpen(t testing.TB, dir string, o *Options) *DB {
	t.Helper()
	d, err := Open(dir, o)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return d
}

func mustClose(t testing.TB, d *DB) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func mustSet(t testing.TB, d *DB, k, v string, o *WriteOptions) {
	t.Helper()
	if err := d.Set([]byte(k), []byte(v), o); err != nil {
		t.Fatalf("set %q: %v", k, err)
	}
}

func mustGet(t testing.TB, d *DB, k, want string) {
	t.Helper()
	got, err := d.Get([]byte(k))
	if err != nil {
		t.Fatalf("get %q: %v (want %q)", k, err, want)
	}
	if string(got) != want {
		t.Fatalf("get %q = %q, want %q", k, got, want)
	}
}

func mustNotFound(t testing.TB, d *DB, k string) {
	t.Helper()
	got, err := d.Get([]byte(k))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("get %q = %q, %v; want ErrNotFound", k, got, err)
	}
}

// scanAll returns the DB's visible contents as "k=v" strings in order.
func scanAll(t testing.TB, it *Iterator) []string {
	t.Helper()
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	return out
}

// dump returns every visible key/value in a map.
func dump(t testing.TB, d *DB) map[string]string {
	t.Helper()
	m := make(map[string]string)
	for kv, err := range d.All(nil, nil) {
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		m[string(kv.Key)] = string(kv.Value)
	}
	return m
}

// manualScheduler queues background tasks until the test runs them.
type manualScheduler struct{ tasks []func() }

func (s *manualScheduler) Schedule(task func()) { s.tasks = append(s.tasks, task) }

func (s *manualScheduler) runAll() {
	for len(s.tasks) > 0 {
		t := s.tasks[0]
		s.tasks = s.tasks[1:]
		t()
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5bd1e995)) }

// envInt returns the positive integer in environment variable name (the
// size of a long run), or def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}
