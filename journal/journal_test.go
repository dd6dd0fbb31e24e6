package journal

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestCounter is the spec's journal test (§6.2).
func TestCounter(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	if got := j.Data().v; got != 0 {
		t.Fatalf("initial state %d, want 0", got)
	}
	if info := j.ReplayInfo(); !info.Created || info.FileNum != 0 {
		t.Fatalf("replay info %+v, want a created file 0", info)
	}
	for _, step := range []struct {
		e    counterEdit
		want int64
	}{{add(1), 1}, {add(-6), -5}, {set(42), 42}} {
		mustAppend(t, j, step.e)
		if got := j.Data().v; got != step.want {
			t.Fatalf("after %s: state %d, want %d", step.e, got, step.want)
		}
		if got := j.Data().Snapshot(); got != set(step.want) {
			t.Fatalf("snapshot %s, want %s", got, set(step.want))
		}
	}
	if j.FileNum() != 0 {
		t.Fatalf("file number %d, want 0", j.FileNum())
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = openCounter(t, fs, framed(Config{}))
	if j.Data().v != 42 || j.FileNum() != 0 {
		t.Fatalf("reopen: state %d file %d, want 42 and 0", j.Data().v, j.FileNum())
	}
	if info := j.ReplayInfo(); info.Edits != 3 || info.TornTail || info.Rotated || info.Created {
		t.Fatalf("reopen: replay info %+v", info)
	}
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = openCounter(t, fs, framed(Config{}))
	defer j.Close()
	if j.Data().v != 42 || j.FileNum() != 1 {
		t.Fatalf("after rotation: state %d file %d, want 42 and 1", j.Data().v, j.FileNum())
	}
	if files := journalFiles(t, fs); !slices.Equal(files, []string{"replayable-counter-000001"}) {
		t.Fatalf("files %v, want only file 1", files)
	}
}

func TestFilenames(t *testing.T) {
	if got := makeFilename("manifest", 3); got != "manifest-000003" {
		t.Fatalf("makeFilename = %q", got)
	}
	if got := makeFilename("m", 12345678); got != "m-12345678" {
		t.Fatalf("makeFilename = %q", got)
	}
	for _, tc := range []struct {
		name string
		num  uint64
		ok   bool
	}{
		{"manifest-000000", 0, true},
		{"manifest-000042", 42, true},
		{"manifest-1234567", 1234567, true},
		{"manifest-18446744073709551615", 1<<64 - 1, true},
		{"manifest-18446744073709551616", 0, false},
		{"manifest-42", 0, false},
		{"manifest-0000042", 0, false},
		{"manifest-00004x", 0, false},
		{"manifest-+00042", 0, false},
		{"manifest-000042.tmp", 0, false},
		{"manifest-000000.tmp", 0, false},
		{"manifestx-000042", 0, false},
		{"other-000042", 0, false},
		{"manifest", 0, false},
	} {
		num, ok := parseFilename("manifest", tc.name)
		if ok != tc.ok || num != tc.num {
			t.Errorf("parseFilename(%q) = %d, %v; want %d, %v", tc.name, num, ok, tc.num, tc.ok)
		}
	}
}

func TestHeader(t *testing.T) {
	h := encodeHeader(Header{FileNum: 7})
	if string(h[:8]) != Magic {
		t.Fatalf("magic %q", h[:8])
	}
	got, err := decodeHeader("f", h[:])
	if err != nil || got.FileNum != 7 {
		t.Fatalf("decode: %v %v", got, err)
	}
	for i := range h {
		b := h
		b[i] ^= 0x10
		if _, err := decodeHeader("f", b[:]); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("flip at %d: err %v", i, err)
		}
	}
	if _, err := decodeHeader("f", h[:HeaderSize-1]); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("short header: %v", err)
	}
}

func TestConfig(t *testing.T) {
	c := Config{}.withDefaults()
	if c.GrowthFactor != 2 || c.GrowthBaseline != 64<<20 {
		t.Fatalf("defaults %v", c)
	}
	if got := c.rotateAt(HeaderSize); got != 64<<20 {
		t.Fatalf("rotateAt = %d", got)
	}
	if got := c.rotateAt(100 << 20); got != 200<<20 {
		t.Fatalf("rotateAt = %d", got)
	}
	c = Config{GrowthFactor: 1 << 40, GrowthBaseline: 1}
	if got := c.rotateAt(1 << 30); got != ^uint64(0) {
		t.Fatalf("rotateAt must saturate, got %d", got)
	}
	if s := (Config{}).withDefaults().String(); s != "Config(67108864B => 2x)" {
		t.Fatalf("String = %q", s)
	}
}

// TestRotationByGrowth checks the rotation rule, the snapshot at the start
// of each file and the removal of superseded files.
func TestRotationByGrowth(t *testing.T) {
	fs := vfs.NewMem()
	cfg := framed(Config{GrowthFactor: 3, GrowthBaseline: 100})
	j := openCounter(t, fs, cfg)
	frame := int64(testPrefixSize() + 9)
	var want int64
	start, size, file := int64(testStart()), int64(testStart()), uint64(0)
	for i := 1; i <= 200; i++ {
		mustAppend(t, j, add(int64(i)))
		want += int64(i)
		size += frame
		if uint64(size) >= cfg.rotateAt(start) {
			file++
			start = int64(testStart()) + frame // header, guard, the Set snapshot
			size = start
		}
		if j.FileNum() != file || j.Size() != size {
			t.Fatalf("append %d: file %d size %d, want file %d size %d", i, j.FileNum(), j.Size(), file, size)
		}
		if files := journalFiles(t, fs); len(files) != 1 || files[0] != makeFilename(testPrefix, file) {
			t.Fatalf("append %d: files %v", i, files)
		}
	}
	if file < 10 {
		t.Fatalf("only %d rotations", file)
	}
	// The current file starts with the snapshot.
	data := readMem(t, fs, path.Join(testDir, makeFilename(testPrefix, file)))
	_, edits, err := ReadFile[counterEdit](fs, path.Join(testDir, makeFilename(testPrefix, file)), counterCodec{})
	if err != nil || len(edits) == 0 || edits[0].op != opSet {
		t.Fatalf("ReadFile: %v %v", edits, err)
	}
	if int64(len(data)) != j.Size() {
		t.Fatalf("file size %d, journal size %d", len(data), j.Size())
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openCounter(t, fs, cfg)
	defer j.Close()
	if j.Data().v != want || j.FileNum() != file {
		t.Fatalf("reopen: state %d file %d, want %d and %d", j.Data().v, j.FileNum(), want, file)
	}
}

// TestGrowthFactorOne rotates after every append once past the baseline.
func TestGrowthFactorOne(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{GrowthFactor: 1, GrowthBaseline: 1}))
	for i := 1; i <= 5; i++ {
		mustAppend(t, j, add(1))
		if j.FileNum() != uint64(i) {
			t.Fatalf("append %d: file %d", i, j.FileNum())
		}
	}
	j.Close()
	j = openCounter(t, fs, framed(Config{GrowthFactor: 1, GrowthBaseline: 1}))
	defer j.Close()
	if j.Data().v != 5 {
		t.Fatalf("state %d", j.Data().v)
	}
}

func TestCheckRejects(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	defer j.Close()
	mustAppend(t, j, set(7))
	size := j.Size()
	if err := j.Append(set(poison)); !errors.Is(err, errRejected) {
		t.Fatalf("append poison: %v", err)
	}
	if j.Size() != size || j.Data().v != 7 || j.Err() != nil {
		t.Fatalf("rejected edit changed the journal: size %d->%d state %d err %v", size, j.Size(), j.Data().v, j.Err())
	}
	mustAppend(t, j, add(1))
	if j.Data().v != 8 {
		t.Fatalf("state %d", j.Data().v)
	}
}

// emptyCodec encodes every edit to nothing.
type emptyCodec struct{ counterCodec }

func (emptyCodec) Encode(dst []byte, _ counterEdit) []byte { return dst }

func TestEmptyEncodingRejected(t *testing.T) {
	fs := vfs.NewMem()
	j, err := Open(fs, testDir, testPrefix, newCounter, emptyCodec{}, framed(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(add(1)); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("append: %v", err)
	}
	if j.Data().v != 0 || j.Size() != int64(testStart()) || j.Err() != nil {
		t.Fatal("rejected append changed the journal")
	}
}

func TestOpenArguments(t *testing.T) {
	fs := vfs.NewMem()
	for _, prefix := range []string{"", "a/b", "a\\b"} {
		if _, err := Open(fs, testDir, prefix, newCounter, counterCodec{}, framed(Config{})); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("prefix %q: %v", prefix, err)
		}
	}
	if _, err := Open[*counter, counterEdit](nil, testDir, "p", newCounter, counterCodec{}, framed(Config{})); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("nil fs: %v", err)
	}
	if _, err := Open[*counter, counterEdit](fs, testDir, "p", nil, counterCodec{}, framed(Config{})); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("nil initial: %v", err)
	}
	if _, err := Open[*counter, counterEdit](fs, testDir, "p", newCounter, nil, framed(Config{})); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("nil codec: %v", err)
	}
}

func TestClose(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if err := j.Append(add(1)); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := j.Rotate(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("rotate after close: %v", err)
	}
}

// TestIgnoresForeignFiles: names that only look like journal files, and
// other prefixes' files, are neither read nor removed.
func TestIgnoresForeignFiles(t *testing.T) {
	fs := vfs.NewMem()
	if err := fs.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	foreign := []string{"replayable-counter-42", "replayable-counter-x", "replayable-counter-000001.bak", "other-000000", "replayable-counter"}
	for _, n := range foreign {
		if err := fs.WriteFile(path.Join(testDir, n), []byte("junk")); err != nil {
			t.Fatal(err)
		}
	}
	j := openCounter(t, fs, framed(Config{}))
	if !j.ReplayInfo().Created {
		t.Fatal("foreign files were taken for journal files")
	}
	mustAppend(t, j, add(3))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	names, _ := fs.List(testDir)
	for _, n := range foreign {
		if !slices.Contains(names, n) {
			t.Errorf("%s was removed", n)
		}
	}
	j = openCounter(t, fs, framed(Config{}))
	defer j.Close()
	if j.Data().v != 3 {
		t.Fatalf("state %d", j.Data().v)
	}
}

// TestNoValidHeader: journal files exist but none is valid.
func TestNoValidHeader(t *testing.T) {
	for _, data := range [][]byte{nil, make([]byte, HeaderSize), make([]byte, 100), []byte("TMPSJRNL")} {
		fs := memWith(t, path.Join(testDir, makeFilename(testPrefix, 0)), data)
		_, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
		if !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("data %x: %v", data, err)
		}
	}
	// A valid header naming another file number is invalid too.
	fs := memWith(t, path.Join(testDir, makeFilename(testPrefix, 4)), fileOf(5))
	if _, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{})); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("mismatched file number: %v", err)
	}
}

// TestSkipsIncompleteRotation: a newer file without a valid header is a
// rotation that never completed; the older file wins, and the next
// rotation goes past the leftover (never truncating an existing file) and
// removes it.
func TestSkipsIncompleteRotation(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	mustAppend(t, j, set(5))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, add(1))
	j.Close()
	// File 2: a snapshot behind 24 zero bytes, header never written.
	leftover := append(make([]byte, HeaderSize), appendFrame(nil, counterCodec{}.Encode(nil, set(99)))...)
	if err := fs.WriteFile(path.Join(testDir, makeFilename(testPrefix, 2)), leftover); err != nil {
		t.Fatal(err)
	}
	j = openCounter(t, fs, framed(Config{}))
	info := j.ReplayInfo()
	if j.Data().v != 6 || j.FileNum() != 1 || !slices.Equal(info.Skipped, []string{makeFilename(testPrefix, 2)}) {
		t.Fatalf("state %d file %d info %+v", j.Data().v, j.FileNum(), info)
	}
	mustAppend(t, j, add(1))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openCounter(t, fs, framed(Config{}))
	defer j.Close()
	if j.Data().v != 7 || j.FileNum() != 3 || len(j.ReplayInfo().Skipped) != 0 {
		t.Fatalf("state %d file %d info %+v", j.Data().v, j.FileNum(), j.ReplayInfo())
	}
	if files := journalFiles(t, fs); !slices.Equal(files, []string{makeFilename(testPrefix, 3)}) {
		t.Fatalf("files %v", files)
	}
}

// TestRemovesOlderFilesOnOpen: files left behind by a crash between a
// rotation and the removal of the old files go at the next Open; files
// with journal names that are not the journal's stay.
func TestRemovesOlderFilesOnOpen(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	mustAppend(t, j, set(1))
	j.Close()
	old := readMem(t, fs, path.Join(testDir, makeFilename(testPrefix, 0)))
	j = openCounter(t, fs, framed(Config{}))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, add(1))
	j.Close()
	// Bring file 0 back, as a crash before the removal was durable would.
	if err := fs.WriteFile(path.Join(testDir, makeFilename(testPrefix, 0)), old); err != nil {
		t.Fatal(err)
	}
	// A temporary file of file 0 cut in its header, as a crash during
	// the creation of file 0 leaves it.
	hdr := encodeHeader(Header{FileNum: 0})
	if err := fs.WriteFile(path.Join(testDir, makeFilename(testPrefix, 0)+tmpSuffix), hdr[:10]); err != nil {
		t.Fatal(err)
	}
	// Files with journal names that nothing proves the journal's stay.
	foreign := []string{makeFilename(testPrefix, 7), makeFilename(testPrefix, 900000)}
	for _, name := range foreign {
		if err := fs.WriteFile(path.Join(testDir, name), []byte("not a journal file")); err != nil {
			t.Fatal(err)
		}
	}
	j = openCounter(t, fs, framed(Config{}))
	defer j.Close()
	if j.Data().v != 2 || j.FileNum() != 1 || !slices.Equal(j.ReplayInfo().Foreign, foreign) {
		t.Fatalf("state %d file %d info %+v", j.Data().v, j.FileNum(), j.ReplayInfo())
	}
	names, _ := fs.List(testDir)
	if !slices.Equal(names, append([]string{makeFilename(testPrefix, 1)}, foreign...)) {
		t.Fatalf("files %v", names)
	}
}

// TestTornTail truncates the file at every offset inside the last edit.
func TestTornTail(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	for i := 0; i < 5; i++ {
		mustAppend(t, j, add(1<<i))
	}
	mustAppend(t, j, set(1000))
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	starts, _ := frameStarts(t, data)
	last := starts[len(starts)-1]
	for cut := last; cut < len(data); cut++ {
		fs := memWith(t, name, data[:cut])
		j := openCounter(t, fs, framed(Config{}))
		info := j.ReplayInfo()
		if j.Data().v != 31 {
			t.Fatalf("cut %d: state %d, want 31", cut, j.Data().v)
		}
		wantTorn := cut > last
		if info.TornTail != wantTorn || info.Rotated != wantTorn || info.Edits != 5 {
			t.Fatalf("cut %d: info %+v", cut, info)
		}
		if wantTorn {
			if info.TornOffset != int64(last) || j.FileNum() != 1 {
				t.Fatalf("cut %d: info %+v file %d", cut, info, j.FileNum())
			}
			if files := journalFiles(t, fs); !slices.Equal(files, []string{makeFilename(testPrefix, 1)}) {
				t.Fatalf("cut %d: files %v", cut, files)
			}
		}
		// The journal keeps working after recovery.
		mustAppend(t, j, add(1))
		j.Close()
		j = openCounter(t, fs, framed(Config{}))
		if j.Data().v != 32 || j.ReplayInfo().TornTail {
			t.Fatalf("cut %d: reopen state %d info %+v", cut, j.Data().v, j.ReplayInfo())
		}
		j.Close()
	}
}

// TestGarbageTail appends zeros or random bytes after the last edit.
func TestGarbageTail(t *testing.T) {
	rng := newRand(testSeed(t))
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	for i := 0; i < 10; i++ {
		mustAppend(t, j, add(int64(i)))
	}
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	var tails [][]byte
	for _, n := range []int{1, 11, 12, 13, 21, 512, 4096, 1 << 16} {
		tails = append(tails, make([]byte, n))
		r := make([]byte, n)
		for i := range r {
			r[i] = byte(rng.Uint32())
		}
		tails = append(tails, r)
	}
	// A frame prefix whose length runs past the end of the file.
	tails = append(tails, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0, 0, 9})
	for _, tail := range tails {
		fs := memWith(t, name, append(slices.Clone(data), tail...))
		j := openCounter(t, fs, framed(Config{}))
		info := j.ReplayInfo()
		if j.Data().v != 45 || !info.TornTail || !info.Rotated || info.TornOffset != int64(len(data)) {
			t.Fatalf("tail of %d bytes: state %d info %+v", len(tail), j.Data().v, info)
		}
		j.Close()
	}
}

// TestFlipEveryByte corrupts each byte of a 20-edit journal in turn.
func TestFlipEveryByte(t *testing.T) {
	rng := newRand(testSeed(t))
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	// Edit i adds 2^i: every prefix of the edits gives a distinct state.
	for i := 0; i < 20; i++ {
		mustAppend(t, j, add(1<<i))
	}
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	starts, _ := frameStarts(t, data)
	last := starts[19]
	for off := range data {
		flipped := slices.Clone(data)
		flipped[off] ^= byte(1 + rng.IntN(255))
		fs := memWith(t, name, flipped)
		j, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
		switch {
		case off < last:
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("flip at %d: err %v, want corruption", off, err)
			}
			var ce *base.CorruptionError
			if !errors.As(err, &ce) || ce.File != name {
				t.Fatalf("flip at %d: error %v does not name the file", off, err)
			}
		case err != nil:
			t.Fatalf("flip at %d (last edit): %v", off, err)
		default:
			if j.Data().v != 1<<19-1 || !j.ReplayInfo().TornTail {
				t.Fatalf("flip at %d (last edit): state %d info %+v", off, j.Data().v, j.ReplayInfo())
			}
			j.Close()
		}
	}
}

// TestMidFileCorruptionOffset: the error names the damaged edit's offset.
func TestMidFileCorruptionOffset(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	for i := 0; i < 4; i++ {
		mustAppend(t, j, add(1))
	}
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	starts, _ := frameStarts(t, data)
	data[starts[2]+testPrefixSize()+3] ^= 1
	fs = memWith(t, name, data)
	_, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
	var ce *base.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != int64(starts[2]) {
		t.Fatalf("err %v, want corruption at %d", err, starts[2])
	}
	// The damaged file is left in place for inspection.
	if files := journalFiles(t, fs); len(files) != 1 {
		t.Fatalf("files %v", files)
	}
}

// TestValidChecksumUndecodable: a whole, checksummed frame that does not
// decode, or that Apply rejects, is corruption even at the end of the file.
func TestValidChecksumUndecodable(t *testing.T) {
	cases := []struct {
		name   string
		bodies [][]byte
	}{
		{"unknown op", [][]byte{{'z', 0, 0, 0, 0, 0, 0, 0, 0}}},
		{"short body", [][]byte{{opAdd, 1}}},
		{"apply rejects", [][]byte{counterCodec{}.Encode(nil, set(poison))}},
		{"overflow", [][]byte{counterCodec{}.Encode(nil, add(1<<62)), counterCodec{}.Encode(nil, add(1<<62))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := fileOf(0, append([][]byte{counterCodec{}.Encode(nil, add(1))}, tc.bodies...)...)
			fs := memWith(t, path.Join(testDir, makeFilename(testPrefix, 0)), data)
			_, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("err %v, want corruption", err)
			}
		})
	}
}

// TestConcurrentAppends appends from several goroutines while others read.
func TestConcurrentAppends(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{GrowthBaseline: 256}))
	var wg sync.WaitGroup
	const writers, perWriter = 4, 50
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				if err := j.Append(add(1)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				j.View(func(c *counter) {
					if c.v < 0 || c.v > writers*perWriter {
						t.Errorf("state %d", c.v)
					}
				})
				_ = j.Size()
				_ = j.FileNum()
			}
		}()
	}
	wg.Wait()
	if j.Data().v != writers*perWriter {
		t.Fatalf("state %d", j.Data().v)
	}
	j.Close()
	j = openCounter(t, fs, framed(Config{GrowthBaseline: 256}))
	defer j.Close()
	if j.Data().v != writers*perWriter || j.FileNum() == 0 {
		t.Fatalf("reopen: state %d file %d", j.Data().v, j.FileNum())
	}
}

func TestReadFile(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	want := []counterEdit{add(1), set(9), add(-3)}
	for _, e := range want {
		mustAppend(t, j, e)
	}
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	h, edits, err := ReadFile[counterEdit](fs, name, counterCodec{})
	if err != nil || h.FileNum != 0 || !slices.Equal(edits, want) {
		t.Fatalf("ReadFile: %v %v %v", h, edits, err)
	}
	data := readMem(t, fs, name)
	torn := memWith(t, name, data[:len(data)-1])
	_, edits, err = ReadFile[counterEdit](torn, name, counterCodec{})
	if !errors.Is(err, ErrTornTail) || errors.Is(err, base.ErrCorruption) || !slices.Equal(edits, want[:2]) {
		t.Fatalf("torn: %v %v", edits, err)
	}
	bad := slices.Clone(data)
	bad[testStart()+testPrefixSize()] ^= 1
	_, edits, err = ReadFile[counterEdit](memWith(t, name, bad), name, counterCodec{})
	if !errors.Is(err, base.ErrCorruption) || len(edits) != 0 {
		t.Fatalf("corrupt: %v %v", edits, err)
	}
	bad = slices.Clone(data)
	bad[0] ^= 1
	if _, _, err = ReadFile[counterEdit](memWith(t, name, bad), name, counterCodec{}); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("bad header: %v", err)
	}
	if _, _, err = ReadFile[counterEdit](fs, "/nope", counterCodec{}); err == nil {
		t.Fatal("missing file: no error")
	}
}

func ExampleJournal() {
	fs := vfs.NewMem()
	j, err := Open(fs, "/journal-dir", "replayable-counter", newCounter, counterCodec{}, framed(Config{}))
	if err != nil {
		panic(err)
	}
	_ = j.Append(add(1))
	_ = j.Append(set(42))
	fmt.Println(j.Data().v, j.FileNum())
	_ = j.Close()
	// Output: 42 0
}
