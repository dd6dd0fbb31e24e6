//go:build unix

package tempest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The child process of TestReadsUnderFileLimit reads the database in
// fileLimitChildEnv with its descriptor limit set to fileLimit, and checks
// it against the JSON file in fileLimitWantEnv.
const (
	fileLimitChildEnv = "TEMPEST_FILE_LIMIT_CHILD_DIR"
	fileLimitWantEnv  = "TEMPEST_FILE_LIMIT_CHILD_WANT"
	fileLimit         = 64
	fileLimitTables   = 300 // live SSTs the database must hold
)

// fileLimitWant is the state the child must read.
type fileLimitWant struct {
	Keys int         // keys fileLimitKey(0..Keys-1) were written
	KVs  [][2]string // the live ones, in key order
}

func fileLimitKey(i int) string { return fmt.Sprintf("key%06d", i) }

// TestReadsUnderFileLimit builds a database of more than 300 live SSTs,
// most in the bottom level and a few in L0 (overwrites, deletes and a
// range delete) plus writes left in the WAL, then reads it in a child
// process whose RLIMIT_NOFILE is 64 (as after ulimit -n 64): every Get,
// a full scan forward and backward, and DB.Check must succeed and return
// exactly what was written. A table cache that keeps every reader open
// fails there with "too many open files".
func TestReadsUnderFileLimit(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	dir := t.TempDir()
	d := mustOpen(t, dir, &Options{
		MemTableSize:                MinMemTableSize,
		TargetFileSize:              4096,
		BlockSize:                   1024,
		Compression:                 NoCompression,
		DisableAutomaticCompactions: true,
	})
	model := make(map[string]string)
	const keys = 11_000
	value := func(tag string) string {
		b := make([]byte, 60+rng.IntN(80))
		for i := range b {
			b[i] = 'a' + byte(rng.IntN(26))
		}
		return tag + string(b)
	}
	set := func(k, v string) {
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	for i := range keys {
		set(fileLimitKey(i), value("v1-"))
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	for round := range 4 {
		for range 150 {
			set(fileLimitKey(rng.IntN(keys)), value(fmt.Sprintf("v2.%d-", round)))
		}
		for range 50 {
			k := fileLimitKey(rng.IntN(keys))
			if err := d.Delete([]byte(k), NoSync); err != nil {
				t.Fatal(err)
			}
			delete(model, k)
		}
		if round == 2 {
			lo := rng.IntN(keys - 40)
			if err := d.DeleteRange([]byte(fileLimitKey(lo)), []byte(fileLimitKey(lo+30)), NoSync); err != nil {
				t.Fatal(err)
			}
			for i := lo; i < lo+30; i++ {
				delete(model, fileLimitKey(i))
			}
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // left in the WAL
		set(fileLimitKey(rng.IntN(keys)), value("v3-"))
	}
	m := d.Metrics()
	if n := liveTables(m); n < fileLimitTables || m.Levels[0].Files == 0 {
		t.Fatalf("%d live SSTs, %d in L0; want at least %d, some in L0", n, m.Levels[0].Files, fileLimitTables)
	}
	t.Logf("%d live SSTs (%d in L0), %d live keys", liveTables(m), m.Levels[0].Files, len(model))
	mustClose(t, d)

	want := fileLimitWant{Keys: keys}
	for _, k := range slices.Sorted(maps.Keys(model)) {
		want.KVs = append(want.KVs, [2]string{k, model[k]})
	}
	wantPath := filepath.Join(t.TempDir(), "want.json")
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wantPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fileLimitChildEnv+"="+dir, fileLimitWantEnv+"="+wantPath)
	out, err := cmd.CombinedOutput()
	t.Logf("child: %s", bytes.TrimSpace(out))
	if err != nil {
		t.Fatalf("child under RLIMIT_NOFILE %d: %v", fileLimit, err)
	}
	if !bytes.HasPrefix(out, []byte("ok: ")) {
		t.Fatal("child did not report success")
	}
}

// fileLimitChildMain lowers the process's descriptor limit to fileLimit,
// then opens and reads the database; it prints "ok ..." and returns 0, or
// prints the failure and returns 1.
func fileLimitChildMain() int {
	if err := fileLimitChild(); err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	return 0
}

func fileLimitChild() error {
	lim := unix.Rlimit{Cur: fileLimit, Max: fileLimit}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur != fileLimit {
		return fmt.Errorf("RLIMIT_NOFILE is %d (%v), want %d", lim.Cur, err, fileLimit)
	}
	if err := checkFileLimitEnforced(); err != nil {
		return err
	}
	var want fileLimitWant
	b, err := os.ReadFile(os.Getenv(fileLimitWantEnv))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &want); err != nil {
		return err
	}
	var log bytes.Buffer
	d, err := Open(os.Getenv(fileLimitChildEnv), &Options{
		MemTableSize:                MinMemTableSize,
		DisableAutomaticCompactions: true,
		Logger:                      slog.New(slog.NewTextHandler(&log, nil)),
	})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer d.Close()
	if got := d.opts.MaxOpenFiles; got != fileLimit-processFileReserve {
		return fmt.Errorf("MaxOpenFiles %d, want %d under a limit of %d", got, fileLimit-processFileReserve, fileLimit)
	}
	if n := strings.Count(log.String(), "MaxOpenFiles lowered"); n != 1 {
		return fmt.Errorf("the clamp logged %d times, want once:\n%s", n, log.String())
	}
	if n := liveTables(d.Metrics()); n < fileLimitTables {
		return fmt.Errorf("%d live SSTs, want at least %d", n, fileLimitTables)
	}
	gets, err := fileLimitGets(d, &want)
	if err != nil {
		return err
	}
	if err := fileLimitScans(d, want.KVs); err != nil {
		return err
	}
	if err := d.Check(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	m := d.Metrics()
	if m.OpenTables > d.opts.tableCacheSize() {
		return fmt.Errorf("%d tables open after the reads, more than the cache's %d", m.OpenTables, d.opts.tableCacheSize())
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	fmt.Printf("ok: RLIMIT_NOFILE %d, %d live SSTs, %d Gets, 2 scans of %d keys and a check; %d tables open at the end (cache of %d)\n",
		lim.Cur, liveTables(m), gets, len(want.KVs), m.OpenTables, d.opts.tableCacheSize())
	return nil
}

// checkFileLimitEnforced opens files until the limit refuses one with
// EMFILE, which must happen before fileLimit descriptors are open, then
// closes them.
func checkFileLimitEnforced() error {
	var fs []*os.File
	defer func() {
		for _, f := range fs {
			f.Close()
		}
	}()
	for len(fs) < fileLimit {
		f, err := os.Open(os.DevNull)
		if errors.Is(err, unix.EMFILE) {
			return nil
		}
		if err != nil {
			return err
		}
		fs = append(fs, f)
	}
	return fmt.Errorf("opened %d files under RLIMIT_NOFILE %d", len(fs), fileLimit)
}

// fileLimitGets reads every key ever written: the live ones must have
// their value, the others must be absent.
func fileLimitGets(d *DB, want *fileLimitWant) (int, error) {
	live := make(map[string]string, len(want.KVs))
	for _, kv := range want.KVs {
		live[kv[0]] = kv[1]
	}
	for i := range want.Keys {
		k := fileLimitKey(i)
		got, err := d.Get([]byte(k))
		v, ok := live[k]
		switch {
		case ok && err != nil:
			return i, fmt.Errorf("get %s: %w", k, err)
		case ok && string(got) != v:
			return i, fmt.Errorf("get %s = %q, want %q", k, got, v)
		case !ok && !errors.Is(err, ErrNotFound):
			return i, fmt.Errorf("get %s = %q, %v; want ErrNotFound", k, got, err)
		}
	}
	return want.Keys, nil
}

// fileLimitScans scans the whole database forward and backward.
func fileLimitScans(d *DB, kvs [][2]string) error {
	it, err := d.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	var fwd, bwd [][2]string
	for ok := it.First(); ok; ok = it.Next() {
		fwd = append(fwd, [2]string{string(it.Key()), string(it.Value())})
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		bwd = append(bwd, [2]string{string(it.Key()), string(it.Value())})
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	slices.Reverse(bwd)
	for name, got := range map[string][][2]string{"forward": fwd, "backward": bwd} {
		if !slices.Equal(got, kvs) {
			return fmt.Errorf("%s scan: %d entries differ from the %d written", name, len(got), len(kvs))
		}
	}
	return nil
}
