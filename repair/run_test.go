package repair

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

func TestRepairArguments(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	must(t, os.MkdirAll(filepath.Join(src, "sst"), 0o755))
	exists := filepath.Join(tmp, "exists")
	must(t, os.Mkdir(exists, 0o755))
	must(t, os.Mkdir(filepath.Join(tmp, "busy"+tmpSuffix), 0o755))
	for _, tc := range []struct {
		name, src, dst string
		invalid        bool
	}{
		{"missing source", filepath.Join(tmp, "nope"), filepath.Join(tmp, "out1"), false},
		{"not a database", exists, filepath.Join(tmp, "out2"), false},
		{"output exists", src, exists, true},
		{"output within the source", src, filepath.Join(src, "out"), true},
		{"output is the source", src, src, true},
		{"output within the source, named like a parent", src, filepath.Join(src, "..out"), true},
		{"temporary directory exists", src, filepath.Join(tmp, "busy"), true},
	} {
		before := treeHash(t, tmp)
		rep, err := Run(tc.src, tc.dst, nil)
		if err == nil || rep != nil || (tc.invalid && !errors.Is(err, base.ErrInvalidArgument)) {
			t.Fatalf("%s: report %v, error %v", tc.name, rep, err)
		}
		if treeHash(t, tmp) != before {
			t.Fatalf("%s: the directory changed", tc.name)
		}
	}
}

// TestRepairWriteFailure fails, one at a time, write operations of the
// output (spread over all of them) and checks that a repair either fails
// leaving neither the output nor its temporary directory behind, or
// succeeds with the whole output; and that no write ever touches the
// source, not even one that fails.
func TestRepairWriteFailure(t *testing.T) {
	template, m := sharedDB(t)
	src := copyDB(t, template)
	want := m.state(nil)
	before := treeHash(t, src)
	errInjected := errors.New("injected")
	run := func(index int64) (*errorfs.IndexInjector, string, error) {
		dst := filepath.Join(t.TempDir(), "out")
		underDst := func(op errorfs.Op) bool {
			return op.Kind.IsWrite() && (strings.HasPrefix(op.Path, dst) || (op.Kind == errorfs.OpSync && op.Path == filepath.Dir(dst)))
		}
		onIndex := errorfs.OnIndex(index, errInjected, underDst)
		srcGuard := errorfs.InjectorFunc(func(op errorfs.Op) error {
			if op.Kind.IsWrite() && (strings.HasPrefix(op.Path, src) || strings.HasPrefix(op.NewPath, src)) {
				t.Errorf("repair wrote to the source: %s", op)
				return errInjected
			}
			return nil
		})
		_, err := Run(src, dst, &Options{FS: errorfs.Wrap(vfs.Default, errorfs.Any(srcGuard, onIndex)), Output: testOutput})
		return onIndex, dst, err
	}
	counter, _, err := run(-1)
	must(t, err)
	n := counter.Count()
	if n < 10 {
		t.Fatalf("%d write operations on the output", n)
	}
	failed := 0
	for _, i := range []int64{0, n / 3, 2 * n / 3, n - 1} {
		_, dst, err := run(i)
		if err == nil {
			if got := readDB(t, dst); !maps.Equal(got, want) {
				t.Fatalf("write %d of %d failed, repair succeeded with a wrong output", i, n)
			}
			continue
		}
		failed++
		if !errors.Is(err, errInjected) {
			t.Fatalf("write %d of %d: %v, want the injected error", i, n, err)
		}
		for _, p := range []string{dst, dst + tmpSuffix} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("write %d of %d failed: %s left behind (%v)", i, n, p, err)
			}
		}
	}
	if failed == 0 {
		t.Fatal("no injected failure failed the repair")
	}
	if treeHash(t, src) != before {
		t.Fatal("the source changed")
	}
	t.Logf("%d write operations; %d of the failures injected failed the repair", n, failed)
}
