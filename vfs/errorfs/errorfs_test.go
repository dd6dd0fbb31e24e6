package errorfs_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// script is a small engine-like sequence: write a temporary file, sync it,
// rename it into place, sync the directory, read it back. It returns the
// first error.
func script(fs vfs.FS) (err error) {
	if err := fs.MkdirAll("/db", 0o755); err != nil {
		return err
	}
	l, err := fs.Lock("/db/LOCK")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}()
	f, err := fs.Create("/db/CURRENT.tmp")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("MANIFEST-000001\n")); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename("/db/CURRENT.tmp", "/db/CURRENT"); err != nil {
		return err
	}
	d, err := fs.OpenDir("/db")
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	if err := d.Close(); err != nil {
		return err
	}
	r, err := fs.Open("/db/CURRENT")
	if err != nil {
		return err
	}
	buf := make([]byte, 16)
	if _, err := r.ReadAt(buf, 0); err != nil && err != io.EOF {
		r.Close()
		return err
	}
	if string(buf) != "MANIFEST-000001\n" {
		r.Close()
		return errors.New("bad content")
	}
	return r.Close()
}

func TestIndexEnumeration(t *testing.T) {
	for _, filter := range []struct {
		name string
		f    func(errorfs.Op) bool
	}{{"all", nil}, {"writes", errorfs.WriteOps}} {
		t.Run(filter.name, func(t *testing.T) {
			counter := errorfs.OnIndex(-1, errorfs.ErrInjected, filter.f)
			must(t, script(errorfs.Wrap(vfs.NewMem(), counter)))
			n := counter.Count()
			if n < 5 {
				t.Fatalf("only %d operations counted", n)
			}
			var kinds []errorfs.OpKind
			for i := int64(0); i < n; i++ {
				inj := errorfs.OnIndex(i, errorfs.ErrInjected, filter.f)
				err := script(errorfs.Wrap(vfs.NewMem(), inj))
				if !errors.Is(err, errorfs.ErrInjected) || !errors.Is(err, syscall.EIO) {
					t.Fatalf("index %d: got %v", i, err)
				}
				var ie *errorfs.InjectedError
				if !errors.As(err, &ie) {
					t.Fatalf("index %d: %v is not an InjectedError", i, err)
				}
				if filter.f != nil && !filter.f(ie.Op) {
					t.Fatalf("index %d: failed op %s does not pass the filter", i, ie.Op)
				}
				if !inj.Fired() {
					t.Fatalf("index %d: not fired", i)
				}
				kinds = append(kinds, ie.Op.Kind)
			}
			t.Logf("failed ops: %v", kinds)
			if filter.f == nil {
				for _, k := range []errorfs.OpKind{errorfs.OpMkdirAll, errorfs.OpLock, errorfs.OpCreate,
					errorfs.OpWrite, errorfs.OpSync, errorfs.OpClose, errorfs.OpRename,
					errorfs.OpOpenDir, errorfs.OpOpen, errorfs.OpRead} {
					if !slices.Contains(kinds, k) {
						t.Errorf("no %s among the enumerated operations", k)
					}
				}
			}
			// Past the end nothing fails.
			must(t, script(errorfs.Wrap(vfs.NewMem(), errorfs.OnIndex(n, errorfs.ErrInjected, filter.f))))
		})
	}
}

func TestProbabilityDeterministic(t *testing.T) {
	seed := testSeed(t)
	run := func(p float64, seed uint64) []bool {
		fs := errorfs.Wrap(vfs.NewMem(), errorfs.Probability(p, seed, errorfs.ErrNoSpace, nil))
		var out []bool
		for i := 0; i < 200; i++ {
			err := fs.MkdirAll("/x", 0o755)
			if err != nil && !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			out = append(out, err != nil)
		}
		return out
	}
	a, b := run(0.3, seed), run(0.3, seed)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different failures")
	}
	fails := 0
	for _, f := range a {
		if f {
			fails++
		}
	}
	if fails < 15 || fails > 115 { // 60 expected; either bound is over 8σ away
		t.Fatalf("%d of 200 failed at p=0.3", fails)
	}
	if slices.Equal(a, run(0.3, seed+1)) {
		t.Fatal("different seeds, same failures")
	}
	if slices.Contains(run(0, seed), true) || slices.Contains(run(1, seed), false) {
		t.Fatal("p=0 or p=1 not honored")
	}
}

func TestByPath(t *testing.T) {
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.ByPath("*.sst", errorfs.ErrInjected, errorfs.OpWrite))
	f, err := fs.Create("/000001.sst") // create is not selected
	must(t, err)
	if _, err := f.Write([]byte("x")); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("sst write: %v", err)
	}
	must(t, f.Close())
	g, err := fs.Create("/000002.log")
	must(t, err)
	if _, err := g.Write([]byte("x")); err != nil {
		t.Fatalf("log write: %v", err)
	}
	must(t, g.Close())

	// A glob with a slash matches the whole path; renames match either name.
	fs = errorfs.Wrap(vfs.NewMem(), errorfs.ByPath("/db/*", errorfs.ErrInjected))
	must(t, fs.MkdirAll("/other", 0o755))
	if err := fs.MkdirAll("/db/x", 0o755); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("mkdir /db/x: %v", err)
	}
	g, err = fs.Create("/other/f")
	must(t, err)
	must(t, g.Close())
	if err := fs.Rename("/other/f", "/db/f"); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("rename into /db: %v", err)
	}
}

func TestToggle(t *testing.T) {
	tog := errorfs.Toggle(errorfs.Always(errorfs.ErrInjected, errorfs.WriteOps))
	fs := errorfs.Wrap(vfs.NewMem(), tog)
	f, err := fs.Create("/f")
	must(t, err)
	defer f.Close()
	_, err = f.Write([]byte("a"))
	must(t, err)
	tog.Enable()
	if !tog.Enabled() {
		t.Fatal("not enabled")
	}
	if _, err := f.Write([]byte("b")); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("write while enabled: %v", err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err != nil {
		t.Fatalf("read is not a write-class op: %v", err)
	}
	tog.Disable()
	_, err = f.Write([]byte("c"))
	must(t, err)
	buf := make([]byte, 3)
	if n, _ := f.ReadAt(buf, 0); string(buf[:n]) != "ac" {
		t.Fatalf("content %q: the failed write wrote something", buf[:n])
	}
}

func TestFailedSyncNotDurable(t *testing.T) {
	mem := vfs.NewMem()
	inj := errorfs.ByPath("f", errorfs.ErrInjected, errorfs.OpSync)
	fs := errorfs.Wrap(mem, inj)
	f, err := fs.Create("/f")
	must(t, err)
	_, err = f.Write([]byte("data"))
	must(t, err)
	if err := f.Sync(); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("sync: %v", err)
	}
	must(t, f.Close())
	d, err := fs.OpenDir("/")
	must(t, err)
	must(t, d.Sync())
	must(t, d.Close())
	c := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0})
	if got, err := c.ReadFile("/f"); err != nil || len(got) != 0 {
		t.Fatalf("after a failed sync the data survived: %q, %v", got, err)
	}
}

func TestPartialWrites(t *testing.T) {
	seed := testSeed(t)
	inj := errorfs.Probability(0.5, seed, errorfs.ErrNoSpace,
		func(op errorfs.Op) bool { return op.Kind == errorfs.OpWrite })
	mem := vfs.NewMem()
	fs := errorfs.Wrap(mem, inj, errorfs.WithPartialWrites(seed))
	f, err := fs.Create("/f")
	must(t, err)
	defer f.Close()
	var want []byte
	partial := 0
	for i := 0; i < 100; i++ {
		p := bytes.Repeat([]byte{byte(i)}, 100)
		n, err := f.Write(p)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) || n >= len(p) {
				t.Fatalf("failed write: n=%d err=%v", n, err)
			}
			if n > 0 {
				partial++
			}
		} else if n != len(p) {
			t.Fatalf("short successful write %d", n)
		}
		want = append(want, p[:n]...)
	}
	got, err := mem.ReadFile("/f")
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatal("file does not hold exactly the reported bytes")
	}
	if partial == 0 {
		t.Fatal("no partial write happened")
	}
}

func TestInjectedCloseReleases(t *testing.T) {
	inj := errorfs.Toggle(errorfs.Always(errorfs.ErrInjected, func(op errorfs.Op) bool {
		return op.Kind == errorfs.OpClose
	}))
	fs := errorfs.Wrap(vfs.NewMem(), inj)
	l, err := fs.Lock("/LOCK")
	must(t, err)
	inj.Enable()
	if err := l.Close(); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("close: %v", err)
	}
	inj.Disable()
	l, err = fs.Lock("/LOCK")
	if err != nil {
		t.Fatalf("lock not released by a failed close: %v", err)
	}
	must(t, l.Close())
}

func TestLatencyAndAny(t *testing.T) {
	seed := testSeed(t)
	var mu sync.Mutex
	var slept time.Duration
	lat := errorfs.Latency(time.Second, 0.5, seed).WithSleep(func(d time.Duration) {
		mu.Lock()
		slept += d
		mu.Unlock()
	})
	counter := errorfs.OnIndex(-1, nil, nil)
	fail := errorfs.OnIndex(3, errorfs.ErrInjected, nil)
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.Any(lat, fail, counter))
	fails := 0
	for i := 0; i < 100; i++ {
		if _, err := fs.List("/"); err != nil {
			fails++
		}
	}
	if fails != 1 || counter.Count() != 100 {
		t.Fatalf("fails=%d count=%d: Any must consult every injector", fails, counter.Count())
	}
	if d := lat.Delayed(); d < 10 || d > 90 || slept != time.Duration(d)*time.Second {
		t.Fatalf("delayed %d, slept %v", d, slept)
	}
	// If selects operations.
	fs = errorfs.Wrap(vfs.NewMem(), errorfs.If(func(op errorfs.Op) bool { return op.Kind == errorfs.OpStat },
		errorfs.Always(errorfs.ErrInjected, nil)))
	if _, err := fs.List("/"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat("/"); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("stat: %v", err)
	}
}

func TestOpKinds(t *testing.T) {
	writes := map[errorfs.OpKind]bool{errorfs.OpCreate: true, errorfs.OpRemove: true, errorfs.OpRename: true,
		errorfs.OpMkdirAll: true, errorfs.OpWrite: true, errorfs.OpSync: true, errorfs.OpAllocate: true,
		errorfs.OpTruncate: true}
	seen := map[string]bool{}
	for k := errorfs.OpCreate; k <= errorfs.OpTruncate; k++ {
		if k.IsWrite() != writes[k] {
			t.Errorf("%s.IsWrite() = %t", k, k.IsWrite())
		}
		if seen[k.String()] {
			t.Errorf("duplicate name %s", k)
		}
		seen[k.String()] = true
	}
	for _, c := range []struct {
		op   errorfs.Op
		want string
	}{
		{errorfs.Op{Kind: errorfs.OpWrite, Path: "/f", Offset: 12}, "write /f @12"},
		{errorfs.Op{Kind: errorfs.OpWrite, Path: "/f", Offset: 12, Mapped: true}, "store /f @12"},
		{errorfs.Op{Kind: errorfs.OpSync, Path: "/f", Mapped: true}, "mapped sync /f"},
		{errorfs.Op{Kind: errorfs.OpAllocate, Path: "/f", Offset: 4096, Mapped: true}, "allocate /f to 4096"},
		{errorfs.Op{Kind: errorfs.OpTruncate, Path: "/f", Offset: 7, Mapped: true}, "truncate /f to 7"},
	} {
		if got := c.op.String(); got != c.want {
			t.Errorf("Op.String = %q, want %q", got, c.want)
		}
	}
	//lint:ignore SA1032 the injected error is the one tested, against its errno
	if !errors.Is(errorfs.ErrNoSpace, syscall.ENOSPC) || errors.Is(errorfs.ErrNoSpace, syscall.EIO) {
		t.Error("ErrNoSpace must match ENOSPC only")
	}
}

// TestWriteOffsets checks the Offset reported for Write, which follows the
// handle's append position, including after OpenForAppend.
func TestWriteOffsets(t *testing.T) {
	var mu sync.Mutex
	var offs []int64
	rec := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind == errorfs.OpWrite {
			mu.Lock()
			offs = append(offs, op.Offset)
			mu.Unlock()
		}
		return nil
	})
	fs := errorfs.Wrap(vfs.NewMem(), rec)
	f, err := fs.Create("/f")
	must(t, err)
	_, _ = f.Write(make([]byte, 10))
	_, _ = f.Write(make([]byte, 5))
	_, _ = f.WriteAt(make([]byte, 1), 3)
	must(t, f.Close())
	f, err = fs.OpenForAppend("/f")
	must(t, err)
	_, _ = f.Write(make([]byte, 2))
	must(t, f.Close())
	if want := []int64{0, 10, 3, 15}; !slices.Equal(offs, want) {
		t.Fatalf("offsets %v, want %v", offs, want)
	}
}

func TestConcurrentInjection(t *testing.T) {
	seed := testSeed(t)
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.Any(
		errorfs.Probability(0.1, seed, errorfs.ErrInjected, nil),
		errorfs.Latency(time.Microsecond, 0.1, seed)))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for i := 0; i < 200; i++ {
				if f, err := fs.Create("/f" + string(rune('a'+g))); err == nil {
					_, _ = f.Write(make([]byte, rng.IntN(100)))
					_ = f.Sync()
					_ = f.Close()
				}
			}
		}()
	}
	wg.Wait()
}
