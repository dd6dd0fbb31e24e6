package tempest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// blobOptions returns small options under which values of 100 bytes and
// more are separated.
func blobOptions(fs vfs.FS) *Options {
	o := smallOptions(fs)
	o.ValueSeparationThreshold = 100
	return o
}

// bigValue returns a value of n bytes that names key and version.
func bigValue(key string, version, n int) string {
	s := fmt.Sprintf("%s/v%d/", key, version)
	return s + strings.Repeat("x", max(0, n-len(s)))
}

// blobFileNums lists the blob files in the sst directory.
func blobFileNums(t testing.TB, fs vfs.FS, dir string) []base.FileNum {
	t.Helper()
	names, err := fs.List(fs.PathJoin(dir, base.SSTDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []base.FileNum
	for _, n := range names {
		if num, ok := base.ParseFilename(base.FileTypeBlob, n); ok {
			out = append(out, num)
		}
	}
	return out
}

func TestBlobSeparatedValuesRead(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", blobOptions(fs))
	want := map[string]string{}
	for i := range 50 {
		k := fmt.Sprintf("k%03d", i)
		v := bigValue(k, 0, 50+i*10) // below and above the threshold
		mustSet(t, d, k, v, nil)
		want[k] = v
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(blobFileNums(t, fs, "db")) == 0 {
		t.Fatal("flush wrote no blob file")
	}
	check := func() {
		t.Helper()
		for k, v := range want {
			mustGet(t, d, k, v)
		}
		got := dump(t, d)
		if len(got) != len(want) {
			t.Fatalf("scan: %d keys, want %d", len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("scan %s = %q, want %q", k, got[k], v)
			}
		}
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ok := it.Last(); ok; ok = it.Prev() {
			if string(it.Value()) != want[string(it.Key())] {
				t.Fatalf("reverse %s = %q", it.Key(), it.Value())
			}
			n++
		}
		if err := it.Close(); err != nil || n != len(want) {
			t.Fatalf("reverse scan: %d keys, err %v", n, err)
		}
	}
	check()
	if err := d.Compact(context.Background(), nil, []byte("z")); err != nil {
		t.Fatal(err)
	}
	check()
	mustClose(t, d)
	d = mustOpen(t, "db", blobOptions(fs))
	defer mustClose(t, d)
	check()
	if !bytes.Equal([]byte(want["k049"]), mustValue(t, d, "k049")) {
		t.Fatal("reopened value differs")
	}
	_ = testutil.Seed
}

func mustValue(t testing.TB, d *DB, k string) []byte {
	t.Helper()
	v, err := d.Get([]byte(k))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
