package tool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPutGetDeleteScan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	d := "--dir=" + dir
	mustRun(t, "put", d, "apple", "red")
	mustRun(t, "put", d, "banana", "yellow")
	mustRun(t, "put", d, "cherry", "dark red")
	mustRun(t, "put", d, "--hex", "00ff", "0102")

	if r := mustRun(t, "get", d, "apple"); r.stdout != "red\n" {
		t.Fatalf("get apple: %q", r.stdout)
	}
	if r := mustRun(t, "get", d, "cherry"); r.stdout != "dark red\n" {
		t.Fatalf("get cherry: %q", r.stdout)
	}
	if r := mustRun(t, "get", d, "--hex", "00ff"); r.stdout != "0102\n" {
		t.Fatalf("get --hex 00ff: %q", r.stdout)
	}
	mustRun(t, "put", d, "apple", "green") // overwrite
	if r := mustRun(t, "get", d, "apple"); r.stdout != "green\n" {
		t.Fatalf("get apple after overwrite: %q", r.stdout)
	}

	all := "\"\\x00\\xff\" \"\\x01\\x02\"\n\"apple\" \"green\"\n\"banana\" \"yellow\"\n\"cherry\" \"dark red\"\n"
	if r := mustRun(t, "scan", d); r.stdout != all {
		t.Fatalf("scan:\n%s\nwant:\n%s", r.stdout, all)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--lower", "b"}, "\"banana\" \"yellow\"\n\"cherry\" \"dark red\"\n"},
		{[]string{"--lower", "apple", "--upper", "cherry"}, "\"apple\" \"green\"\n\"banana\" \"yellow\"\n"},
		{[]string{"--reverse", "--limit", "2"}, "\"cherry\" \"dark red\"\n\"banana\" \"yellow\"\n"},
		{[]string{"--reverse", "--upper", "banana"}, "\"apple\" \"green\"\n\"\\x00\\xff\" \"\\x01\\x02\"\n"},
		{[]string{"--hex", "--upper", "01"}, "00ff 0102\n"},
		{[]string{"--lower", "zzz"}, ""},
		{[]string{"--prefix", "b"}, "\"banana\" \"yellow\"\n"},
		{[]string{"--prefix", "ch", "--reverse"}, "\"cherry\" \"dark red\"\n"},
		{[]string{"--prefix", "appl", "--upper", "apple"}, ""},
		{[]string{"--prefix", "appl"}, "\"apple\" \"green\"\n"},
		{[]string{"--prefix", "appl", "--logical"}, ""},
		{[]string{"--prefix", "apple", "--logical"}, "\"apple\" \"green\"\n"},
		{[]string{"--hex", "--prefix", "00"}, "00ff 0102\n"},
	} {
		args := append([]string{"scan", d}, tc.args...)
		if r := mustRun(t, args...); r.stdout != tc.want {
			t.Errorf("scan %v:\n%s\nwant:\n%s", tc.args, r.stdout, tc.want)
		}
	}

	mustRun(t, "delete", d, "banana")
	mustRun(t, "delete", d, "never-there")
	expectFail(t, ExitFailure, `key "banana" not found`, "get", d, "banana")
	if r := mustRun(t, "scan", d, "--lower", "a"); r.stdout != "\"apple\" \"green\"\n\"cherry\" \"dark red\"\n" {
		t.Fatalf("scan after delete: %q", r.stdout)
	}
}

func TestReadCommandsDoNotCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing")
	d := "--dir=" + dir
	for _, args := range [][]string{
		{"get", d, "k"}, {"scan", d}, {"delete", d, "k"}, {"dump", d},
		{"db", "check", d}, {"db", "metrics", d}, {"db", "lsm", d},
	} {
		expectFail(t, ExitFailure, "no database at "+dir, args...)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%v created %s (stat: %v)", args, dir, err)
		}
	}
	// An existing directory without a database is left alone too.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	expectFail(t, ExitFailure, "no database at "+dir, "get", d, "k")
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatalf("get created %v in %s", names, dir)
	}
}
