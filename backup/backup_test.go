package backup_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

const repo = "/repo"

// incrementalSetup fills a DB on fs with several levels of SSTs, backs it
// up, changes 1% of its keys (one contiguous range, compacted, so most
// SSTs stay as they are), and backs it up again. It returns the DB, the
// two backups and the states they hold. beforeSecond, if not nil, runs
// just before the second Create.
func incrementalSetup(t *testing.T, fs vfs.FS, n int, beforeSecond func()) (*tempest.DB, [2]backup.Info, [2]model) {
	t.Helper()
	rng := testutil.NewRand(testutil.Seed(t))
	d, err := tempest.Open("/db", dbOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	put(t, d, m, rng, 0, n, 100)
	if err := d.Compact(t.Context(), nil, nil); err != nil {
		t.Fatal(err)
	}
	put(t, d, m, rng, n, n+n/50, 100) // tables that stay above the bottom
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if levels := nonEmptyLevels(d); levels < 2 {
		t.Fatalf("SSTs in %d levels, want several", levels)
	}
	o := backup.Options{FS: fs}
	var infos [2]backup.Info
	var states [2]model
	if infos[0], err = o.Create(d, repo); err != nil {
		t.Fatal(err)
	}
	states[0] = m.clone()
	lo := n / 3
	put(t, d, m, rng, lo, lo+n/100, 100)
	if err := d.Compact(t.Context(), []byte(key(lo)), []byte(key(lo+n/100))); err != nil {
		t.Fatal(err)
	}
	if beforeSecond != nil {
		beforeSecond()
	}
	if infos[1], err = o.Create(d, repo); err != nil {
		t.Fatal(err)
	}
	states[1] = m.clone()
	return d, infos, states
}

// nonEmptyLevels counts the levels of d that hold SSTs.
func nonEmptyLevels(d *tempest.DB) int {
	n := 0
	for _, l := range d.Metrics().Levels {
		if l.Files > 0 {
			n++
		}
	}
	return n
}

// TestIncrementalBackup: a backup after 1% of the keys changed stores
// under 5% of the bytes of the first, each backup restores to its own
// state, a backup of an unchanged DB stores less still, and
// Options.Progress counts every file.
func TestIncrementalBackup(t *testing.T) {
	fs := vfs.NewMem()
	d, infos, states := incrementalSetup(t, fs, 6000, nil)
	defer d.Close()
	first, second := infos[0], infos[1]
	if first.StoredBytes != first.Bytes || first.Files < 10 {
		t.Fatalf("first backup: %+v: stored %d of %d bytes in %d files", first, first.StoredBytes, first.Bytes, first.Files)
	}
	pct := 100 * float64(second.StoredBytes) / float64(first.StoredBytes)
	t.Logf("first backup: %d files, %d bytes stored; second: %d files, %d bytes stored (%.2f%% of the first)",
		first.Files, first.StoredBytes, second.Files, second.StoredBytes, pct)
	if second.StoredBytes == 0 || pct >= 5 {
		t.Fatalf("second backup stored %d bytes, %.2f%% of the first's %d; want (0, 5%%)", second.StoredBytes, pct, first.StoredBytes)
	}
	if second.ID <= first.ID || second.Seq <= first.Seq {
		t.Fatalf("IDs %d, %d and seqs %d, %d do not grow", first.ID, second.ID, first.Seq, second.Seq)
	}
	list, err := backup.Options{FS: fs}.List(repo)
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].Seq != second.Seq || list[1].Bytes != second.Bytes {
		t.Fatalf("List = %+v, %v", list, err)
	}
	for i, in := range infos {
		if err := checkRestore(fs, repo, in.ID, fmt.Sprintf("/restore%d", i), states[i]); err != nil {
			t.Fatal(err)
		}
	}
	var seen int64
	po := backup.Options{FS: fs, Progress: func(n int64) { seen += n }}
	must(t, po.Verify(repo, second.ID))
	must(t, po.Restore(repo, second.ID, "/restore-progress"))
	if third, err := po.Create(d, repo); err != nil || third.StoredBytes >= second.StoredBytes {
		t.Fatalf("backup of an unchanged DB: %+v, %v", third, err)
	} else if seen != 2*second.Bytes+third.Bytes {
		t.Fatalf("progress reported %d bytes, want %d", seen, 2*second.Bytes+third.Bytes)
	}
	if err := (backup.Options{FS: fs}).Restore(repo, first.ID, "/restore0"); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("restore to an existing directory: %v, want ErrInvalidArgument", err)
	}
}

// TestBackupFlippedByte: one flipped byte in a shared SST, a private
// file or a metadata file fails Verify and Restore with ErrCorruption
// naming that file, and Restore leaves nothing behind; a missing shared
// file fails Verify so too.
func TestBackupFlippedByte(t *testing.T) {
	fs := vfs.NewMem()
	d, infos, _ := incrementalSetup(t, fs, 1500, nil)
	defer d.Close()
	id := infos[1].ID
	shared, err := fs.List(repo + "/shared")
	if err != nil || len(shared) == 0 {
		t.Fatal(shared, err)
	}
	manifests, err := fs.List(fmt.Sprintf("%s/private/%d/manifest", repo, id))
	if err != nil || len(manifests) == 0 {
		t.Fatal(manifests, err)
	}
	usedShared := ""
	for _, n := range shared {
		if sharedBy(t, fs, id, n) {
			usedShared = repo + "/shared/" + n
		}
	}
	for _, name := range []string{
		usedShared,
		fmt.Sprintf("%s/private/%d/manifest/%s", repo, id, manifests[0]),
		fmt.Sprintf("%s/meta/%d", repo, id),
	} {
		data, err := fs.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0x10
		must(t, fs.WriteFile(name, data))
		verr := backup.Options{FS: fs}.Verify(repo, id)
		rerr := backup.Options{FS: fs}.Restore(repo, id, "/restored")
		for _, err := range []error{verr, rerr} {
			if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), name) {
				t.Fatalf("flipped byte in %s: %v, want ErrCorruption naming it", name, err)
			}
		}
		for _, p := range []string{"/restored", "/restored.restore-tmp"} {
			if _, err := fs.Stat(p); err == nil {
				t.Fatalf("failed restore left %s", p)
			}
		}
		data[len(data)/2] ^= 0x10
		must(t, fs.WriteFile(name, data))
		must(t, backup.Options{FS: fs}.Verify(repo, id))
	}
	must(t, fs.Remove(usedShared))
	if err := (backup.Options{FS: fs}).Verify(repo, id); !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), usedShared) {
		t.Fatalf("missing %s: %v, want ErrCorruption naming it", usedShared, err)
	}
}

// sharedBy reports whether backup id's metadata names the shared file
// name (<num>_<size>_<checksum>.sst).
func sharedBy(t *testing.T, fs *vfs.MemFS, id uint64, name string) bool {
	t.Helper()
	data, err := fs.ReadFile(fmt.Sprintf("%s/meta/%d", repo, id))
	if err != nil {
		t.Fatal(err)
	}
	sz := strings.Split(strings.TrimSuffix(name, ".sst"), "_")
	return strings.Contains(string(data), " "+sz[1]+" "+sz[2]+" shared")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupPurge: Purge keeps the newest backups, which still restore
// to their states, and removes every shared file only the purged ones
// used; keepLast 0 empties the repository's stores.
func TestBackupPurge(t *testing.T) {
	fs := vfs.NewMem()
	d, infos, states := incrementalSetup(t, fs, 1500, nil)
	defer d.Close()
	o := backup.Options{FS: fs}
	before, err := fs.List(repo + "/shared")
	must(t, err)
	must(t, o.Purge(repo, 1))
	list, err := o.List(repo)
	if err != nil || len(list) != 1 || list[0].ID != infos[1].ID {
		t.Fatalf("after Purge(1): %+v, %v", list, err)
	}
	after, err := fs.List(repo + "/shared")
	must(t, err)
	if len(after) >= len(before) {
		t.Fatalf("Purge removed no shared file: %d before, %d after", len(before), len(after))
	}
	if err := checkRestore(fs, repo, infos[1].ID, "/r1", states[1]); err != nil {
		t.Fatal(err)
	}
	if err := o.Verify(repo, infos[0].ID); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("Verify of a purged backup: %v, want ErrInvalidArgument", err)
	}
	if err := o.Purge(repo, -1); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("Purge(-1): %v", err)
	}
	must(t, o.Purge(repo, 0))
	for _, dir := range []string{"shared", "private", "meta"} {
		if names, err := fs.List(repo + "/" + dir); err != nil || len(names) != 0 {
			t.Fatalf("after Purge(0), %s holds %v (%v)", dir, names, err)
		}
	}
}
