package tempest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// The fsync failure matrix: a workload that syncs every kind of file (WAL,
// SST, manifest, including a manifest rotation) and every directory runs
// once per Sync call, with EIO injected at that call. After the failure:
//   - no commit is acknowledged: every later commit and flush fails with
//     ErrReadOnly wrapping the EIO (a retried fsync reported as success
//     would show up as an acknowledgement);
//   - the failed process's files reopen to a prefix of the commits
//     holding every acknowledged one, and a power-loss image of them to a
//     prefix holding every durable one.
//
// One exception is by design: a failed sync of the manifest file the
// journal is rotating to, or of the manifest directory while it rotates or
// removes old files, leaves the journal on its current, fully synced file
// (journal/rotate.go); the commits that follow are still durable. These
// points are counted as tolerated, and their recovery is checked all the
// same. So is a failed sync of the WAL or SST directory right after
// obsolete files were removed from it: the removals are then not
// recorded in the manifest, and the next Open deletes the files again if
// a crash brings them back (obsolete_files.go); no data depends on the sync.

func faultSyncOptions(fs vfs.FS) *Options {
	o := faultBaseOptions(fs)
	o.ManifestGrowthBaseline = 512
	o.SeqNumLeaseStep = 10
	return o
}

// faultSyncSite names the kind of file a sync was on.
func faultSyncSite(path string) string {
	switch {
	case path == "/db" || path == "/db/wal" || path == "/db/sst" || path == "/db/manifest":
		return "dir " + path
	case strings.HasPrefix(path, "/db/wal/"):
		return "wal"
	case strings.HasPrefix(path, "/db/sst/"):
		return "sst"
	case strings.HasPrefix(path, "/db/manifest/"):
		return "manifest"
	}
	return path
}

// TestFaultFsyncMatrix fails each Sync of the workload in turn.
func TestFaultFsyncMatrix(t *testing.T) {
	isSync := func(op errorfs.Op) bool { return op.Kind == errorfs.OpSync }
	counter := errorfs.OnIndex(-1, nil, isSync)
	if _, err := faultSyncRun(errorfs.Wrap(vfs.NewMem(), counter), &faultOracle{}, errorfs.ErrInjected, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	n := counter.Count()
	sites := map[string]int{}
	tolerated := 0
	for i := range n {
		mem := vfs.NewMem()
		var failed, prev, beforeFailed errorfs.Op
		abandoned := false // the failed file was removed afterwards
		idx := errorfs.OnIndex(i, errorfs.ErrInjected, isSync)
		inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
			if idx.Fired() && op.Kind == errorfs.OpRemove && op.Path == failed.Path {
				abandoned = true
			}
			err := idx.MaybeError(op)
			if err != nil {
				failed, beforeFailed = op, prev
			}
			if op.Kind != errorfs.OpOpenDir { // a directory sync opens it first
				prev = op
			}
			return err
		})
		o := &faultOracle{}
		res, err := faultSyncRun(errorfs.Wrap(mem, inj), o, errorfs.ErrInjected, idx.Fired)
		site := faultSyncSite(failed.Path)
		sites[site]++
		if err != nil {
			t.Errorf("sync %d (%s): %v", i, failed, err)
			continue
		}
		if res.ackedAfter > 0 {
			afterRemovals := beforeFailed.Kind == errorfs.OpRemove && strings.HasPrefix(beforeFailed.Path, failed.Path+"/")
			if !(site == "manifest" && abandoned) && site != "dir /db/manifest" && !afterRemovals {
				t.Errorf("sync %d (%s): %d commits acknowledged after the failed sync", i, failed, res.ackedAfter)
			}
			tolerated++
		}
		img := mem.CrashClone(vfs.CrashOptions{Rand: faultRand(uint64(i))})
		if _, err := faultRecover(img, faultSyncOptions(img), o, o.synced); err != nil {
			t.Errorf("sync %d (%s): after power loss: %v", i, failed, err)
		}
		if _, err := faultRecover(mem, faultSyncOptions(mem), o, o.acked); err != nil {
			t.Errorf("sync %d (%s): after restart: %v", i, failed, err)
		}
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(sites)) {
		parts = append(parts, fmt.Sprintf("%s=%d", s, sites[s]))
	}
	faultFigures(t, "fsync matrix: %d sync points (%s); 0 commits acknowledged after a failed WAL/SST/manifest sync; %d tolerated manifest-rotation or post-removal directory sync failures",
		n, strings.Join(parts, " "), tolerated)
	for _, s := range []string{"wal", "sst", "manifest", "dir /db/wal", "dir /db/sst", "dir /db/manifest"} {
		if sites[s] == 0 {
			t.Errorf("no sync of %s in the workload", s)
		}
	}
}

type faultSyncResult struct {
	ackedAfter int // commits acknowledged after the fault fired
}

// faultSyncRun runs the fsync workload: commits with and without Sync,
// large enough to rotate the WAL, flushes, and a manifest that rotates.
// After fired() turns true every failing commit or flush must report
// ErrReadOnly wrapping the injected error. It returns an error only for a
// wrong outcome.
func faultSyncRun(fs vfs.FS, o *faultOracle, injected error, fired func() bool) (faultSyncResult, error) {
	var res faultSyncResult
	d, err := Open("/db", faultSyncOptions(fs))
	if err != nil {
		if fired() && errors.Is(err, injected) {
			return res, nil
		}
		return res, fmt.Errorf("open: %v", err)
	}
	check := func(what string, err error) error {
		switch {
		case err == nil:
			return nil
		case !fired():
			return fmt.Errorf("%s failed with no fault: %v", what, err)
		case !errors.Is(err, ErrReadOnly) || !errors.Is(err, injected):
			return fmt.Errorf("%s: %v is not ErrReadOnly wrapping the injected %v", what, err, injected)
		}
		return nil
	}
	for i := range 40 {
		before := fired()
		err := o.apply(d, i%2 == 0, fmt.Sprintf("k%02d=1500", i%12))
		if err == nil && before {
			res.ackedAfter++
		}
		if err := check(fmt.Sprintf("commit %d", i), err); err != nil {
			d.Close()
			return res, err
		}
		if i%10 == 9 {
			err := d.Flush()
			if err == nil {
				o.durable()
			}
			if err := check("flush", err); err != nil {
				d.Close()
				return res, err
			}
		}
	}
	// Close after a failure abandons the WAL (and may still return nil):
	// only a Close of a healthy DB makes the commits durable.
	if err := d.Close(); err == nil && !fired() {
		o.durable()
	} else if err != nil && !fired() {
		return res, fmt.Errorf("close: %v", err)
	}
	return res, nil
}

// faultLostManifestBug: journal/journal.go (create, Open): Open creates
// manifest-000000 through a temporary file and a rename, then syncs the
// manifest directory. If that directory sync fails, Open fails but the
// renamed file stays; the next Open uses it and nothing ever syncs the
// manifest directory again (appends sync the file only; no older file is
// removed). A power loss then drops the file's directory entry: the whole
// manifest is gone, Open starts an empty one and deletes every SST as an
// orphan, losing synced data without an error. (The same happens after a
// failed directory sync at rotation step 4, if removing the older file
// then fails: the manifest reverts to the older file. The simulator finds
// both.)
const faultLostManifestBug = "journal: a failed manifest directory sync at creation is never retried; a later power loss loses the manifest and all synced data"

// TestFaultManifestDirSyncAtCreate fails the directory sync that makes the
// new manifest's name durable, reopens, commits with Sync, flushes, closes
// cleanly and loses power: every commit must survive.
func TestFaultManifestDirSyncAtCreate(t *testing.T) {
	mem := vfs.NewMem()
	inj := errorfs.OnIndex(0, errorfs.ErrInjected, func(op errorfs.Op) bool {
		return op.Kind == errorfs.OpSync && op.Path == "/db/manifest"
	})
	fs := errorfs.Wrap(mem, inj)
	if _, err := Open("/db", faultBaseOptions(fs)); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("first open: %v, want the injected error", err)
	}
	d, err := Open("/db", faultBaseOptions(fs))
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	// Two rounds of synced commits and a flush: the second flush's new WAL
	// syncs the WAL directory, which makes the removal of the first WAL
	// durable, so only the SST holds the first round.
	o := &faultOracle{}
	for i := range 40 {
		if err := o.apply(d, true, fmt.Sprintf("k%02d=100", i)); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	img := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0})
	if _, err := faultRecover(img, faultBaseOptions(img), o, len(o.commits)); err != nil {
		t.Fatalf("regression of a fixed bug: %s\n(%v)", faultLostManifestBug, err)
	}
}
