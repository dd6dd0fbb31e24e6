package repair

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestRepairBlobValues: repair reads separated values from the source's
// blob files; with a blob file missing, the keys whose newest value it
// held are reported lost, naming the file, and every other key is saved.
func TestRepairBlobValues(t *testing.T) {
	fs := vfs.NewMem()
	db, err := tempest.Open("/src", &tempest.Options{FS: fs, ValueSeparationThreshold: 100})
	must(t, err)
	want := map[string]string{}
	for i := range 40 {
		k := fmt.Sprintf("k%03d", i)
		v := fmt.Sprintf("%s=%s", k, strings.Repeat("v", 10+i*10)) // from k009 on, separated
		must(t, db.Set([]byte(k), []byte(v), nil))
		want[k] = v
	}
	must(t, db.Flush())
	must(t, db.Close())
	check := func(dst string, lost int) {
		t.Helper()
		rep, err := Run("/src", dst, &Options{FS: fs, Output: &tempest.Options{MemTableSize: 1 << 20}})
		must(t, err)
		out, err := tempest.Open(dst, &tempest.Options{FS: fs})
		must(t, err)
		defer out.Close()
		got := 0
		for k, v := range want {
			g, err := out.Get([]byte(k))
			if err == nil && string(g) != v {
				t.Fatalf("%s: %s = %.20q, want %.20q", dst, k, g, v)
			}
			if err == nil {
				got++
			}
		}
		if got != len(want)-lost || len(rep.Losses) != lost {
			t.Fatalf("%s: %d keys saved, %d losses; want %d and %d", dst, got, len(rep.Losses), len(want)-lost, lost)
		}
		for _, l := range rep.Losses {
			if !strings.HasSuffix(l.File, ".blob") || l.What != "separated value" {
				t.Fatalf("%s: loss %+v", dst, l)
			}
		}
	}
	check("/dst1", 0)
	names, err := fs.List("/src/sst")
	must(t, err)
	removed := 0
	for _, n := range names {
		if _, ok := base.ParseFilename(base.FileTypeBlob, n); ok {
			must(t, fs.Remove("/src/sst/"+n))
			removed++
		}
	}
	if removed != 1 {
		t.Fatalf("removed %d blob files, want 1", removed)
	}
	check("/dst2", 31) // values of at least 100 bytes: keys 9 to 39
}
