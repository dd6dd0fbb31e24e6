package tempest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/record"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// The corruption sweep damages the files of a cleanly closed database, one
// byte or bit at a time, and opens each damaged copy. Every damage must
// be detected (ErrCorruption from Open, from a read, or from DB.Check), or
// lie in a region the formats provably ignore, in which case every key
// must read back complete and correct. A wrong value, a missing or extra
// key without an error, an error of another class, or a panic fails the
// test.
//
// Ignorable regions: the WAL's final end record (damage there looks like
// a torn tail after the last data record; the data records survive) and
// the manifest's final frame, the CleanClose edit (likewise).
//
// TEMPEST_CORRUPTION_FLIPS sets the number of random bit flips (default
// 10000).

// faultCorruptOutcome classifies one damaged copy.
type faultCorruptOutcome string

const (
	faultCorruptAtOpen    faultCorruptOutcome = "detected at open"
	faultCorruptAtRead    faultCorruptOutcome = "detected by a read"
	faultCorruptAtCheck   faultCorruptOutcome = "detected by Check"
	faultCorruptIgnorable faultCorruptOutcome = "ignorable region, data intact"
	faultCorruptKnownBug  faultCorruptOutcome = "known bug"
)

// faultCorruptBase is a closed DB to damage, with what it must hold.
type faultCorruptBase struct {
	mem  *vfs.MemFS
	want map[string]string
	sst  string // a small SST
	wal  string // the WAL holding the last records
	man  string // the manifest
	// ignorable[path] is the byte range [lo, hi) of the file whose damage
	// the format ignores.
	ignorable map[string][2]int64
}

// faultCorruptDB builds the database: ~16 KiB flushed to one SST, a few
// more SSTs, then ~100 commits left in the WAL, and a manifest of ~20
// edits (lease steps of 10 seqnums and 2 file numbers add edits). With
// flushLast, the last commits are flushed too and the WAL is empty.
func faultCorruptDB(t *testing.T, flushLast bool) *faultCorruptBase {
	mem := vfs.NewMem()
	opts := faultCorruptOptions(mem)
	d, err := Open("/db", opts)
	if err != nil {
		t.Fatal(err)
	}
	o := &faultOracle{}
	for i := range 60 {
		if err := o.apply(d, false, fmt.Sprintf("k%03d=700", i), fmt.Sprintf("-k%03d", i*7%60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if err := o.apply(d, false, fmt.Sprintf("k%03d=100", i*3), fmt.Sprintf("j%03d=50", i)); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 100 {
		if err := o.apply(d, i%10 == 0, fmt.Sprintf("w%03d=8", i%70), fmt.Sprintf("-j%03d", i*11%40)); err != nil {
			t.Fatal(err)
		}
	}
	if flushLast {
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b := &faultCorruptBase{mem: mem, want: o.stateAt(len(o.commits)), ignorable: map[string][2]int64{}}
	ssts, _ := mem.List("/db/sst")
	wals, _ := mem.List("/db/wal")
	mans, _ := mem.List("/db/manifest")
	if len(ssts) < 1 || len(wals) != 1 || len(mans) != 1 {
		t.Fatalf("unexpected files: %v %v %v", ssts, wals, mans)
	}
	// The SST closest to 16 KiB is the one swept byte by byte.
	dist := func(p string) int { return faultAbs(b.size(p) - 16<<10) }
	for _, s := range ssts {
		if p := "/db/sst/" + s; b.sst == "" || dist(p) < dist(b.sst) {
			b.sst = p
		}
	}
	t.Logf("SSTs %v, WAL %v, manifest %v", ssts, wals, mans)
	b.wal = "/db/wal/" + wals[0]
	b.man = "/db/manifest/" + mans[0]
	b.ignorable[b.wal] = faultLastWALRecord(t, mem, b.wal)
	b.ignorable[b.man] = faultLastJournalFrame(t, mem, b.man)
	return b
}

func faultCorruptOptions(fs vfs.FS) *Options {
	o := faultBaseOptions(fs)
	o.SeqNumLeaseStep = 10
	o.FileNumLeaseStep = 2
	return o
}

// faultLastWALRecord returns the byte range of the WAL's last record (see
// wal/doc.go: a 16-byte header, then records of crc u64, len u32, type u8,
// synced u64, payload).
func faultLastWALRecord(t *testing.T, mem *vfs.MemFS, path string) [2]int64 {
	data, err := mem.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last [2]int64
	n := 0
	for off := int64(16); off+21 <= int64(len(data)); n++ {
		end := off + 21 + int64(binary.LittleEndian.Uint32(data[off+8:]))
		last = [2]int64{off, end}
		off = end
	}
	t.Logf("%s: %d records", path, n)
	if last[1] != int64(len(data)) || data[last[0]+12] != 2 {
		t.Fatalf("%s does not end with an end record", path)
	}
	return last
}

// faultLastJournalFrame returns the byte range of the manifest's last frame
// (see journal/doc.go: a 24-byte header, then frames of crc u64, len u32,
// body in the legacy framing; in the record framing, one such frame, the
// guard, then records of package internal/record, whose length is also at
// offset 8).
func faultLastJournalFrame(t *testing.T, mem *vfs.MemFS, path string) [2]int64 {
	data, err := mem.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := journal.ReadFile(mem, path, manifest.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	prefix, start := int64(journal.FrameHeaderSize), int64(24)
	if !h.Legacy { // after the guard, a frame of the legacy framing
		prefix, start = record.HeaderSize, 24+12+int64(binary.LittleEndian.Uint32(data[24+8:]))
	}
	var last [2]int64
	n := 0
	for off := start; off+prefix <= int64(len(data)); n++ {
		end := off + prefix + int64(binary.LittleEndian.Uint32(data[off+8:]))
		last = [2]int64{off, end}
		off = end
	}
	t.Logf("%s: %d edits", path, n)
	if last[1] != int64(len(data)) {
		t.Fatalf("%s: frames do not end at the end of the file", path)
	}
	return last
}

func faultAbs(x int) int { return max(x, -x) }

func (b *faultCorruptBase) size(path string) int {
	d, _ := b.mem.ReadFile(path)
	return len(d)
}

// damage opens a copy of the DB with data[off] ^= mask in path and
// classifies the outcome, or returns an error for a failure.
func (b *faultCorruptBase) damage(path string, off int64, mask byte) (out faultCorruptOutcome, failure error) {
	img := b.mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	data, err := img.ReadFile(path)
	if err != nil {
		return "", err
	}
	data[off] ^= mask
	if err := img.WriteFile(path, data); err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			failure = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	detected := func(at faultCorruptOutcome, err error) (faultCorruptOutcome, error) {
		if errors.Is(err, ErrCorruption) {
			return at, nil
		}
		if at == faultCorruptAtOpen && faultIsTornWALHeader(img, err) {
			return faultCorruptKnownBug, nil
		}
		return "", fmt.Errorf("%s: error of the wrong class: %v", at, err)
	}
	d, err := Open("/db", faultCorruptOptions(img))
	if err != nil {
		return detected(faultCorruptAtOpen, err)
	}
	defer d.Close()
	got, err := faultDump(d)
	if err != nil {
		return detected(faultCorruptAtRead, err)
	}
	for _, k := range slices.Sorted(maps.Keys(b.want)) {
		v, err := d.Get([]byte(k))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return "", fmt.Errorf("Get(%q): silently not found", k)
			}
			return detected(faultCorruptAtRead, err)
		}
		if string(v) != b.want[k] {
			return "", fmt.Errorf("Get(%q) = %.20q, want %.20q: wrong value without an error", k, v, b.want[k])
		}
	}
	if err := d.Check(); err != nil {
		return detected(faultCorruptAtCheck, err)
	}
	if !maps.Equal(got, b.want) {
		return "", fmt.Errorf("scan: %d keys, want %d: wrong data without an error", len(got), len(b.want))
	}
	if r, ok := b.ignorable[path]; ok && off >= r[0] && off < r[1] {
		return faultCorruptIgnorable, nil
	}
	return "", fmt.Errorf("damage went undetected outside an ignorable region (data intact)")
}

// faultSweep damages every byte of path (XOR 0xFF), on two goroutines,
// and returns the outcome counts.
func (b *faultCorruptBase) sweep(t *testing.T, path string) map[faultCorruptOutcome]int {
	data, err := b.mem.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	counts := map[faultCorruptOutcome]int{}
	failures := 0
	var wg sync.WaitGroup
	const workers = 2
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := int64(w); off < int64(len(data)); off += workers {
				out, err := b.damage(path, off, 0xFF)
				mu.Lock()
				if err != nil {
					if failures++; failures <= 10 {
						t.Errorf("%s: byte %d of %d flipped: %v", path, off, len(data), err)
					}
				} else {
					counts[out]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counts
}

func faultOutcomes(counts map[faultCorruptOutcome]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// TestFaultCorruptionSweep flips every byte of a small SST, of the WAL and
// of the manifest, then makes random single-bit flips across all files.
func TestFaultCorruptionSweep(t *testing.T) {
	known := faultKnownBugs{}
	// The SST sweep uses a DB whose WAL is empty, so that each open is
	// cheap; the others use the DB whose WAL holds ~100 records.
	flushed := faultCorruptDB(t, true)
	sst := flushed.sweep(t, flushed.sst)
	b := faultCorruptDB(t, false)
	walc := b.sweep(t, b.wal)
	manc := b.sweep(t, b.man)
	for _, c := range []map[faultCorruptOutcome]int{sst, walc, manc} {
		if n := c[faultCorruptKnownBug]; n > 0 {
			known[faultTornWALHeaderBug] += n
		}
	}
	faultFigures(t, "corruption sweep: SST %s (%d B): %s", flushed.sst, flushed.size(flushed.sst), faultOutcomes(sst))
	faultFigures(t, "corruption sweep: WAL %s (%d B): %s", b.wal, b.size(b.wal), faultOutcomes(walc))
	faultFigures(t, "corruption sweep: manifest %s (%d B): %s", b.man, b.size(b.man), faultOutcomes(manc))
	rnd := b.randomFlips(t, envInt(t, "TEMPEST_CORRUPTION_FLIPS", 10000))
	faultFigures(t, "corruption sweep: random bit flips: %s", faultOutcomes(rnd))
	known[faultTornWALHeaderBug] += rnd[faultCorruptKnownBug]
	if known[faultTornWALHeaderBug] == 0 {
		delete(known, faultTornWALHeaderBug)
	}
	known.skipIfAny(t)
}

// randomFlips flips n random single bits, each in a copy: a file type is
// chosen uniformly (SST, WAL, manifest), then a file of that type, then a
// bit. The seed is logged (-seed replays it).
func (b *faultCorruptBase) randomFlips(t *testing.T, n int) map[faultCorruptOutcome]int {
	seed := testSeed(t)
	ssts, _ := b.mem.List("/db/sst")
	files := [][]string{nil, {b.wal}, {b.man}}
	for _, s := range ssts {
		files[0] = append(files[0], "/db/sst/"+s)
	}
	sizes := map[string]int64{}
	for _, fs := range files {
		for _, f := range fs {
			d, _ := b.mem.ReadFile(f)
			sizes[f] = int64(len(d))
		}
	}
	var mu sync.Mutex
	counts := map[faultCorruptOutcome]int{}
	failures := 0
	var wg sync.WaitGroup
	const workers = 2
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := faultRand(seed + uint64(w))
			for range n / workers {
				kind := files[rng.IntN(len(files))]
				f := kind[rng.IntN(len(kind))]
				off := rng.Int64N(sizes[f])
				bit := byte(1) << rng.IntN(8)
				out, err := b.damage(f, off, bit)
				mu.Lock()
				if err != nil {
					if failures++; failures <= 10 {
						t.Errorf("%s: bit %#x of byte %d flipped (seed %d): %v", f, bit, off, seed, err)
					}
				} else {
					counts[out]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counts
}

// TestFaultCorruptionSweepBlob flips every byte of a blob file (values of
// 100 bytes and more separated): every flip must be detected, by a read
// or by Check, as ErrCorruption; no byte of a blob file is ignorable.
func TestFaultCorruptionSweepBlob(t *testing.T) {
	mem := vfs.NewMem()
	opts := func(fs vfs.FS) *Options {
		o := faultCorruptOptions(fs)
		o.ValueSeparationThreshold = 100
		return o
	}
	d, err := Open("/db", opts(mem))
	if err != nil {
		t.Fatal(err)
	}
	o := &faultOracle{}
	for i := range 12 {
		if err := o.apply(d, false, fmt.Sprintf("k%03d=%d", i, 60+i*10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b := &faultCorruptBase{mem: mem, want: o.stateAt(len(o.commits)), ignorable: map[string][2]int64{}}
	names, _ := mem.List("/db/sst")
	for _, n := range names {
		if isBlobFileName(n) {
			b.sst = "/db/sst/" + n
		}
	}
	if b.sst == "" {
		t.Fatalf("no blob file in %v", names)
	}
	counts := b.sweep(t, b.sst)
	faultFigures(t, "corruption sweep: blob file %s (%d B): %s", b.sst, b.size(b.sst), faultOutcomes(counts))
	if counts[faultCorruptIgnorable] != 0 || counts[faultCorruptKnownBug] != 0 {
		t.Fatalf("blob file flips not all detected: %s", faultOutcomes(counts))
	}
}
