package backup_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestBackupDamage: every kind of damage to the files a backup is made of
// (a shared SST it uses, its private manifest, its metadata) fails Verify
// and Restore with ErrCorruption naming a damaged file, and a failed
// Restore leaves nothing behind. Undoing the damage makes it verify again.
func TestBackupDamage(t *testing.T) {
	fs := vfs.NewMem()
	d, infos, _ := incrementalSetup(t, fs, 1500, nil)
	defer d.Close()
	first, id := infos[0].ID, infos[1].ID
	shared, err := fs.List(repo + "/shared")
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, n := range shared {
		if sharedBy(t, fs, id, n) {
			used = append(used, repo+"/shared/"+n)
		}
	}
	manifests, err := fs.List(fmt.Sprintf("%s/private/%d/manifest", repo, id))
	if err != nil || len(used) < 2 || len(manifests) == 0 {
		t.Fatal(used, manifests, err)
	}
	meta := fmt.Sprintf("%s/meta/%d", repo, id)
	files := []string{used[0], fmt.Sprintf("%s/private/%d/manifest/%s", repo, id, manifests[0]), meta}

	type damage struct {
		desc    string
		damaged []string
		apply   func(map[string][]byte) map[string][]byte
	}
	var cases []damage
	for _, f := range files {
		cases = append(cases,
			damage{"truncate to 0: " + f, []string{f}, func(m map[string][]byte) map[string][]byte {
				return map[string][]byte{f: nil}
			}},
			damage{"truncate to half: " + f, []string{f}, func(m map[string][]byte) map[string][]byte {
				return map[string][]byte{f: m[f][:len(m[f])/2]}
			}},
			damage{"truncate by one byte: " + f, []string{f}, func(m map[string][]byte) map[string][]byte {
				return map[string][]byte{f: m[f][:len(m[f])-1]}
			}},
			damage{"zero the second half: " + f, []string{f}, func(m map[string][]byte) map[string][]byte {
				b := append([]byte(nil), m[f]...)
				clear(b[len(b)/2:])
				return map[string][]byte{f: b}
			}},
		)
	}
	cases = append(cases,
		damage{"swap two shared SSTs", used[:2], func(m map[string][]byte) map[string][]byte {
			return map[string][]byte{used[0]: m[used[1]], used[1]: m[used[0]]}
		}},
		damage{"older backup's metadata put in place of the newer's", []string{meta}, func(m map[string][]byte) map[string][]byte {
			return map[string][]byte{meta: m["first"]}
		}},
	)

	orig := make(map[string][]byte)
	for _, f := range append(files, used[1]) {
		if orig[f], err = fs.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	if orig["first"], err = fs.ReadFile(fmt.Sprintf("%s/meta/%d", repo, first)); err != nil {
		t.Fatal(err)
	}
	o := backup.Options{FS: fs}
	for _, c := range cases {
		changed := c.apply(orig)
		for f, b := range changed {
			must(t, fs.WriteFile(f, b))
		}
		verr := o.Verify(repo, id)
		rerr := o.Restore(repo, id, "/restored")
		for _, err := range []error{verr, rerr} {
			if !errors.Is(err, base.ErrCorruption) || !namesAny(err, c.damaged) {
				t.Errorf("%s: %v, want ErrCorruption naming one of %v", c.desc, err, c.damaged)
			}
		}
		for _, p := range []string{"/restored", "/restored.restore-tmp"} {
			if _, err := fs.Stat(p); err == nil {
				t.Fatalf("%s: the failed restore left %s", c.desc, p)
			}
		}
		for f := range changed {
			must(t, fs.WriteFile(f, orig[f]))
		}
		must(t, o.Verify(repo, id))
	}
	t.Logf("%d damage cases to backup %d", len(cases), id)
}

func namesAny(err error, paths []string) bool {
	for _, p := range paths {
		if strings.Contains(err.Error(), p) {
			return true
		}
	}
	return false
}
