package errorfs_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// mappableMem returns a MemFS whose files are mappable.
func mappableMem() *vfs.MemFS {
	mem := vfs.NewMem()
	mem.SetMappable(true)
	return mem
}

// mapFile creates path in fs, writes head and maps it.
func mapFile(t *testing.T, fs vfs.FS, path string, head []byte) (vfs.File, vfs.Mapping) {
	t.Helper()
	f, err := fs.Create(path)
	must(t, err)
	_, err = f.Write(head)
	must(t, err)
	mf, ok := f.(vfs.MappableFile)
	if !ok {
		t.Fatalf("%T over a mappable file is not a vfs.MappableFile", f)
	}
	m, err := mf.Map()
	must(t, err)
	return f, m
}

// TestMappingOps checks that every operation of a Mapping is offered to
// the injector, as what it is, and then reaches the wrapped Mapping.
func TestMappingOps(t *testing.T) {
	var ops []string
	rec := errorfs.InjectorFunc(func(op errorfs.Op) error {
		s := op.String()
		if op.Mapped {
			s = "mapped: " + s
		}
		ops = append(ops, s)
		return nil
	})
	mem := mappableMem()
	fs := errorfs.Wrap(mem, rec)
	f, m := mapFile(t, fs, "/f", []byte("head"))
	must(t, m.Allocate(8192))
	must(t, m.Store(4, []byte("body")))
	must(t, m.Sync())
	must(t, m.Truncate(8))
	must(t, m.Unmap())
	must(t, f.Close())
	want := []string{"create /f", "write /f @0", "mapped: allocate /f to 8192", "mapped: store /f @4",
		"mapped: mapped sync /f", "mapped: truncate /f to 8", "close /f"}
	if !slices.Equal(ops, want) {
		t.Fatalf("ops %q, want %q", ops, want)
	}
	got, err := mem.ReadFile("/f")
	must(t, err)
	if string(got) != "headbody" {
		t.Fatalf("file holds %q", got)
	}
	// The Sync made the stores and the allocation durable in the MemFS
	// underneath, not the truncation that followed.
	d, err := mem.OpenDir("/")
	must(t, err)
	must(t, d.Sync())
	must(t, d.Close())
	got, err = mem.CrashClone(vfs.CrashOptions{}).ReadFile("/f")
	must(t, err)
	if want := append([]byte("headbody"), make([]byte, 8192-8)...); !bytes.Equal(got, want) {
		t.Fatalf("after a power loss the file holds %d bytes starting %q", len(got), got[:min(8, len(got))])
	}
}

// plainFS hides every capability of its files.
type plainFS struct{ vfs.FS }

func (fs plainFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return struct{ vfs.File }{f}, nil
}

// TestMappingOnlyWhenInnerIs checks that a file is mappable exactly when
// the file it wraps is, and that a MemFS that does not map files refuses
// through the wrapper too.
func TestMappingOnlyWhenInnerIs(t *testing.T) {
	f, err := errorfs.Wrap(plainFS{mappableMem()}, nil).Create("/f")
	must(t, err)
	if _, ok := f.(vfs.MappableFile); ok {
		t.Fatal("a wrapped file that is not mappable became mappable")
	}
	must(t, f.Close())
	f, err = errorfs.Wrap(vfs.NewMem(), nil).Create("/f")
	must(t, err)
	defer f.Close()
	if _, err := f.(vfs.MappableFile).Map(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Map on a MemFS without mappings: %v, want ErrUnsupported", err)
	}
}

// TestMappingInjected fails each Mapping operation: the error is the
// injected one (a Store's also matches vfs.ErrMappingFault), and the
// operation does not reach the wrapped Mapping.
func TestMappingInjected(t *testing.T) {
	for _, c := range []struct {
		kind  errorfs.OpKind
		err   error
		errno syscall.Errno
	}{
		{errorfs.OpAllocate, errorfs.ErrNoSpace, syscall.ENOSPC},
		{errorfs.OpAllocate, errorfs.ErrInjected, syscall.EIO},
		{errorfs.OpWrite, errorfs.ErrInjected, syscall.EIO},
		{errorfs.OpSync, errorfs.ErrInjected, syscall.EIO},
		{errorfs.OpTruncate, errorfs.ErrInjected, syscall.EIO},
	} {
		t.Run(c.kind.String()+"/"+c.errno.Error(), func(t *testing.T) {
			mem := mappableMem()
			toggle := errorfs.Toggle(errorfs.Always(c.err, func(op errorfs.Op) bool {
				return op.Mapped && op.Kind == c.kind
			}))
			f, m := mapFile(t, errorfs.Wrap(mem, toggle), "/f", []byte("head"))
			defer f.Close()
			must(t, m.Allocate(4096))
			toggle.Enable()
			var err error
			switch c.kind {
			case errorfs.OpAllocate:
				err = m.Allocate(8192)
			case errorfs.OpWrite:
				err = m.Store(4, []byte("body"))
				if !errors.Is(err, vfs.ErrMappingFault) {
					t.Errorf("failed Store: %v does not match vfs.ErrMappingFault", err)
				}
			case errorfs.OpSync:
				must(t, func() error { toggle.Disable(); defer toggle.Enable(); return m.Store(4, []byte("body")) }())
				err = m.Sync()
			case errorfs.OpTruncate:
				err = m.Truncate(4)
			}
			var ie *errorfs.InjectedError
			if !errors.Is(err, c.err) || !errors.Is(err, c.errno) || !errors.As(err, &ie) || ie.Op.Kind != c.kind {
				t.Fatalf("got %v, want the injected %v", err, c.err)
			}
			// Nothing reached the MemFS: the size is still 4096, no body
			// was stored, and an unsynced store is not durable.
			got, err := mem.ReadFile("/f")
			must(t, err)
			want := append([]byte("head"), make([]byte, 4092)...)
			if c.kind == errorfs.OpSync {
				copy(want[4:], "body")
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("file of %d bytes starts %q", len(got), got[:min(8, len(got))])
			}
			if got, _ := mem.CrashClone(vfs.CrashOptions{}).ReadFile("/f"); len(got) != 0 {
				t.Fatalf("after a failed %s, a power loss keeps %d bytes of a file never synced", c.kind, len(got))
			}
			must(t, m.Unmap())
			if err := m.Unmap(); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("second Unmap: %v", err)
			}
		})
	}
}

// TestMappingPartialStore checks that with WithPartialWrites a failed
// Store leaves a random prefix shorter than the buffer, as a copy that
// faults partway does.
func TestMappingPartialStore(t *testing.T) {
	seed := testSeed(t)
	lengths := map[int]bool{}
	for i := range uint64(20) {
		mem := mappableMem()
		fs := errorfs.Wrap(mem, errorfs.Always(errorfs.ErrInjected, func(op errorfs.Op) bool {
			return op.Mapped && op.Kind == errorfs.OpWrite
		}), errorfs.WithPartialWrites(seed+i))
		f, m := mapFile(t, fs, "/f", nil)
		must(t, m.Allocate(100))
		p := bytes.Repeat([]byte{'x'}, 100)
		if err := m.Store(0, p); !errors.Is(err, vfs.ErrMappingFault) {
			t.Fatalf("Store: %v", err)
		}
		got, err := mem.ReadFile("/f")
		must(t, err)
		n := bytes.IndexByte(append(got, 0), 0)
		if n >= len(p) || !bytes.Equal(got[n:], make([]byte, 100-n)) {
			t.Fatalf("seed %d: stored %q", seed+i, got)
		}
		lengths[n] = true
		must(t, m.Unmap())
		must(t, f.Close())
	}
	if len(lengths) < 3 {
		t.Fatalf("partial stores of lengths %v only", lengths)
	}
}
