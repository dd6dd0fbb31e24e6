package tempest

import (
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// Error-point enumeration (in the manner of Pebble's TestErrors): a fixed
// script (Open, commits, Flush, commits, Compact, Close, Open, reads,
// commits, Close) runs once to count the file operations of one kind, then
// once per operation with an error injected at exactly that operation.
// Each run must end in success or an error that wraps the injected one,
// never a panic or a wrong read. Then, with faults gone, the file system
// as the failed process left it must reopen to a prefix of the commits
// holding every acknowledged one, and a power-loss image of it to a prefix
// holding every durable one.

// errFaultWrongRead marks a read that returned wrong data: always a failure.
var errFaultWrongRead = errors.New("wrong read")

// faultScript runs the script on fs, recording commits in o.
func faultScript(fs vfs.FS, o *faultOracle) (err error) {
	opts := faultBaseOptions(fs)
	opts.ManifestGrowthBaseline = 1024
	d, err := Open("/db", opts)
	if err != nil {
		return err
	}
	defer func() {
		if d != nil {
			if cerr := d.Close(); err == nil {
				err = cerr
			}
		}
	}()
	puts := func(n int) error {
		for range n {
			i := len(o.commits)
			if err := o.apply(d, i%3 == 0, fmt.Sprintf("k%02d=200", i%25), fmt.Sprintf("-k%02d", (i*7)%25)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := puts(30); err != nil {
		return err
	}
	if err := d.Flush(); err != nil {
		return err
	}
	o.durable()
	if err := puts(10); err != nil {
		return err
	}
	if err := faultCompact(d); err != nil {
		return err
	}
	o.durable()
	err, d = d.Close(), nil
	if err != nil {
		return err
	}
	o.durable()
	if d, err = Open("/db", opts); err != nil {
		return err
	}
	got, err := faultDump(d)
	if err != nil {
		return err
	}
	if want := o.stateAt(len(o.commits)); !maps.Equal(got, want) {
		return fmt.Errorf("%w: reopened state has %d keys, want %d", errFaultWrongRead, len(got), len(want))
	}
	return puts(5)
}

// faultErrorKinds are the injected errors: EIO on writes, EIO on syncs,
// and ENOSPC on every write-class operation.
var faultErrorKinds = []struct {
	name   string
	err    error
	filter func(errorfs.Op) bool
}{
	{"EIO write", errorfs.ErrInjected, func(op errorfs.Op) bool { return op.Kind == errorfs.OpWrite }},
	{"EIO sync", errorfs.ErrInjected, func(op errorfs.Op) bool { return op.Kind == errorfs.OpSync }},
	{"ENOSPC", errorfs.ErrNoSpace, errorfs.WriteOps},
}

// TestFaultErrorPoints injects each error kind at every operation index of
// the script.
func TestFaultErrorPoints(t *testing.T) {
	total, failed, succeeded := 0, 0, 0
	for _, kind := range faultErrorKinds {
		counter := errorfs.OnIndex(-1, nil, kind.filter)
		if err := faultScript(errorfs.Wrap(vfs.NewMem(), counter), &faultOracle{}); err != nil {
			t.Fatalf("%s: script without faults: %v", kind.name, err)
		}
		n := counter.Count()
		for i := range n {
			total++
			ok, err := faultErrorPoint(kind.err, kind.filter, i)
			if err != nil {
				t.Errorf("%s at op %d of %d: %v", kind.name, i, n, err)
				continue
			}
			if ok {
				succeeded++
			} else {
				failed++
			}
		}
		t.Logf("%s: %d operations", kind.name, n)
	}
	faultFigures(t, "error points: %d (EIO write, EIO sync, ENOSPC at every op index): %d surfaced an error, %d completed (error tolerated), 0 panics, every reopen prefix-consistent",
		total, failed, succeeded)
}

// faultErrorPoint runs the script with err injected at the index-th
// operation that filter selects and checks the outcome and the recovery.
// It reports whether the script completed.
func faultErrorPoint(injErr error, filter func(errorfs.Op) bool, index int64) (completed bool, failure error) {
	mem := vfs.NewMem()
	inj := errorfs.OnIndex(index, injErr, filter)
	o := &faultOracle{}
	var scriptErr error
	func() {
		defer func() {
			if r := recover(); r != nil {
				failure = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		scriptErr = faultScript(errorfs.Wrap(mem, inj, errorfs.WithPartialWrites(uint64(index))), o)
	}()
	switch {
	case failure != nil:
		return false, failure
	case !inj.Fired():
		return false, fmt.Errorf("the error was never injected")
	case errors.Is(scriptErr, errFaultWrongRead):
		return false, scriptErr
	case scriptErr != nil && !errors.Is(scriptErr, injErr):
		return false, fmt.Errorf("error does not wrap the injected one: %v", scriptErr)
	case scriptErr != nil && errors.Is(scriptErr, ErrCorruption):
		return false, fmt.Errorf("an I/O error reported as corruption: %v", scriptErr)
	}
	// A power loss now keeps what was durable.
	img := mem.CrashClone(vfs.CrashOptions{Rand: faultRand(uint64(index))})
	if _, err := faultRecover(img, faultBaseOptions(img), o, o.synced); err != nil {
		return false, fmt.Errorf("after power loss (script: %v): %w", scriptErr, err)
	}
	// A restart of the process keeps every acknowledged commit.
	if _, err := faultRecover(mem, faultBaseOptions(mem), o, o.acked); err != nil {
		return false, fmt.Errorf("after restart (script: %v): %w", scriptErr, err)
	}
	return scriptErr == nil, nil
}

// faultStatCorruptionBug: open.go (checkManifest): any error from Stat of
// an SST the manifest records, an EIO included, becomes a CorruptionError
// built with %v, so an I/O error is reported as ErrCorruption and its
// cause no longer matches with errors.Is.
const faultStatCorruptionBug = "open: an I/O error from Stat of a recorded SST is reported as ErrCorruption, losing its cause"

// TestFaultStatErrorAtOpen fails the Stat of a recorded SST during Open:
// the error must be the I/O error, not corruption.
func TestFaultStatErrorAtOpen(t *testing.T) {
	mem := vfs.NewMem()
	d, err := Open("/db", faultBaseOptions(mem))
	if err != nil {
		t.Fatal(err)
	}
	o := &faultOracle{}
	if err := o.apply(d, true, "k=10"); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	inj := errorfs.OnIndex(0, errorfs.ErrInjected, func(op errorfs.Op) bool {
		return op.Kind == errorfs.OpStat && strings.HasSuffix(op.Path, ".sst")
	})
	_, err = Open("/db", faultBaseOptions(errorfs.Wrap(mem, inj)))
	if !inj.Fired() {
		t.Fatal("Open did not stat the SST")
	}
	if err == nil {
		t.Fatal("Open succeeded although Stat of a recorded SST failed")
	}
	if _, rerr := faultRecover(mem, faultBaseOptions(mem), o, 1); rerr != nil {
		t.Fatalf("reopen without the fault: %v", rerr)
	}
	if errors.Is(err, ErrCorruption) || !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("regression of a fixed bug: %s\n(Open returned %v)", faultStatCorruptionBug, err)
	}
}

// faultStaleBackwardBug: iterator.go (findPrevEntry): going backward, the
// iterator reads a key's versions oldest first and keeps the last visible
// one. When the internal iterator stops with an error in the middle of
// the versions (an EIO reading the block that holds the newer ones), the
// loop ends and the older version gathered so far is returned as valid,
// without checking iter.Error(): a stale value and no error. The error
// surfaces only at the next move or at Close.
const faultStaleBackwardBug = "iterator: a read error in the middle of a key's versions during a backward move returns an older version as valid"

// TestFaultReadErrorDuringBackwardMove fails, in turn, every SST read of
// an iterator's Last over a key whose three versions lie in three blocks:
// Last must return the newest version or report the error.
func TestFaultReadErrorDuringBackwardMove(t *testing.T) {
	mem := vfs.NewMem()
	opts := faultBaseOptions(mem)
	opts.BlockSize = 256
	d, err := Open("/db", opts)
	if err != nil {
		t.Fatal(err)
	}
	// One memtable holds every version; the flush writes them all, and with
	// 256-byte blocks each 300-byte value fills a block of its own.
	for i := range 3 {
		if err := d.Set([]byte("a"), []byte(faultValue(i, "a", 300)), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want := faultValue(2, "a", 300)
	isSSTRead := func(op errorfs.Op) bool { return op.Kind == errorfs.OpRead && strings.HasSuffix(op.Path, ".sst") }
	last := func(inj errorfs.Injector) (bool, string, error) {
		o := faultBaseOptions(errorfs.Wrap(mem, inj))
		o.BlockSize = 256
		d, err := Open("/db", o)
		if err != nil {
			return false, "", err
		}
		defer d.Close()
		it, err := d.NewIter(nil)
		if err != nil {
			return false, "", err
		}
		defer it.Close()
		ok := it.Last()
		return ok, string(it.Value()), it.Error()
	}
	counter := errorfs.OnIndex(-1, nil, isSSTRead)
	if ok, v, err := last(counter); !ok || v != want || err != nil {
		t.Fatalf("Last without faults: %t %.12q %v", ok, v, err)
	}
	stale := 0
	for i := range counter.Count() {
		ok, v, err := last(errorfs.OnIndex(i, errorfs.ErrInjected, isSSTRead))
		switch {
		case err != nil && !errors.Is(err, errorfs.ErrInjected):
			t.Errorf("read %d failed: error %v does not wrap the injected one", i, err)
		case err == nil && (!ok || v != want):
			stale++
			t.Logf("read %d failed: Last = %t, %.12q, no error; want %.12q", i, ok, v, want)
		}
	}
	t.Logf("%d SST reads in Last", counter.Count())
	if stale > 0 {
		t.Fatalf("regression of a fixed bug: %s (%d of %d read points)", faultStaleBackwardBug, stale, counter.Count())
	}
}
