package backup_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// crashVariants are the power losses and the process crash each crash
// point is imaged with.
var crashVariants = []vfs.CrashOptions{
	{UnsyncedDataPercent: 0},
	{UnsyncedDataPercent: 50},
	{UnsyncedDataPercent: 50, TornLastWrite: true},
	{UnsyncedDataPercent: 100},
}

// crashRecorder takes crash images of mem before every write-class
// operation while armed.
type crashRecorder struct {
	mem    *vfs.MemFS
	seed   uint64
	armed  bool
	images []*vfs.MemFS
	ops    []string
}

func (c *crashRecorder) fs() vfs.FS {
	return errorfs.Wrap(c.mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !c.armed || !op.Kind.IsWrite() {
			return nil
		}
		for vi, v := range crashVariants {
			v.Rand = testutil.NewRand(c.seed ^ uint64(len(c.ops))<<4 | uint64(vi))
			c.images = append(c.images, c.mem.CrashClone(v))
			c.ops = append(c.ops, fmt.Sprintf("crash before %s (%v)", op, v))
		}
		return nil
	}))
}

// finish adds an image taken after the operation completed.
func (c *crashRecorder) finish() {
	c.armed = false
	c.images = append(c.images, c.mem.CrashClone(vfs.CrashOptions{}))
	c.ops = append(c.ops, "after the operation")
}

// checkImage requires the backups of img's repository to be exactly
// those of must plus any of may, each verifying and restoring to its
// state; then a Purge that keeps them all (which removes a crash's
// leftovers) must leave them intact. It returns the IDs listed.
func checkImage(img *vfs.MemFS, must, may map[uint64]model) ([]uint64, error) {
	o := backup.Options{FS: img}
	for round := range 2 {
		list, err := o.List(repo)
		if err != nil {
			return nil, err
		}
		var ids []uint64
		for _, in := range list {
			ids = append(ids, in.ID)
			want, ok := must[in.ID]
			if !ok {
				if want, ok = may[in.ID]; !ok {
					return nil, fmt.Errorf("unexpected backup %d", in.ID)
				}
			}
			dest := fmt.Sprintf("/restore-%d-%d", round, in.ID)
			if err := checkRestore(img, repo, in.ID, dest, want); err != nil {
				return nil, err
			}
		}
		for id := range must {
			if !slices.Contains(ids, id) {
				return nil, fmt.Errorf("backup %d lost (listed: %v)", id, ids)
			}
		}
		if round == 1 {
			return ids, nil
		}
		if err := o.Purge(repo, len(list)); err != nil {
			return nil, fmt.Errorf("purge of leftovers: %w", err)
		}
		if left, err := img.List(repo + "/tmp"); err != nil || len(left) != 0 {
			return nil, fmt.Errorf("after purge, tmp holds %v (%v)", left, err)
		}
	}
	panic("unreachable")
}

// TestBackupCreateCrashPoints images a crash before every write-class
// operation of a second Create: in every image the first backup
// verifies and restores, the second is either absent or listed,
// verifying and restoring to its state, and a later Purge (which
// removes the crash's leftovers) keeps both so.
func TestBackupCreateCrashPoints(t *testing.T) {
	c := &crashRecorder{mem: vfs.NewMem(), seed: testutil.Seed(t)}
	d, infos, states := incrementalSetup(t, c.fs(), 300, func() { c.armed = true })
	c.finish()
	defer d.Close()
	complete := 0
	for i, img := range c.images {
		ids, err := checkImage(img,
			map[uint64]model{infos[0].ID: states[0]},
			map[uint64]model{infos[1].ID: states[1]})
		if err != nil {
			t.Fatalf("image %d, %s: %v", i, c.ops[i], err)
		}
		if slices.Contains(ids, infos[1].ID) {
			complete++
		}
	}
	if complete == 0 || complete == len(c.images) {
		t.Fatalf("%d of %d images hold the second backup; want some but not all", complete, len(c.images))
	}
	t.Logf("create crash points: %d images, %d with the new backup", len(c.images), complete)
}

// TestBackupPurgeCrashPoints images a crash before every write-class
// operation of Purge(1) of two backups: in every image the newest
// verifies and restores, the older is either absent or whole, and a
// later Purge keeps them so.
func TestBackupPurgeCrashPoints(t *testing.T) {
	c := &crashRecorder{mem: vfs.NewMem(), seed: testutil.Seed(t)}
	fs := c.fs()
	d, infos, states := incrementalSetup(t, fs, 300, nil)
	defer d.Close()
	c.armed = true
	if err := (backup.Options{FS: fs}).Purge(repo, 1); err != nil {
		t.Fatal(err)
	}
	c.finish()
	kept := 0
	for i, img := range c.images {
		ids, err := checkImage(img,
			map[uint64]model{infos[1].ID: states[1]},
			map[uint64]model{infos[0].ID: states[0]})
		if err != nil {
			t.Fatalf("image %d, %s: %v", i, c.ops[i], err)
		}
		if slices.Contains(ids, infos[0].ID) {
			kept++
		}
	}
	if kept == 0 || kept == len(c.images) {
		t.Fatalf("%d of %d images hold the purged backup; want some but not all", kept, len(c.images))
	}
	t.Logf("purge crash points: %d images, %d still with the purged backup", len(c.images), kept)
}

// TestBackupCreateFailures fails each write-class operation in the
// repository of a second Create in turn (errorfs): each failed Create
// returns the error and lists no new backup (except after a failure of
// the last operation, the sync of meta/ after the rename, which leaves it
// listed and complete, as a failed fsync leaves its data unknown), the
// first backup still verifies and restores, and the Create that finally
// succeeds restores to the DB's state.
func TestBackupCreateFailures(t *testing.T) {
	mem := vfs.NewMem()
	failAt, k := -1, 0
	fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if failAt < 0 || !op.Kind.IsWrite() || !strings.HasPrefix(op.Path, repo+"/") {
			return nil
		}
		k++
		if k-1 == failAt {
			return errorfs.ErrInjected
		}
		return nil
	}))
	d, infos, states := incrementalSetup(t, fs, 300, nil)
	defer d.Close()
	o := backup.Options{FS: fs}
	lateListed := 0
	for failAt = 0; ; failAt++ {
		k = 0
		in, err := o.Create(d, repo)
		if err == nil {
			n := failAt
			failAt = -1
			if err := checkRestore(mem, repo, in.ID, "/final", states[1]); err != nil {
				t.Fatal(err)
			}
			if n < 10 || lateListed > 1 {
				t.Fatalf("%d operations failed, %d failed Creates listed their backup", n, lateListed)
			}
			t.Logf("create failures: %d write operations failed in turn", n)
			return
		}
		if !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("failure at op %d: %v", failAt, err)
		}
		saved := failAt
		failAt = -1
		list, err := backup.Options{FS: mem}.List(repo)
		if err != nil || len(list) < 2 || list[1].ID != infos[1].ID {
			t.Fatalf("failure at op %d: list %+v, %v", saved, list, err)
		}
		for _, in := range list[2:] {
			if err := checkRestore(mem, repo, in.ID, fmt.Sprintf("/late%d", in.ID), states[1]); err != nil {
				t.Fatalf("failure at op %d: listed backup %d: %v", saved, in.ID, err)
			}
			lateListed++
		}
		if err := checkRestore(mem, repo, infos[0].ID, fmt.Sprintf("/r%d", saved), states[0]); err != nil {
			t.Fatalf("failure at op %d: %v", saved, err)
		}
		failAt = saved
		if failAt > 1000 {
			t.Fatal("Create never succeeded")
		}
	}
}
