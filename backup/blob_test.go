package backup_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/vfs"
)

// TestBackupBlobFiles: a database whose values are in blob files backs up
// with its blob files stored shared (a second backup stores only the new
// ones), and both backups verify and restore to their states.
func TestBackupBlobFiles(t *testing.T) {
	fs := vfs.NewMem()
	o := dbOptions(fs)
	o.ValueSeparationThreshold = 100
	d, err := tempest.Open("/db", o)
	must(t, err)
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	m := model{}
	var infos []backup.Info
	var states []model
	for round := range 2 {
		put(t, d, m, rng, round*200, round*200+300, 300)
		must(t, d.Flush())
		in, err := backup.Options{FS: fs}.Create(d, repo)
		must(t, err)
		infos, states = append(infos, in), append(states, m.clone())
	}
	names, err := fs.List(repo + "/shared")
	must(t, err)
	blobs := 0
	for _, n := range names {
		if strings.HasSuffix(n, ".blob") {
			blobs++
		}
	}
	if blobs < 2 {
		t.Fatalf("shared store %v holds %d blob files, want at least 2", names, blobs)
	}
	if infos[1].StoredBytes >= infos[1].Bytes {
		t.Fatalf("second backup stored %d of %d bytes: the first's blob files were not shared", infos[1].StoredBytes, infos[1].Bytes)
	}
	for i, in := range infos {
		must(t, checkRestore(fs, repo, in.ID, "/restore"+string(rune('0'+i)), states[i]))
	}
}
