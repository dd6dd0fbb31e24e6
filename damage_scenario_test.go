package tempest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// The damage matrix's scenarios: each builds a DB on a MemFS with its data
// in a chosen place (the WALs, L0, deeper levels, under range tombstones)
// and takes two images of it: one left by a process crash
// (CrashClone keeping 100% of what reached the OS, so every acknowledged
// commit, Sync or NoSync, is in it) and one after a clean Close. During
// the DB's life it also keeps copies of some files, to put back later.

// damageRoot is the directory of every damage-matrix DB on its MemFS.
const damageRoot = "/db"

// damageOptions are small sizes for quick scenarios. Automatic
// compactions are off so that the tree holds exactly what the scenario
// built, and no reopen moves files around; SSTs are not compressed so
// that two tables of like contents have equal sizes.
func damageOptions(fs vfs.FS) *Options {
	return &Options{
		FS:                          fs,
		MemTableSize:                MinMemTableSize,
		MaxImmutableMemTables:       2,
		BlockSize:                   512,
		SeqNumLeaseStep:             100,
		FileNumLeaseStep:            5,
		TargetFileSize:              16 << 10,
		DisableAutomaticCompactions: true,
		Compression:                 NoCompression,
		Scheduler:                   InlineScheduler{},
	}
}

// damageImage is a DB directory to damage.
type damageImage struct {
	name   string // scenario/clean or scenario/crash
	fs     *vfs.MemFS
	crash  bool
	o      *faultOracle // shared by both images of a scenario
	acked  int          // commits acknowledged when the image was taken
	ssts   []damageSST  // live SSTs, as DB.LSM listed them
	copies []damageCopy // older copies of files, taken during the DB's life
	opts   func(vfs.FS) *Options
}

// damageSST is a live SST of an image.
type damageSST struct {
	path  string
	level int
	size  uint64
}

// damageCopy is the content of a file at some moment of the DB's life.
type damageCopy struct {
	path string
	data []byte
	when string
}

// read returns the content of the file at p in the undamaged image.
func (img *damageImage) read(t *testing.T, p string) []byte {
	t.Helper()
	data, err := img.fs.ReadFile(p)
	if err != nil {
		t.Fatalf("%s: %v", img.name, err)
	}
	return data
}

// list returns the paths in dir of the image, sorted.
func (img *damageImage) list(t *testing.T, dir string) []string {
	t.Helper()
	names, err := img.fs.List(dir)
	if err != nil {
		t.Fatalf("%s: %v", img.name, err)
	}
	var out []string
	for _, n := range names {
		out = append(out, path.Join(dir, n))
	}
	return out
}

// wals returns the image's WAL files, oldest first.
func (img *damageImage) wals(t *testing.T) []string {
	return damageWALs(img.list(t, path.Join(damageRoot, "wal")))
}

// manifest returns the image's current manifest file: the newest one.
func (img *damageImage) manifest(t *testing.T) string {
	t.Helper()
	var newest string
	var num int64 = -1
	for _, p := range img.list(t, path.Join(damageRoot, "manifest")) {
		digits, ok := strings.CutPrefix(path.Base(p), "manifest-")
		n, err := strconv.ParseInt(digits, 10, 64)
		if ok && err == nil && n > num {
			newest, num = p, n
		}
	}
	if newest == "" {
		t.Fatalf("%s: no manifest file", img.name)
	}
	return newest
}

// damageWALs keeps the WAL files of paths, ordered by file number.
func damageWALs(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasSuffix(p, ".log") {
			out = append(out, p)
		}
	}
	slices.Sort(out) // zero-padded numbers sort as numbers
	return out
}

// damageScheduler runs tasks inline, except while held: then it queues
// them until release, so that a scenario can keep a frozen memtable and
// its WAL unflushed.
type damageScheduler struct {
	held  bool
	tasks []func()
}

func (s *damageScheduler) Schedule(task func()) {
	if s.held {
		s.tasks = append(s.tasks, task)
		return
	}
	task()
}

func (s *damageScheduler) release() {
	s.held = false
	for len(s.tasks) > 0 {
		task := s.tasks[0]
		s.tasks = s.tasks[1:]
		task()
	}
}

// damageBuilder drives one scenario.
type damageBuilder struct {
	t      *testing.T
	name   string
	mem    *vfs.MemFS
	d      *DB
	o      *faultOracle
	rng    *rand.Rand
	sched  *damageScheduler
	opts   func(vfs.FS) *Options
	copies []damageCopy
}

func newDamageBuilder(t *testing.T, name string, seed uint64, opts func(vfs.FS) *Options) *damageBuilder {
	b := &damageBuilder{t: t, name: name, mem: vfs.NewMem(), o: &faultOracle{},
		rng: faultRand(seed), sched: &damageScheduler{}, opts: opts}
	o := opts(b.mem)
	o.Scheduler = b.sched
	d, err := Open(damageRoot, o)
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	b.d = d
	return b
}

// write commits n random batches over keys k000 to k<keys-1>: one to
// three writes each, the first a set (so that every WAL record holds a
// value naming its commit), the others sets or deletes; one batch in
// three is synced.
func (b *damageBuilder) write(n, keys int) {
	b.t.Helper()
	for range n {
		var w []string
		for j := range 1 + b.rng.IntN(3) {
			k := fmt.Sprintf("k%03d", b.rng.IntN(keys))
			if j > 0 && b.rng.IntN(4) == 0 {
				w = append(w, "-"+k)
			} else {
				w = append(w, fmt.Sprintf("%s=%d", k, 40+b.rng.IntN(360)))
			}
		}
		b.apply(b.rng.IntN(3) == 0, w...)
	}
}

func (b *damageBuilder) apply(sync bool, writes ...string) {
	b.t.Helper()
	if err := b.o.apply(b.d, sync, writes...); err != nil {
		b.t.Fatalf("%s: commit: %v", b.name, err)
	}
}

func (b *damageBuilder) deleteRange(sync bool, start, end string, writes ...string) {
	b.t.Helper()
	if err := b.o.applyDeleteRange(b.d, sync, start, end, writes...); err != nil {
		b.t.Fatalf("%s: delete range: %v", b.name, err)
	}
}

func (b *damageBuilder) flush() {
	b.t.Helper()
	if err := b.d.Flush(); err != nil {
		b.t.Fatalf("%s: flush: %v", b.name, err)
	}
}

func (b *damageBuilder) compact() {
	b.t.Helper()
	if err := faultCompact(b.d); err != nil {
		b.t.Fatalf("%s: compact: %v", b.name, err)
	}
}

// wals returns the current WAL files, oldest first.
func (b *damageBuilder) wals() []string {
	b.t.Helper()
	names, err := b.mem.List(path.Join(damageRoot, "wal"))
	if err != nil {
		b.t.Fatal(err)
	}
	for i, n := range names {
		names[i] = path.Join(damageRoot, "wal", n)
	}
	return damageWALs(names)
}

// liveWAL returns the WAL being written.
func (b *damageBuilder) liveWAL() string {
	w := b.wals()
	return w[len(w)-1]
}

// writeUntilWALs writes until n WAL files exist (flushes held).
func (b *damageBuilder) writeUntilWALs(n int) {
	b.t.Helper()
	for i := 0; len(b.wals()) < n; i++ {
		if i == 1000 {
			b.t.Fatalf("%s: no %d WALs after 1000 commits", b.name, n)
		}
		b.write(1, 200)
	}
}

// keep saves the current content of the file at p, to put back later.
func (b *damageBuilder) keep(p, when string) {
	b.t.Helper()
	data, err := b.mem.ReadFile(p)
	if err != nil {
		b.t.Fatalf("%s: %v", b.name, err)
	}
	b.copies = append(b.copies, damageCopy{path: p, data: data, when: when})
}

// manifest returns the current manifest file.
func (b *damageBuilder) manifest() string {
	img := &damageImage{name: b.name, fs: b.mem}
	return img.manifest(b.t)
}

// sstOfLevel returns the first live SST of level (in DB.LSM order).
func (b *damageBuilder) sstOfLevel(level int) string {
	b.t.Helper()
	lsm, err := b.d.LSM()
	if err != nil || len(lsm[level]) == 0 {
		b.t.Fatalf("%s: no SST in L%d: %v", b.name, level, err)
	}
	return path.Join(damageRoot, "sst", sstFileName(base.FileNum(lsm[level][0].FileNum)))
}

// image takes an image of the DB: a process-crash image of the running
// DB, or, for clean, the directory after Close (which ends the builder).
func (b *damageBuilder) image(crash bool) *damageImage {
	b.t.Helper()
	lsm, err := b.d.LSM()
	if err != nil {
		b.t.Fatalf("%s: %v", b.name, err)
	}
	kind := "clean"
	if crash {
		kind = "crash"
	}
	img := &damageImage{name: b.name + "/" + kind, crash: crash, o: b.o, acked: b.o.acked,
		copies: slices.Clone(b.copies), opts: b.opts}
	for level, files := range lsm {
		for _, f := range files {
			p := path.Join(damageRoot, "sst", sstFileName(base.FileNum(f.FileNum)))
			img.ssts = append(img.ssts, damageSST{path: p, level: level, size: f.Size})
		}
	}
	if !crash {
		if err := b.d.Close(); err != nil {
			b.t.Fatalf("%s: close: %v", b.name, err)
		}
	}
	img.fs = b.mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	if crash {
		img.checkLiveWAL(b.t)
	}
	return img
}

// checkLiveWAL checks what the matrix assumes of a crash image's live
// WAL: it holds only data records, one per commit, and they are the
// newest commits (so that a cut keeping its first r records keeps the
// first acked-records+r commits).
func (img *damageImage) checkLiveWAL(t *testing.T) {
	t.Helper()
	w := img.wals(t)
	live := w[len(w)-1]
	data := img.read(t, live)
	recs := walRecords(data)
	if len(recs) == 0 || len(recs) > img.acked {
		t.Fatalf("%s: live WAL %s holds %d records for %d commits", img.name, live, len(recs), img.acked)
	}
	for i, r := range recs {
		marker := fmt.Sprintf("c%d:", img.acked-len(recs)+i)
		if r.typ != wal.RecordData || !bytes.Contains(data[r.start:r.end], []byte(marker)) {
			t.Fatalf("%s: record %d of live WAL %s is not commit %s", img.name, i, live, marker)
		}
	}
}

// damageScenario builds a DB and returns its crash and clean images.
type damageScenario struct {
	name  string
	opts  func(vfs.FS) *Options
	build func(b *damageBuilder) (crash, clean *damageImage)
}

var damageScenarios = []damageScenario{
	{"wal", damageOptions, buildDamageWAL},
	{"l0", damageOptions, buildDamageL0},
	{"deep", func(fs vfs.FS) *Options {
		o := damageOptions(fs)
		o.ManifestGrowthBaseline = 512 // rotate the manifest often
		return o
	}, buildDamageDeep},
	{"rangedel", damageOptions, buildDamageRangeDel},
	{"ingest", damageOptions, buildDamageIngest},
	{"blob", func(fs vfs.FS) *Options {
		o := damageOptions(fs)
		o.ValueSeparationThreshold = 100 // most values go to blob files
		return o
	}, buildDamageDeep},
}

// buildDamageWAL keeps the data in WALs: in the crash image, an older WAL
// whose memtable awaits its flush and the live one; the clean image holds
// the flushed older WAL's L0 SST.
func buildDamageWAL(b *damageBuilder) (crash, clean *damageImage) {
	b.sched.held = true
	b.keep(b.manifest(), "before the first commit")
	b.write(30, 200)
	b.keep(b.liveWAL(), "after 30 commits")
	b.writeUntilWALs(2)
	b.write(10, 200)
	b.keep(b.liveWAL(), "10 commits into the live WAL")
	b.write(10, 200)
	crash = b.image(true)
	b.sched.release()
	b.write(10, 200)
	return crash, b.image(false)
}

// buildDamageL0 flushes to L0, including two SSTs of equal size built on
// purpose (one batch each of 40 keys, of equal lengths).
func buildDamageL0(b *damageBuilder) (crash, clean *damageImage) {
	b.write(40, 200)
	b.keep(b.liveWAL(), "before the flush that makes it obsolete")
	b.flush()
	b.keep(b.manifest(), "after the first flush")
	for _, prefix := range []string{"a", "b"} {
		var w []string
		for i := range 40 {
			w = append(w, fmt.Sprintf("%s%03d=100", prefix, i))
		}
		b.apply(false, w...)
		b.flush()
	}
	lsm, err := b.d.LSM()
	if err != nil || len(lsm[0]) < 2 || lsm[0][0].Size != lsm[0][1].Size {
		b.t.Fatalf("%s: the two newest L0 SSTs should have equal sizes: %v %v", b.name, lsm[0], err)
	}
	b.write(15, 200)
	b.keep(b.liveWAL(), "15 commits after the last flush")
	b.write(15, 200)
	crash = b.image(true)
	b.write(5, 200)
	return crash, b.image(false)
}

// buildDamageDeep compacts to the bottom level (several files), then adds
// an L0 SST and WAL data. The manifest rotates often.
func buildDamageDeep(b *damageBuilder) (crash, clean *damageImage) {
	b.keep(b.manifest(), "at creation")
	for range 3 {
		b.write(40, 200)
		b.flush()
	}
	b.keep(b.sstOfLevel(0), "before the compaction that removes it")
	b.compact()
	b.write(40, 200)
	b.flush()
	b.keep(b.manifest(), "after the last flush")
	b.write(10, 200)
	b.keep(b.liveWAL(), "10 commits after the last flush")
	b.write(15, 200)
	crash = b.image(true)
	b.write(5, 200)
	return crash, b.image(false)
}

// buildDamageRangeDel puts data in the bottom level under range
// tombstones: one flushed to L0 (with newer sets inside its range and a
// point delete), one still in the WAL.
func buildDamageRangeDel(b *damageBuilder) (crash, clean *damageImage) {
	b.write(100, 200)
	b.compact()
	b.deleteRange(true, "k050", "k120", "k300=100")
	b.apply(false, "k060=100", "k075=100")
	b.apply(false, "k130=50", "-k010")
	b.flush()
	b.keep(b.manifest(), "after the flush of a range deletion")
	b.deleteRange(false, "k150", "k180", "k301=100")
	b.write(10, 200)
	b.keep(b.liveWAL(), "after a range deletion in the WAL")
	b.write(10, 200)
	crash = b.image(true)
	b.write(5, 200)
	return crash, b.image(false)
}

// buildDamageIngest holds ingested SSTs, read at their global seqnums:
// one in the bottom level beside compacted data, one in L0 over a flushed
// SST, and one replacing a range (with its range tombstone's SST).
func buildDamageIngest(b *damageBuilder) (crash, clean *damageImage) {
	b.write(60, 200)
	b.compact()
	b.ingest(nil, "m000=100", "m001=120", "-m002", "m003=80")
	b.write(20, 200)
	b.flush()
	b.ingest(nil, "k010=100", "-k011", "k150=90", "k151=90")
	b.ingest([]string{"k100", "k140"}, "k100=60", "k120=70")
	b.keep(b.manifest(), "after the ingests")
	b.write(10, 200)
	crash = b.image(true)
	b.write(5, 200)
	return crash, b.image(false)
}

// ingest writes an SST for ingest holding writes (in key order, as for
// faultOracle.batch) and ingests it as the next commit, with
// IngestAndReplace over replace[0], replace[1] if replace is not nil.
// The ingest flushes the memtables first, so every commit is then
// durable.
func (b *damageBuilder) ingest(replace []string, writes ...string) {
	b.t.Helper()
	i := len(b.o.commits)
	c := faultCommit{}
	if replace != nil {
		for k := range b.o.stateAt(b.o.acked) {
			if k >= replace[0] && k < replace[1] {
				c[k] = nil
			}
		}
	}
	path := fmt.Sprintf("/ingest/%d.sst", i)
	var es []ingestEntry
	for _, w := range writes {
		if k, ok := strings.CutPrefix(w, "-"); ok {
			es = append(es, ingestEntry{key: k, del: true})
			c[k] = nil
			continue
		}
		k, n, _ := strings.Cut(w, "=")
		size, _ := strconv.Atoi(n)
		v := faultValue(i, k, size)
		es = append(es, ingestEntry{key: k, value: v})
		c[k] = &v
	}
	writeIngestFile(b.t, b.mem, path, b.d.cmp, es...)
	b.o.commits = append(b.o.commits, c)
	var err error
	if replace != nil {
		_, err = b.d.IngestAndReplace([]string{path}, []byte(replace[0]), []byte(replace[1]))
	} else {
		_, err = b.d.Ingest([]string{path})
	}
	if err != nil {
		b.t.Fatalf("%s: ingest: %v", b.name, err)
	}
	b.o.acked = i + 1
	b.o.durable()
}
