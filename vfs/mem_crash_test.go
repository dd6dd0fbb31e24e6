package vfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

func crash(fs *vfs.MemFS, pct int, seed uint64) *vfs.MemFS {
	return fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: pct, Rand: rand.New(rand.NewPCG(seed, 0))})
}

// content returns the file's content, or nil if it does not exist.
func content(t *testing.T, fs *vfs.MemFS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	must(t, err)
	return b
}

func exists(t *testing.T, fs *vfs.MemFS, name string) bool {
	t.Helper()
	_, err := fs.Stat(name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func syncDir(t *testing.T, fs vfs.FS, dir string) {
	t.Helper()
	d, err := fs.OpenDir(dir)
	must(t, err)
	must(t, d.Sync())
	must(t, d.Close())
}

// durableFile creates name with data, syncs it and its directory.
func durableFile(t *testing.T, fs *vfs.MemFS, dir, name string, data []byte) {
	t.Helper()
	writeFile(t, fs, fs.PathJoin(dir, name), data)
	syncDir(t, fs, dir)
}

func fill(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func TestCrashFileData(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/d", 0o755))
	durableFile(t, fs, "/d", "f", fill('A', 3*4096))
	f, err := fs.OpenForAppend("/d/f")
	must(t, err)
	_, err = f.WriteAt(fill('B', 4096), 4096) // overwrite synced block 1
	must(t, err)
	_, err = f.Write(fill('C', 3*4096)) // blocks 3..5
	must(t, err)
	must(t, f.Close())
	current := content(t, fs, "/d/f")
	synced := fill('A', 3*4096)

	if got := content(t, crash(fs, 100, 1), "/d/f"); !bytes.Equal(got, current) {
		t.Fatal("process crash lost data")
	}
	if got := content(t, crash(fs, 0, 1), "/d/f"); !bytes.Equal(got, synced) {
		t.Fatalf("power loss at 0%% kept unsynced data (len %d)", len(got))
	}
	seed := testSeed(t)
	seenB, seenA, seenHole := false, false, false
	lengths := map[int]bool{}
	for i := uint64(0); i < 200; i++ {
		got := content(t, crash(fs, 50, seed+i), "/d/f")
		lengths[len(got)] = true
		if len(got)%4096 != 0 || len(got) < 3*4096 || len(got) > 6*4096 {
			t.Fatalf("seed %d: length %d", seed+i, len(got))
		}
		block := func(b int) []byte { return got[b*4096 : (b+1)*4096] }
		if !bytes.Equal(block(0), fill('A', 4096)) || !bytes.Equal(block(2), fill('A', 4096)) {
			t.Fatalf("seed %d: synced block changed", seed+i)
		}
		switch {
		case bytes.Equal(block(1), fill('A', 4096)):
			seenA = true
		case bytes.Equal(block(1), fill('B', 4096)):
			seenB = true
		default:
			t.Fatalf("seed %d: block 1 is a mix", seed+i)
		}
		for b := 3; b < len(got)/4096; b++ {
			switch {
			case bytes.Equal(block(b), fill('C', 4096)):
			case bytes.Equal(block(b), fill(0, 4096)):
				seenHole = true // a lost block before a surviving one
			default:
				t.Fatalf("seed %d: block %d neither written nor zero", seed+i, b)
			}
		}
		if n := len(got) / 4096; n > 3 && !bytes.Equal(block(n-1), fill('C', 4096)) {
			t.Fatalf("seed %d: length extends past the last surviving block", seed+i)
		}
	}
	if !seenA || !seenB || !seenHole || len(lengths) < 3 {
		t.Fatalf("outcomes not varied: block1 A=%t B=%t hole=%t lengths=%v", seenA, seenB, seenHole, lengths)
	}
}

// TestCrashUnalignedTail covers a dirty block that straddles the synced
// length.
func TestCrashUnalignedTail(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "f", fill('A', 100))
	f, err := fs.OpenForAppend("/f")
	must(t, err)
	_, err = f.Write(fill('B', 5000))
	must(t, err)
	must(t, f.Close())
	seed := testSeed(t)
	outcomes := map[string]bool{}
	for i := uint64(0); i < 100; i++ {
		got := content(t, crash(fs, 50, seed+i), "/f")
		if !bytes.Equal(got[:100], fill('A', 100)) {
			t.Fatalf("seed %d: synced prefix lost", seed+i)
		}
		switch len(got) {
		case 100:
		case 4096:
			if !bytes.Equal(got[100:], fill('B', 3996)) {
				t.Fatalf("seed %d: block 0 survived partly", seed+i)
			}
		case 5100:
			switch b0 := got[100:4096]; {
			case bytes.Equal(b0, fill('B', 3996)):
			case bytes.Equal(b0, fill(0, 3996)):
				outcomes["hole"] = true
			default:
				t.Fatalf("seed %d: block 0 is a mix", seed+i)
			}
			if !bytes.Equal(got[4096:], fill('B', 1004)) {
				t.Fatalf("seed %d: surviving last block wrong", seed+i)
			}
		default:
			t.Fatalf("seed %d: length %d", seed+i, len(got))
		}
		outcomes[fmt.Sprint(len(got))] = true
	}
	if len(outcomes) != 4 {
		t.Fatalf("outcomes %v", outcomes)
	}
}

func TestCrashCreateNeedsDirSync(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/d", 0o755))
	writeFile(t, fs, "/d/f", []byte("data")) // synced file, unsynced entry
	c := crash(fs, 0, 1)
	if !exists(t, c, "/d") {
		t.Fatal("directory lost")
	}
	if exists(t, c, "/d/f") {
		t.Fatal("file whose directory was not synced survived at 0%")
	}
	if got := content(t, crash(fs, 100, 1), "/d/f"); string(got) != "data" {
		t.Fatalf("process crash: %q", got)
	}
	syncDir(t, fs, "/d")
	if got := content(t, crash(fs, 0, 1), "/d/f"); string(got) != "data" {
		t.Fatalf("after dir sync: %q", got)
	}
	// Syncing another directory does not help.
	must(t, fs.MkdirAll("/e", 0o755))
	writeFile(t, fs, "/d/g", nil)
	syncDir(t, fs, "/e")
	syncDir(t, fs, "/")
	if exists(t, crash(fs, 0, 1), "/d/g") {
		t.Fatal("sync of another directory made /d/g durable")
	}
}

func TestCrashRemove(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "f", []byte("data"))
	must(t, fs.Remove("/f"))
	if got := content(t, crash(fs, 0, 1), "/f"); string(got) != "data" {
		t.Fatalf("unsynced remove: %q", got)
	}
	if exists(t, crash(fs, 100, 1), "/f") {
		t.Fatal("process crash undid the remove")
	}
	syncDir(t, fs, "/")
	if exists(t, crash(fs, 0, 1), "/f") {
		t.Fatal("synced remove undone")
	}
}

func TestCrashRename(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "a", []byte("A"))
	must(t, fs.Rename("/a", "/b"))
	check := func(c *vfs.MemFS) (renamed bool) {
		a, b := content(t, c, "/a"), content(t, c, "/b")
		switch {
		case string(a) == "A" && b == nil:
			return false
		case a == nil && string(b) == "A":
			return true
		}
		t.Fatalf("rename not atomic: a=%q b=%q", a, b)
		return false
	}
	if check(crash(fs, 0, 1)) {
		t.Fatal("unsynced rename kept at 0%")
	}
	if !check(crash(fs, 100, 1)) {
		t.Fatal("rename undone by a process crash")
	}
	seed := testSeed(t)
	seen := map[bool]bool{}
	for i := uint64(0); i < 50; i++ {
		seen[check(crash(fs, 50, seed+i))] = true
	}
	if len(seen) != 2 {
		t.Fatalf("outcomes %v", seen)
	}
	syncDir(t, fs, "/")
	if !check(crash(fs, 0, 1)) {
		t.Fatal("synced rename undone")
	}
}

func TestCrashRenameOverExisting(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "a", []byte("new"))
	durableFile(t, fs, "/", "b", []byte("old"))
	must(t, fs.Rename("/a", "/b"))
	seed := testSeed(t)
	seen := map[string]bool{}
	for i := uint64(0); i < 50; i++ {
		c := crash(fs, 50, seed+i)
		a, b := content(t, c, "/a"), content(t, c, "/b")
		switch {
		case string(a) == "new" && string(b) == "old":
			seen["undone"] = true
		case a == nil && string(b) == "new":
			seen["kept"] = true
		default:
			t.Fatalf("seed %d: a=%q b=%q", seed+i, a, b)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("outcomes %v", seen)
	}
}

// TestCrashCreateThenRename: a temporary file renamed into place, none of
// it synced in the directory. The rename depends on the create.
func TestCrashCreateThenRename(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "CURRENT", []byte("1"))
	writeFile(t, fs, "/CURRENT.tmp", []byte("2"))
	must(t, fs.Rename("/CURRENT.tmp", "/CURRENT"))
	seed := testSeed(t)
	seen := map[string]bool{}
	for i := uint64(0); i < 100; i++ {
		c := crash(fs, 50, seed+i)
		cur, tmp := content(t, c, "/CURRENT"), content(t, c, "/CURRENT.tmp")
		switch {
		case string(cur) == "1" && tmp == nil:
			seen["none"] = true
		case string(cur) == "1" && string(tmp) == "2":
			seen["created"] = true
		case string(cur) == "2" && tmp == nil:
			seen["renamed"] = true
		default:
			t.Fatalf("seed %d: CURRENT=%q tmp=%q", seed+i, cur, tmp)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("outcomes %v", seen)
	}
}

// TestCrashDirSyncDependencies: syncing the target directory of a rename
// makes the rename durable, and with it the create it depends on.
func TestCrashDirSyncDependencies(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/d1", 0o755))
	must(t, fs.MkdirAll("/d2", 0o755))
	writeFile(t, fs, "/d1/a", []byte("A"))
	must(t, fs.Rename("/d1/a", "/d2/b"))
	writeFile(t, fs, "/d1/other", nil)
	syncDir(t, fs, "/d2")
	c := crash(fs, 0, 1)
	if got := content(t, c, "/d2/b"); string(got) != "A" || exists(t, c, "/d1/a") {
		t.Fatalf("b=%q a exists=%t", got, exists(t, c, "/d1/a"))
	}
	if exists(t, c, "/d1/other") {
		t.Fatal("unrelated create became durable")
	}
	c = crash(fs, 100, 1)
	if exists(t, c, "/d1/a") || string(content(t, c, "/d2/b")) != "A" {
		t.Fatalf("process crash:\n%s", c)
	}
}

// TestCrashRenameThenReuseName: a durable file renamed away, and a new file
// created under its old name. Undoing the rename must undo the create that
// depends on it, or the durable file would vanish.
func TestCrashRenameThenReuseName(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "a", []byte("X"))
	must(t, fs.Rename("/a", "/b"))
	writeFile(t, fs, "/a", []byte("Z"))
	seed := testSeed(t)
	seen := map[string]bool{}
	for i := uint64(0); i < 100; i++ {
		c := crash(fs, 50, seed+i)
		a, b := string(content(t, c, "/a")), string(content(t, c, "/b"))
		switch {
		case a == "X" && b == "":
			seen["none"] = true
		case a == "" && b == "X":
			seen["renamed"] = true
		case a == "Z" && b == "X":
			seen["both"] = true
		default:
			t.Fatalf("seed %d: a=%q b=%q", seed+i, a, b)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("outcomes %v", seen)
	}
}

func TestCrashDirectories(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/a/b", 0o755))
	writeFile(t, fs, "/a/b/f", []byte("x"))
	c := crash(fs, 0, 1)
	if !exists(t, c, "/a/b") || exists(t, c, "/a/b/f") {
		t.Fatal("directories are durable at once; the file is not")
	}
	// Removing the directory makes its pending changes durable first.
	must(t, fs.Remove("/a/b/f"))
	must(t, fs.Remove("/a/b"))
	c = crash(fs, 0, 1)
	if exists(t, c, "/a/b") {
		t.Fatal("removed directory came back")
	}
	// A directory renamed keeps its pending entries.
	must(t, fs.MkdirAll("/x", 0o755))
	durableFile(t, fs, "/x", "kept", []byte("k"))
	writeFile(t, fs, "/x/pending", []byte("p"))
	must(t, fs.Rename("/x", "/y"))
	c = crash(fs, 0, 1)
	if string(content(t, c, "/y/kept")) != "k" || exists(t, c, "/y/pending") || exists(t, c, "/x") {
		t.Fatalf("after dir rename:\n%s", c)
	}
	if string(content(t, crash(fs, 100, 1), "/y/pending")) != "p" {
		t.Fatal("pending entry of a renamed directory lost at 100%")
	}
	if err := fs.Rename("/y", "/y/z"); err == nil {
		t.Fatal("rename of a directory into itself succeeded")
	}
}

func TestCrashCreateOverExisting(t *testing.T) {
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "f", []byte("old"))
	writeFile(t, fs, "/f", []byte("new")) // Create truncates: a new file
	if got := content(t, crash(fs, 0, 1), "/f"); string(got) != "old" {
		t.Fatalf("0%%: %q", got)
	}
	if got := content(t, crash(fs, 100, 1), "/f"); string(got) != "new" {
		t.Fatalf("100%%: %q", got)
	}
}

func TestCrashTornLastWrite(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	prefixes := map[int]int{} // by percent
	zeroTails := 0
	for i := 0; i < 60; i++ {
		pct := []int{100, 0}[i%2]
		fs := vfs.NewMem()
		durableFile(t, fs, "/", "wal", fill('S', 1000))
		f, err := fs.OpenForAppend("/wal")
		must(t, err)
		_, err = f.Write(fill('P', 3000)) // not the last write
		must(t, err)
		n := 512 * (1 + rng.IntN(16))
		_, err = f.Write(fill('L', n))
		must(t, err)
		must(t, f.Close())
		c := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: pct, TornLastWrite: true,
			Rand: rand.New(rand.NewPCG(seed, uint64(i)))})
		got := content(t, c, "/wal")
		// At 100% the earlier unsynced write survives; at 0% it is lost,
		// but the torn write still reaches the disk.
		want := append(fill('S', 1000), fill('P', 3000)...)
		if pct == 0 {
			want = append(fill('S', 1000), fill(0, 3000)...)
		}
		if len(got) != 4000+n || !bytes.Equal(got[:4000], want) {
			t.Fatalf("iter %d (%d%%): earlier data wrong (len %d)", i, pct, len(got))
		}
		last := got[4000:]
		k := 0
		for k < n && last[k] == 'L' {
			k++
		}
		k -= k % 512 // a random tail could start with 'L' by chance
		if k > 0 {
			prefixes[pct]++
		}
		if k >= n {
			t.Fatalf("iter %d: last write of %d bytes not torn", i, n)
		}
		tail := last[k:]
		if bytes.Equal(tail, fill('L', len(tail))) {
			t.Fatalf("iter %d: tail intact", i)
		}
		if bytes.Equal(tail, fill(0, len(tail))) {
			zeroTails++
		}
	}
	if prefixes[0] == 0 || prefixes[100] == 0 {
		t.Fatalf("torn writes kept no prefix: %v", prefixes)
	}
	if zeroTails == 0 || zeroTails == 60 {
		t.Fatalf("torn tails: %d of 60 zero, want both zeros and random bytes", zeroTails)
	}

	// A synced last write is durable and not torn.
	fs := vfs.NewMem()
	durableFile(t, fs, "/", "f", fill('S', 4096))
	c := fs.CrashClone(vfs.CrashOptions{TornLastWrite: true, Rand: rand.New(rand.NewPCG(seed, 2))})
	if got := content(t, c, "/f"); !bytes.Equal(got, fill('S', 4096)) {
		t.Fatal("synced write torn")
	}
}

func TestCrashCloneIsDurable(t *testing.T) {
	seed := testSeed(t)
	fs := vfs.NewMem()
	w := newWorkload(fs, rand.New(rand.NewPCG(seed, 0)).IntN)
	for i := 0; i < 300; i++ {
		must(t, w.step())
	}
	c := crash(fs, 50, seed)
	// Everything in a clone is durable: crashing it again changes nothing.
	if a, b := dumpAll(t, c), dumpAll(t, crash(c, 0, seed)); a != b {
		t.Fatalf("clone not durable:\n%s\nvs\n%s", a, b)
	}
	// The clone is independent of the original.
	must(t, w.step())
	writeFile(t, c, "/extra", []byte("x"))
	if exists(t, fs, "/extra") {
		t.Fatal("clone shares state with the original")
	}
	w.close()
}

func TestCrashDeterministic(t *testing.T) {
	seed := testSeed(t)
	run := func() string {
		fs := vfs.NewMem()
		w := newWorkload(fs, rand.New(rand.NewPCG(seed, 0)).IntN)
		for i := 0; i < 400; i++ {
			must(t, w.step())
		}
		defer w.close()
		c := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 40, TornLastWrite: true,
			Rand: rand.New(rand.NewPCG(seed, 1))})
		return dumpAll(t, c)
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("same seed, different clones:\n%s\nvs\n%s", a, b)
	}
}

// TestCrashInvariants runs random workloads and checks, at random crash
// percentages, that what the model says is durable survives exactly and
// that a process crash keeps everything.
func TestCrashInvariants(t *testing.T) {
	seed := testSeed(t)
	for iter := uint64(0); iter < 40; iter++ {
		rng := rand.New(rand.NewPCG(seed, iter))
		fs := vfs.NewMem()
		w := newWorkload(fs, rng.IntN)
		steps := rng.IntN(200)
		for i := 0; i < steps; i++ {
			must(t, w.step())
		}
		if err := w.check(fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: rng.IntN(101), Rand: rng})); err != nil {
			t.Fatalf("iter %d: %v\n%s", iter, err, fs)
		}
		if err := w.checkComplete(crash(fs, 100, 0)); err != nil {
			t.Fatalf("iter %d: %v\n%s", iter, err, fs)
		}
		w.close()
	}
}

// TestMemFSConcurrentCrash runs writers, syncs, directory changes and
// crash clones at once, for the race detector.
func TestMemFSConcurrentCrash(t *testing.T) {
	seed := testSeed(t)
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/d", 0o755))
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 3; g++ {
		go func() {
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			name := fs.PathJoin("/d", string(rune('a'+g)))
			for i := 0; i < 200; i++ {
				f, err := fs.Create(name)
				if err != nil {
					errs <- err
					return
				}
				for j := 0; j < 5; j++ {
					_, _ = f.Write(make([]byte, rng.IntN(9000)))
					_, _ = f.ReadAt(make([]byte, 100), int64(rng.IntN(9000)))
					if rng.IntN(2) == 0 {
						_ = f.Sync()
					}
				}
				_ = f.Close()
				_ = fs.Rename(name, name+".old")
				syncDir(t, fs, "/d")
			}
			errs <- nil
		}()
	}
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			_ = crash(fs, 50, seed+uint64(i)).String()
		}
	}()
	for g := 0; g < 3; g++ {
		must(t, <-errs)
	}
	<-done
}

func TestMemFSHelpers(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("/d", 0o755))
	writeFile(t, fs, "/d/f", []byte("abc"))
	f, err := fs.Open("/d/f")
	must(t, err)
	defer f.Close()
	// WriteFile is durable at once and changes the file in place.
	must(t, fs.WriteFile("/d/f", []byte("xyz!")))
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "xyz!" {
		t.Fatalf("open handle reads %q, %v", buf, err)
	}
	must(t, fs.WriteFile("/d/g", []byte("g")))
	c := crash(fs, 0, 1)
	if string(content(t, c, "/d/f")) != "xyz!" || string(content(t, c, "/d/g")) != "g" {
		t.Fatalf("WriteFile not durable:\n%s", c)
	}
	if _, err := fs.ReadFile("/d/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadFile missing: %v", err)
	}
	if err := fs.WriteFile("/nodir/x", nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteFile in missing dir: %v", err)
	}
	writeFile(t, fs, "/d/h", []byte("h"))
	s := fs.String()
	for _, want := range []string{"/d/f size=4 synced=4", "/d/h size=1", "unsynced: create /d/h"} {
		if !bytes.Contains([]byte(s), []byte(want)) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
}
