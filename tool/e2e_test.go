package tool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
)

// TestEndToEnd builds the tempest binary and runs it as a user would:
// every command is a separate process, so each one reopens (and
// recovers) the database the previous one closed.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildTempest(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "db")
	exe := func(stdin string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
	}
	ok := func(args ...string) string {
		t.Helper()
		r := exe("", args...)
		// Standard error may carry status lines of a slow run, never
		// an error.
		if r.code != 0 || strings.Contains(r.stderr, "tempest:") {
			t.Fatalf("tempest %s: %v", strings.Join(args, " "), r)
		}
		return r.stdout
	}
	fail := func(code int, want string, args ...string) result {
		t.Helper()
		r := exe("", args...)
		if r.code != code {
			t.Fatalf("tempest %s: want exit %d: %v", strings.Join(args, " "), code, r)
		}
		checkErrorLine(t, r.stderr, want)
		return r
	}

	d := "--dir=" + dir
	ok("put", d, "alpha", "1")
	ok("put", d, "beta", "2")
	ok("put", d, "gamma", "3")
	ok("delete", d, "beta")
	if got := ok("get", d, "alpha"); got != "1\n" {
		t.Fatalf("get after restarts: %q", got)
	}
	fail(ExitFailure, `key "beta" not found`, "get", d, "beta")
	if got := ok("scan", d, "--reverse"); got != "\"gamma\" \"3\"\n\"alpha\" \"1\"\n" {
		t.Fatalf("scan after restarts: %q", got)
	}

	// dump | load through pipes, binary keys included.
	in := string(appendPair(appendPair(nil, formatJSON, []byte{0, '\n', 0xff}, []byte("x\"y")), formatJSON, []byte("k"), nil))
	if r := exe(in, "load", d, "-"); r.code != 0 || !strings.HasPrefix(r.stdout, "loaded 2 pairs") {
		t.Fatalf("load -: %v", r)
	}
	dump := ok("dump", d)
	dir2 := filepath.Join(tmp, "db2")
	if r := exe(dump, "load", "--dir", dir2, "-"); r.code != 0 {
		t.Fatalf("load of the dump: %v", r)
	}
	if again := ok("dump", "--dir", dir2); again != dump {
		t.Fatalf("round trip:\n%s\nwant:\n%s", again, dump)
	}

	if got := ok("db", "check", d); !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("db check: %q", got)
	}
	ok("db", "lsm", d)
	ok("db", "metrics", d)
	ok("manifest", "dump", dir)
	sst := largestSST(t, dir)
	ok("sstable", "dump", sst)
	ok("sstable", "check", sst)
	ok("sstable", "properties", sst)
	wals, _ := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	if len(wals) == 0 {
		t.Fatal("no WAL")
	}
	ok("wal", "dump", wals[0])

	// Usage errors exit 2; nothing is created.
	fail(ExitUsage, `unknown command "nope"`, "nope")
	fail(ExitUsage, "get: accepts 1 arg(s), received 2", "get", d, "a", "b")
	fail(ExitUsage, "unknown flag: --frob", "scan", d, "--frob")
	nodb := filepath.Join(tmp, "nodb")
	fail(ExitFailure, "no database at "+nodb, "get", "--dir", nodb, "k")
	if _, err := os.Stat(nodb); !os.IsNotExist(err) {
		t.Fatalf("get created %s", nodb)
	}
	fail(ExitFailure, "no such file: "+filepath.Join(tmp, "none.sst"), "sstable", "dump", filepath.Join(tmp, "none.sst"))

	// Another process holds the database.
	db, err := tempest.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	fail(ExitFailure, "database at "+dir+" is locked: another process has it open", "get", d, "alpha")
	fail(ExitFailure, "is locked", "db", "check", d)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// One flipped byte in the middle of an SST.
	cdir := filepath.Join(tmp, "corrupt")
	csst := writeDB(t, cdir, 2000)
	if got := ok("db", "check", "--dir", cdir); !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("db check before damage: %q", got)
	}
	flipByte(t, csst)
	r := fail(ExitFailure, "db check: 1 problem found in "+cdir+" (corrupt database)", "db", "check", "--dir", cdir)
	if !strings.Contains(r.stdout, csst) {
		t.Fatalf("db check report does not name %s: %v", csst, r)
	}
	fail(ExitFailure, "database at "+cdir+" is corrupt: corruption in "+csst, "dump", "--dir", cdir)

	// db repair of the damaged database: exit 1, a report naming the
	// damaged block and the keys it held, an output that checks clean and
	// holds every other key, and a source left as it was.
	before := dirDigest(t, cdir)
	rdst := filepath.Join(tmp, "repaired")
	r = fail(ExitFailure, "db repair: 1 loss (listed above); "+rdst+" holds everything else", "db", "repair", cdir, rdst)
	m := regexp.MustCompile(`lost: ` + regexp.QuoteMeta(csst) + ` \[\d+, \d+\): point entries \(data block\); keys \["(key\d+)", "(key\d+)"\]`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("db repair report does not name the damaged block of %s: %v", csst, r)
	}
	if dirDigest(t, cdir) != before {
		t.Fatal("db repair changed its source")
	}
	if got := ok("db", "check", "--dir", rdst); !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("db check of the repaired database: %q", got)
	}
	scan := ok("scan", "--dir", rdst)
	kept := 0
	for i := range 2000 {
		k := fmt.Sprintf("key%06d", i)
		switch in := strings.Contains(scan, `"`+k+`"`); {
		case in:
			kept++
		case k < m[1] || k > m[2]:
			t.Fatalf("repaired database lacks %s, outside the reported loss [%s, %s]", k, m[1], m[2])
		}
	}
	if kept == 2000 || kept != strings.Count(scan, "\n") {
		t.Fatalf("repaired database holds %d of 2000 keys, in %d lines", kept, strings.Count(scan, "\n"))
	}
	// Of the intact one: exit 0 and the same contents.
	if got := ok("db", "repair", dir, filepath.Join(tmp, "copy")); !strings.Contains(got, "result: nothing lost") {
		t.Fatalf("db repair of an intact database: %q", got)
	}
	if a, b := ok("dump", "--dir", filepath.Join(tmp, "copy")), ok("dump", d); a != b {
		t.Fatal("db repair of an intact database: contents differ")
	}
}

// dirDigest hashes the names and contents of the files under dir.
func dirDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// buildTempest builds ./cmd/tempest into a temporary directory.
func buildTempest(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build the binary with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "tempest")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/tempestdb/tempest/cmd/tempest").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
