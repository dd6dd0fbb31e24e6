package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/tempestdb/tempest"
)

// TestCommand imports a small goleveldb database through the command
// line, with --verify, and reads it back.
func TestCommand(t *testing.T) {
	root := t.TempDir()
	src, dest := filepath.Join(root, "src"), filepath.Join(root, "dest")
	ldb, err := leveldb.OpenFile(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := ldb.Put(fmt.Appendf(nil, "k%04d", i), fmt.Appendf(nil, "v%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ldb.Close(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	c := newCommand(&stdout, &stderr)
	c.SetArgs([]string{"--from", "goleveldb", src, "--dir", dest, "--verify", "--progress", "off"})
	if err := c.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"imported 1000 keys", "keys/s", "verified 1000 keys", "DEST equals SRC"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	db, err := tempest.Open(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Get([]byte("k0999")); err != nil || string(v) != "v999" {
		t.Fatalf("Get(k0999) = %q, %v", v, err)
	}

	c = newCommand(&stdout, &stderr)
	c.SetArgs([]string{"--from", "rocksdb", src, "--dir", dest})
	if err := c.Execute(); err == nil || !strings.Contains(stderr.String(), "unknown source engine") {
		t.Fatalf("--from rocksdb: %v, stderr %q", err, stderr.String())
	}
}
