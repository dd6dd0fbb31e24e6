//go:build linux

package tempest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tempestdb/tempest/vfs"
)

// ENOSPC on a real file system: each scenario mounts a small tmpfs (as
// root; the test skips otherwise), builds a DB on it with the code that
// ships on Linux (vfs.Default, so the WAL is the mapped, fallocate-extended
// one), fills the rest of the disk with a ballast file, and runs one
// operation that must fail with ENOSPC: a stream of commits (the WAL
// cannot extend its preallocation), a Flush (its SST cannot be written),
// or a Compact (its outputs cannot be written). Then:
//
//   - the operation fails with an error matching syscall.ENOSPC (so the
//     scenario hit ENOSPC where intended), never a panic;
//   - the open DB still reads the acknowledged state;
//   - with the disk filled again, every reopen attempt either fails with
//     ENOSPC and leaves the directory as it was (same files, same
//     sizes), or opens the acknowledged state;
//   - once the ballast is removed, the first reopen succeeds and holds
//     every acknowledged commit (a prefix of the commits at least as long
//     as the acknowledged ones: no hole, no wrong value).

// enospcDiskSize is the size of each scenario's tmpfs: room for the WAL's
// first preallocation (4 MiB), a few MiB of data, and the ballast.
const enospcDiskSize = 24 << 20

// enospcReopens is the number of reopen attempts on the full disk.
const enospcReopens = 3

// enospcDisk is a tmpfs mounted for one scenario, and its ballast file.
type enospcDisk struct {
	t       *testing.T
	mnt     string
	ballast string
}

// mountENOSPCDisk mounts a fresh tmpfs, unmounted when the test ends.
func mountENOSPCDisk(t *testing.T) *enospcDisk {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a size-limited tmpfs")
	}
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%dk", enospcDiskSize>>10)); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
			_ = unix.Unmount(mnt, unix.MNT_DETACH)
		}
	})
	return &enospcDisk{t: t, mnt: mnt, ballast: filepath.Join(mnt, "ballast")}
}

// free returns the bytes available on the disk.
func (k *enospcDisk) free() int64 {
	k.t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(k.mnt, &st); err != nil {
		k.t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// fill grows the ballast until the disk is full, then shrinks it so that
// slack bytes (rounded up to a page) are free.
func (k *enospcDisk) fill(slack int64) {
	k.t.Helper()
	f, err := os.OpenFile(k.ballast, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		k.t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				k.t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	if slack > 0 {
		fi, err := f.Stat()
		if err != nil {
			k.t.Fatal(err)
		}
		page := int64(os.Getpagesize())
		slack = (slack + page - 1) / page * page
		if err := f.Truncate(max(0, fi.Size()-slack)); err != nil {
			k.t.Fatal(err)
		}
	}
}

// release removes the ballast: space returns.
func (k *enospcDisk) release() {
	k.t.Helper()
	if err := os.Remove(k.ballast); err != nil {
		k.t.Fatal(err)
	}
}

// enospcListing maps every file under dir to its size.
func enospcListing(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if e.IsDir() {
			rel += "/"
		}
		out[rel] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// enospcListingDiff describes how b differs from a.
func enospcListingDiff(a, b map[string]int64) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(a)) {
		if sb, ok := b[p]; !ok {
			out = append(out, "removed "+p)
		} else if sb != a[p] && !strings.HasSuffix(p, "/") {
			out = append(out, fmt.Sprintf("%s: %d -> %d bytes", p, a[p], sb))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[p]; !ok {
			out = append(out, fmt.Sprintf("created %s (%d bytes)", p, b[p]))
		}
	}
	return out
}

// enospcRun is one scenario's DB and model.
type enospcRun struct {
	t    *testing.T
	disk *enospcDisk
	dir  string
	d    *DB
	o    *faultOracle
	seed uint64
	n    int // commits made by write
}

func enospcOptions() *Options {
	return &Options{
		FS:                          vfs.Default,
		MemTableSize:                16 << 20,
		TargetFileSize:              256 << 10,
		DisableAutomaticCompactions: true,
		Compression:                 NoCompression,
		Scheduler:                   InlineScheduler{},
	}
}

// write commits n batches of one 1000-byte value each over 2000 keys,
// one in three synced, and returns the first error.
func (r *enospcRun) write(n int) error {
	rng := faultRand(r.seed + uint64(r.n))
	for range n {
		r.n++
		if err := r.o.apply(r.d, rng.IntN(3) == 0, fmt.Sprintf("k%04d=1000", rng.IntN(2000))); err != nil {
			return err
		}
	}
	return nil
}

// enospcScenario builds a DB in r and runs the operation that must hit
// ENOSPC, returning its error.
type enospcScenario struct {
	name string
	run  func(r *enospcRun) error
}

var enospcScenarios = []enospcScenario{
	{"writes", func(r *enospcRun) error {
		// The WAL has its first preallocation; with the disk full, the
		// commits that outgrow it need another.
		r.disk.fill(256 << 10)
		return r.write(20000)
	}},
	{"flush", func(r *enospcRun) error {
		// About 1 MiB in the memtable and its WAL. The flush rotates the
		// WAL (which truncates the old one's unused preallocation and
		// preallocates a new one of the same size), then writes a 1 MiB
		// SST: 1.5 MiB free is room for the first, not for both.
		if err := r.write(1000); err != nil {
			return fmt.Errorf("before the disk is full: %w", err)
		}
		r.disk.fill(3 << 19)
		return r.d.Flush()
	}},
	{"compact", func(r *enospcRun) error {
		// Two overlapping L0 SSTs of about 1 MiB each; the compaction's
		// outputs hold about 1.3 MiB, and 256 KiB are free.
		for range 2 {
			if err := r.write(1000); err != nil {
				return fmt.Errorf("before the disk is full: %w", err)
			}
			if err := r.d.Flush(); err != nil {
				return fmt.Errorf("before the disk is full: %w", err)
			}
		}
		r.disk.fill(256 << 10)
		return r.d.Compact(context.Background(), nil, nil)
	}},
}

// TestENOSPCTmpfs runs the ENOSPC scenarios on size-limited tmpfs mounts.
func TestENOSPCTmpfs(t *testing.T) {
	seed := testSeed(t)
	var summary []string
	t.Cleanup(func() {
		if len(summary) > 0 {
			faultFigures(t, "ENOSPC on tmpfs (seed %d): %s", seed, strings.Join(summary, "; "))
		}
	})
	for i, sc := range enospcScenarios {
		t.Run(sc.name, func(t *testing.T) {
			disk := mountENOSPCDisk(t)
			r := &enospcRun{t: t, disk: disk, dir: filepath.Join(disk.mnt, "db"), o: &faultOracle{}, seed: seed + uint64(i)}
			d, err := Open(r.dir, enospcOptions())
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			r.d = d
			opErr := enospcCatch(func() error { return sc.run(r) })
			summary = append(summary, sc.name+": "+r.check(sc.name, opErr))
		})
	}
}

// enospcCatch runs f, turning a panic into an error.
func enospcCatch(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// check runs the checks that follow the failed operation, and returns a
// summary of them for the figures.
func (r *enospcRun) check(name string, opErr error) string {
	t := r.t
	hit := "ENOSPC hit"
	if !errors.Is(opErr, syscall.ENOSPC) {
		hit = "ENOSPC NOT hit"
	}
	clean, dirty, opened := 0, 0, 0
	t.Logf("%s: %d commits acknowledged; the operation returned: %v", name, r.o.acked, opErr)
	if !errors.Is(opErr, syscall.ENOSPC) {
		t.Errorf("%s: the operation returned %v, want an error matching ENOSPC (the disk did not fill where intended)", name, opErr)
	}
	if errors.Is(opErr, ErrCorruption) {
		t.Errorf("%s: ENOSPC reported as corruption: %v", name, opErr)
	}
	if err := r.recovered(r.d); err != nil {
		t.Errorf("%s: the open DB after ENOSPC: %v", name, err)
	}
	// A later commit either succeeds or fails cleanly.
	if err := enospcCatch(func() error { return r.write(1) }); err != nil &&
		!errors.Is(err, ErrReadOnly) && !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("%s: a commit after ENOSPC failed with %v, want ErrReadOnly or ENOSPC", name, err)
	}
	if err := enospcCatch(r.d.Close); err != nil {
		t.Logf("%s: Close after ENOSPC: %v", name, err)
	}

	r.disk.fill(0)
	t.Logf("%s: disk filled again, %d bytes free", name, r.disk.free())
	for attempt := 1; attempt <= enospcReopens; attempt++ {
		before := enospcListing(t, r.dir)
		var d *DB
		err := enospcCatch(func() (err error) { d, err = Open(r.dir, enospcOptions()); return err })
		if err == nil {
			t.Logf("%s: reopen %d on the full disk succeeded", name, attempt)
			if err := r.recovered(d); err != nil {
				t.Errorf("%s: reopen %d on the full disk: %v", name, attempt, err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("%s: close: %v", name, err)
			}
			opened++
			continue
		}
		t.Logf("%s: reopen %d on the full disk: %v", name, attempt, err)
		if !errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrCorruption) {
			t.Errorf("%s: reopen %d on the full disk failed with %v, want an error matching ENOSPC (and not corruption)", name, attempt, err)
		}
		if diff := enospcListingDiff(before, enospcListing(t, r.dir)); len(diff) > 0 {
			t.Errorf("%s: failed reopen %d changed the directory: %s", name, attempt, strings.Join(diff, ", "))
			dirty++
		} else {
			clean++
		}
	}
	after := "reopen after space returned: ok"

	r.disk.release()
	if err := r.reopenAfterSpace(name); err != nil {
		t.Error(err)
		after = "reopen after space returned: FAILED"
	}
	return fmt.Sprintf("%s, %d commits acknowledged; %d reopens on the full disk: %d failed leaving the directory as it was, %d failed changing it, %d opened; %s",
		hit, r.o.acked, enospcReopens, clean, dirty, opened, after)
}

// reopenAfterSpace opens the DB once the ballast is gone: it must open
// and hold every acknowledged commit.
func (r *enospcRun) reopenAfterSpace(name string) error {
	d, err := Open(r.dir, enospcOptions())
	if err != nil {
		return fmt.Errorf("%s: reopen after space returned (%d bytes free): %w", name, r.disk.free(), err)
	}
	var errs []error
	if err := r.recovered(d); err != nil {
		errs = append(errs, fmt.Errorf("%s: reopen after space returned: %w", name, err))
	}
	if err := d.Check(); err != nil {
		errs = append(errs, fmt.Errorf("%s: Check after space returned: %w", name, err))
	}
	if err := d.Close(); err != nil {
		errs = append(errs, fmt.Errorf("%s: close: %w", name, err))
	}
	return errors.Join(errs...)
}

// recovered checks that d holds every acknowledged commit: its state is
// the state after a prefix of the commits no shorter than the
// acknowledged ones (a commit that failed may have reached the log).
func (r *enospcRun) recovered(d *DB) error {
	got, err := faultDump(d)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	_, err = r.o.prefix(got, r.o.acked)
	return err
}
