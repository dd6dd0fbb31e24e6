//go:build linux

package tempest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// readOnlyChildEnv makes the test binary act as a read-only reader of the
// database in the named directory (see readOnlyChildMain).
const readOnlyChildEnv = "TEMPEST_READONLY_CHILD_DIR"

// nobody is the user and group the readers run as.
const nobody = "65534"

// readOnlyChildMain is a reader process of TestReadOnlyProcesses, run as
// an unprivileged user. It reports its user id and checks that it cannot
// create a file in the directory; opens the database read-only, reads all
// of it and checks that a write is refused; prints how many frozen
// memtables the WAL filled, then "ready N SUM"; holds
// the database open until its standard input closes; then reads it all
// again, closes it and prints "closed N SUM". N and SUM are the pair
// count and the digest of the pairs (kvDigest). Any failure prints
// "error ..." and exits 2.
func readOnlyChildMain() {
	dir := os.Getenv(readOnlyChildEnv)
	fail := func(format string, args ...any) {
		fmt.Printf("error "+format+"\n", args...)
		os.Exit(2)
	}
	fmt.Printf("uid %d\n", os.Geteuid())
	probe := filepath.Join(dir, "probe")
	if f, err := os.Create(probe); err == nil {
		f.Close()
		os.Remove(probe)
		fail("this process could create %s: the test needs a user who cannot write the directory", probe)
	} else if !errors.Is(err, fs.ErrPermission) {
		fail("creating %s: %v, want a permission error", probe, err)
	}
	d, err := Open(dir, &Options{ReadOnly: true, MemTableSize: MinMemTableSize})
	if err != nil {
		fail("read-only open: %v", err)
	}
	n, sum, err := digestDB(d)
	if err != nil {
		fail("read: %v", err)
	}
	if err := d.Set([]byte("k"), []byte("v"), Sync); !errors.Is(err, ErrReadOnly) {
		fail("Set on a read-only DB: %v", err)
	}
	fmt.Printf("memtables %d\n", d.Metrics().MemTables.Immutable)
	fmt.Printf("ready %d %x\n", n, sum)
	_, _ = io.Copy(io.Discard, os.Stdin)
	n, sum, err = digestDB(d)
	if err != nil {
		fail("second read: %v", err)
	}
	if err := d.Close(); err != nil {
		fail("close: %v", err)
	}
	fmt.Printf("closed %d %x\n", n, sum)
	os.Exit(0)
}

// kvDigest hashes pairs in order: each key and value with its length.
type kvDigest struct {
	h hash.Hash
	n int
}

func newKVDigest() *kvDigest { return &kvDigest{h: sha256.New()} }

func (k *kvDigest) add(key, value []byte) {
	k.h.Write(binary.AppendUvarint(nil, uint64(len(key))))
	k.h.Write(key)
	k.h.Write(binary.AppendUvarint(nil, uint64(len(value))))
	k.h.Write(value)
	k.n++
}

func (k *kvDigest) sum() []byte { return k.h.Sum(nil) }

// digestDB reads every pair of d.
func digestDB(d *DB) (int, []byte, error) {
	dg := newKVDigest()
	for kv, err := range d.All(nil, nil) {
		if err != nil {
			return 0, nil, err
		}
		dg.add(kv.Key, kv.Value)
	}
	return dg.n, dg.sum(), nil
}

// treeHash hashes every entry under root: its path, its mode, and a
// file's bytes. It also returns each entry's own digest, to name what
// changed.
func treeHash(t *testing.T, root string) ([]byte, map[string]string) {
	t.Helper()
	all := sha256.New()
	each := make(map[string]string)
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		h := sha256.New()
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "%s\x00%v\x00", rel, info.Mode())
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		s := h.Sum(nil)
		all.Write(s)
		each[rel] = fmt.Sprintf("%v %x", info.Mode(), s[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Sum(nil), each
}

// chmodTree applies fn to the mode of every entry under root.
func chmodTree(t *testing.T, root string, fn func(fs.FileMode) fs.FileMode) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		return os.Chmod(path, fn(info.Mode()))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// worldTraversable reports whether every directory from / to dir lets
// other users through.
func worldTraversable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil || info.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// publicTempDir returns a new directory that other users can enter and
// read, removed when the test ends.
func publicTempDir(t *testing.T) string {
	t.Helper()
	parent := os.TempDir()
	if !worldTraversable(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "tempest-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		chmodTree(t, dir, func(m fs.FileMode) fs.FileMode { return m | 0o200 })
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !worldTraversable(dir) {
		t.Fatalf("no temporary directory that other users can enter (tried %s)", dir)
	}
	return dir
}

// buildProcessDB writes a database in dir with SSTs in several levels and
// more than one small memtable's worth of pairs only in its WAL, closes
// it, and returns the digest of its contents.
func buildProcessDB(t *testing.T, dir string) (int, []byte) {
	t.Helper()
	model := make(map[string]string)
	d := mustOpen(t, dir, smallOptions(vfs.Default))
	for i := range 3000 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("sst-%d-%s", i, strings.Repeat("v", 60))
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i += 7 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("l0-%d", i)
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	mustClose(t, d)
	o := smallOptions(vfs.Default)
	o.MemTableSize = 4 << 20
	d = mustOpen(t, dir, o)
	for i := 0; i < 3000; i += 2 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("wal-%d-%s", i, strings.Repeat("w", 200))
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	for i := 1; i < 3000; i += 11 {
		k := fmt.Sprintf("key%05d", i)
		if err := d.Delete([]byte(k), NoSync); err != nil {
			t.Fatal(err)
		}
		delete(model, k)
	}
	m := d.Metrics()
	if m.MemTables.Bytes < 3*MinMemTableSize || m.Levels[0].Files+m.Levels[6].Files == 0 {
		t.Fatalf("want SSTs and several small memtables' worth in the WAL: %d memtable bytes, L0 %d, L6 %d",
			m.MemTables.Bytes, m.Levels[0].Files, m.Levels[6].Files)
	}
	mustClose(t, d) // Close does not flush: the WAL keeps the last writes
	dg := newKVDigest()
	for _, k := range slices.Sorted(maps.Keys(model)) {
		dg.add([]byte(k), []byte(model[k]))
	}
	return dg.n, dg.sum()
}

// copyExecutable copies the running test binary to dir, where others can
// run it.
func copyExecutable(t *testing.T, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tempest.test")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// roReader is a running readOnlyChildMain.
type roReader struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startReader(t *testing.T, setpriv, exe, dbDir string) *roReader {
	t.Helper()
	cmd := exec.Command(setpriv, "--reuid="+nobody, "--regid="+nobody, "--clear-groups",
		exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), readOnlyChildEnv+"="+dbDir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &roReader{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

// expect returns the reader's next line, which must start with prefix.
func (r *roReader) expect(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case line, ok := <-r.lines:
		if !ok {
			t.Fatalf("reader exited before %q", prefix)
		}
		rest, found := strings.CutPrefix(line, prefix+" ")
		if !found {
			t.Fatalf("reader said %q, want %q...", line, prefix)
		}
		return rest
	case <-time.After(30 * time.Second):
		t.Fatalf("reader: no %q within 30s", prefix)
	}
	return ""
}

// TestReadOnlyProcesses is the read-only open on a real file system: a
// database with SSTs and unflushed WAL data is made unwritable (chmod -R
// a-w) and read by two processes at once, each running as nobody, which
// cannot write it. Both read every pair back. While both hold it open, a
// writer running as root, whom permissions do not stop, is refused by the
// lock alone with ErrLocked, and a third read-only open (this process)
// shares it. A hash of every file's path, mode and bytes is the same
// before and after.
func TestReadOnlyProcesses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the readers run as user nobody (uid 65534) through setpriv")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("needs setpriv (util-linux) to run the readers as user nobody")
	}
	base := publicTempDir(t)
	dbDir := filepath.Join(base, "db")
	wantN, wantSum := buildProcessDB(t, dbDir)
	want := fmt.Sprintf("%d %x", wantN, wantSum)
	exe := copyExecutable(t, base)
	// chmod -R a-w, and a+rX so that the readers' access does not depend
	// on the umask the files were created with.
	chmodTree(t, dbDir, func(m fs.FileMode) fs.FileMode {
		m = m&^0o222 | 0o444
		if m.IsDir() {
			m |= 0o111
		}
		return m
	})
	before, beforeEach := treeHash(t, dbDir)

	readers := []*roReader{startReader(t, setpriv, exe, dbDir), startReader(t, setpriv, exe, dbDir)}
	for i, r := range readers {
		if uid := r.expect(t, "uid"); uid != nobody {
			t.Fatalf("reader %d runs as uid %s, want %s", i, uid, nobody)
		}
		if frozen, err := strconv.Atoi(r.expect(t, "memtables")); err != nil || frozen < 2 {
			t.Fatalf("reader %d replayed the WAL into %d memtables (%v), want several", i, frozen, err)
		}
		if got := r.expect(t, "ready"); got != want {
			t.Fatalf("reader %d read %s, want %s", i, got, want)
		}
	}
	// Both readers hold the database open now.
	_, err = Open(dbDir, nil)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "open read-only in another process") {
		t.Fatalf("writer while two read-only processes hold the database: %v", err)
	}
	d := mustOpen(t, dbDir, &Options{ReadOnly: true})
	if n, sum, err := digestDB(d); err != nil || fmt.Sprintf("%d %x", n, sum) != want {
		t.Fatalf("third reader: %d %x, %v; want %s", n, sum, err, want)
	}
	mustClose(t, d)
	for i, r := range readers {
		r.stdin.Close()
		if got := r.expect(t, "closed"); got != want {
			t.Fatalf("reader %d read %s the second time, want %s", i, got, want)
		}
		if err := r.cmd.Wait(); err != nil {
			t.Fatalf("reader %d: %v", i, err)
		}
	}

	after, afterEach := treeHash(t, dbDir)
	if string(after) != string(before) {
		for p, h := range beforeEach {
			if afterEach[p] != h {
				t.Errorf("%s: %s before, %q after", p, h, afterEach[p])
			}
		}
		for p, h := range afterEach {
			if _, ok := beforeEach[p]; !ok {
				t.Errorf("%s: new (%s)", p, h)
			}
		}
		t.Fatalf("the database directory changed")
	}
	t.Logf("%d pairs read by 2 read-only processes as uid %s; %d entries unchanged (tree sha256 %x)",
		wantN, nobody, len(beforeEach), before[:8])

	// Once the readers are gone, a writer may open it.
	chmodTree(t, dbDir, func(m fs.FileMode) fs.FileMode { return m | 0o200 })
	d = mustOpen(t, dbDir, nil)
	defer mustClose(t, d)
	if n, sum, err := digestDB(d); err != nil || fmt.Sprintf("%d %x", n, sum) != want {
		t.Fatalf("writer after the readers: %d %x, %v; want %s", n, sum, err, want)
	}
}
