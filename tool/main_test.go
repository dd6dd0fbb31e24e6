package tool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testSeed returns the seed of a random test (-seed, TEMPEST_SEED or the
// clock) and logs it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	return testutil.Seed(t)
}

// result is what one in-process run of the command produced.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs the command in process with args (and --progress=off unless
// args set it).
func run(t testing.TB, args ...string) result {
	t.Helper()
	return runWithInput(t, nil, args...)
}

func runWithInput(t testing.TB, stdin []byte, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if !strings.Contains(strings.Join(args, " "), "--progress") {
		args = append(args, "--progress=off")
	}
	root := New(&stdout, &stderr)
	root.SetArgs(args)
	root.SetIn(bytes.NewReader(stdin))
	err := root.Execute()
	if err != nil {
		fmt.Fprintln(&stderr, "tempest:", message(err))
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err)}
}

// mustRun runs args and fails the test unless the command exits 0.
func mustRun(t testing.TB, args ...string) result {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("tempest %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// expectFail runs args and checks the exit code and that stderr is one
// line starting "tempest: " and containing want.
func expectFail(t testing.TB, code int, want string, args ...string) result {
	t.Helper()
	r := run(t, args...)
	if r.code != code {
		t.Fatalf("tempest %s: want exit %d: %v", strings.Join(args, " "), code, r)
	}
	checkErrorLine(t, r.stderr, want)
	return r
}

// checkErrorLine checks that stderr is exactly one "tempest: " line that
// contains want.
func checkErrorLine(t testing.TB, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "tempest: ") || !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q: want one line \"tempest: ...%s...\"", stderr, want)
	}
}

// smallMemTable makes memtables flush after some tens of keys.
var smallMemTable = &tempest.Options{MemTableSize: tempest.MinMemTableSize}

// writeDB creates a database in dir with n keys "key%06d" through the
// library, with small memtables so that it has several SSTs, and returns
// the path of its largest SST.
func writeDB(t testing.TB, dir string, n int) string {
	t.Helper()
	db, err := tempest.Open(dir, smallMemTable)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.Set(fmt.Appendf(nil, "key%06d", i), bytes.Repeat([]byte{byte('a' + i%26)}, 100), tempest.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return largestSST(t, dir)
}

func largestSST(t testing.TB, dir string) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "sst", "*.sst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no SSTs in %s: %v", dir, err)
	}
	var best string
	var bestSize int64 = -1
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > bestSize {
			best, bestSize = p, info.Size()
		}
	}
	return best
}

// flipByte flips the lowest bit of the byte in the middle of the file.
func flipByte(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
