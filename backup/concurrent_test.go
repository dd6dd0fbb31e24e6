package backup_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// write is one acknowledged Set and the sequence number it committed at.
type write struct {
	seq        uint64
	key, value string
}

// stateAt is the state made by the writes at or below seq.
func stateAt(log []write, seq uint64) model {
	log = slices.Clone(log)
	slices.SortFunc(log, func(a, b write) int { return int(a.seq) - int(b.seq) })
	m := model{}
	for _, w := range log {
		if w.seq <= seq {
			m[w.key] = w.value
		}
	}
	return m
}

// TestBackupConcurrentWrites takes three backups while four goroutines
// write, and restores each: it equals exactly the writes at or below its
// Info.Seq, and Info.Seq is at least every write acknowledged before
// Create began.
func TestBackupConcurrentWrites(t *testing.T) {
	seed := testutil.Seed(t)
	fs := vfs.NewMem()
	d, err := tempest.Open("/db", dbOptions(fs))
	must(t, err)
	var (
		mu   sync.Mutex
		log  []write
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	for id := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(id)))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k, v := fmt.Sprintf("w%d-%04d", id, rng.IntN(300)), randValue(rng, 64)
				b := d.NewBatch()
				must(t, b.Set([]byte(k), []byte(v)))
				tok, err := d.Apply(b, nil)
				if err != nil {
					t.Errorf("writer %d: %v", id, err)
					return
				}
				mu.Lock()
				log = append(log, write{tok.SeqNum(), k, v})
				mu.Unlock()
			}
		}()
	}
	acked := func() (n int, top uint64) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range log {
			top = max(top, w.seq)
		}
		return len(log), top
	}
	type taken struct {
		info  backup.Info
		acked uint64
	}
	var infos []taken
	for i := range 3 {
		for n, _ := acked(); n < (i+1)*1500 && !t.Failed(); n, _ = acked() {
			time.Sleep(time.Millisecond)
		}
		_, top := acked()
		in, err := backup.Options{FS: fs}.Create(d, repo)
		if err != nil {
			t.Errorf("backup %d: %v", i, err)
			break
		}
		infos = append(infos, taken{in, top})
	}
	close(stop)
	wg.Wait()
	must(t, d.Close())
	if t.Failed() {
		return
	}
	for i, in := range infos {
		if in.info.Seq < in.acked {
			t.Fatalf("backup %d: Seq %d below the acknowledged %d", i, in.info.Seq, in.acked)
		}
		want := stateAt(log, in.info.Seq)
		if err := checkRestore(fs, repo, in.info.ID, fmt.Sprintf("/restore%d", i), want); err != nil {
			t.Fatalf("backup %d at seq %d: %v", i, in.info.Seq, err)
		}
	}
	t.Logf("%d writes; backups at seqs %d, %d, %d each restored exactly", len(log), infos[0].info.Seq, infos[1].info.Seq, infos[2].info.Seq)
}

// TestBackupRepositoryLock: Verify and Restore share the repository's
// lock with each other and are refused with ErrLocked while Create or
// Purge holds it, so a Purge never removes a file they read.
func TestBackupRepositoryLock(t *testing.T) {
	fs := vfs.NewMem()
	d, infos, states := incrementalSetup(t, fs, 500, nil)
	must(t, d.Close())
	id := infos[1].ID
	shared, err := fs.LockShared(repo + "/LOCK")
	must(t, err)
	// Beside another shared holder (a Verify or Restore), both work.
	must(t, checkRestore(fs, repo, id, "/restore-shared", states[1]))
	must(t, shared.Close())

	excl, err := fs.Lock(repo + "/LOCK") // as Create and Purge hold it
	must(t, err)
	o := backup.Options{FS: fs}
	if err := o.Verify(repo, id); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("Verify beside an exclusive holder: %v, want ErrLocked", err)
	}
	if err := o.Restore(repo, id, "/restore-locked"); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("Restore beside an exclusive holder: %v, want ErrLocked", err)
	}
	if _, err := fs.Stat("/restore-locked"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused Restore left /restore-locked behind")
	}
	must(t, excl.Close())
	must(t, o.Verify(repo, id))
}
