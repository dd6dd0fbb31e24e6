package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/tempestdb/tempest/internal/testutil"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/tempestdb/tempest/internal/record"

	"github.com/tempestdb/tempest/vfs"
	"go.uber.org/goleak"
)

// TestMain runs every test twice: with new files in the record framing,
// then in the legacy framing (testLegacy), so that each rule holds in
// both.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		testLegacy = true
		fmt.Fprintln(os.Stderr, "journal: the tests again, with files in the legacy framing")
		code = m.Run()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testLegacy selects the framing of the files the tests create.
var testLegacy bool

// framed returns c with the framing under test.
func framed(c Config) Config {
	c.Legacy = testLegacy
	return c
}

// testPrefixSize is the size of the prefix in front of each edit body in
// the framing under test.
func testPrefixSize() int {
	if testLegacy {
		return FrameHeaderSize
	}
	return record.HeaderSize
}

// testStart is the offset of the first edit of a file in the framing
// under test: after the header, and the guard in the record framing.
func testStart() int { return testStartOf(testLegacy) }

// testStartOf is testStart in the given framing.
func testStartOf(legacy bool) int {
	fr, _ := newFraming[counterEdit](0, legacy, counterCodec{})
	return int(fr.start)
}

// fileOf returns journal file num holding bodies, in the framing under
// test.
func fileOf(num uint64, bodies ...[]byte) []byte {
	fr, guard := newFraming[counterEdit](num, testLegacy, counterCodec{})
	hdr := encodeHeader(Header{FileNum: num})
	data := append(hdr[:], guard...)
	for _, b := range bodies {
		if fr.legacy {
			data = appendFrame(data, b)
		} else {
			data = record.Append(data, fr.seed, record.TypeData, int64(len(data)), b)
		}
	}
	return data
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

func newRand(seed uint64) *rand.Rand { return testutil.NewRand(seed) }

// The spec's test state machine: an int64 with edits Add and Set.

const (
	opAdd byte = 'a'
	opSet byte = 's'
)

type counterEdit struct {
	op byte
	v  int64
}

func add(v int64) counterEdit { return counterEdit{opAdd, v} }
func set(v int64) counterEdit { return counterEdit{opSet, v} }

func (e counterEdit) String() string {
	switch e.op {
	case opAdd:
		return fmt.Sprintf("Add(%d)", e.v)
	case opSet:
		return fmt.Sprintf("Set(%d)", e.v)
	}
	return fmt.Sprintf("op%q(%d)", e.op, e.v)
}

// poison is a Set value that decodes but that the counter refuses.
const poison = math.MinInt64

var errRejected = errors.New("counter: edit rejected")

type counter struct{ v int64 }

func newCounter() *counter { return &counter{} }

func (c *counter) Check(e counterEdit) error {
	switch {
	case e.op == opSet && e.v == poison:
		return errRejected
	case e.op == opAdd && ((e.v > 0 && c.v > math.MaxInt64-e.v) || (e.v < 0 && c.v < math.MinInt64-e.v)):
		return errRejected
	case e.op != opAdd && e.op != opSet:
		return errRejected
	}
	return nil
}

func (c *counter) Apply(e counterEdit) error {
	if err := c.Check(e); err != nil {
		return err
	}
	if e.op == opAdd {
		c.v += e.v
	} else {
		c.v = e.v
	}
	return nil
}

func (c *counter) Snapshot() counterEdit { return set(c.v) }

// counterCodec encodes an edit as op (1 byte) then v (int64 LE).
type counterCodec struct{}

func (counterCodec) Encode(dst []byte, e counterEdit) []byte {
	dst = append(dst, e.op)
	return binary.LittleEndian.AppendUint64(dst, uint64(e.v))
}

func (counterCodec) Decode(b []byte) (counterEdit, error) {
	if len(b) != 9 || (b[0] != opAdd && b[0] != opSet) {
		return counterEdit{}, fmt.Errorf("bad counter edit %x", b)
	}
	return counterEdit{b[0], int64(binary.LittleEndian.Uint64(b[1:]))}, nil
}

const (
	testDir    = "/journal-dir"
	testPrefix = "replayable-counter"
)

type counterJournal = Journal[*counter, counterEdit]

func openCounter(t testing.TB, fs vfs.FS, cfg Config) *counterJournal {
	t.Helper()
	j, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return j
}

// mustAppend appends e or fails the test.
func mustAppend(t testing.TB, j *counterJournal, e counterEdit) {
	t.Helper()
	if err := j.Append(e); err != nil {
		t.Fatalf("append %s: %v", e, err)
	}
}

// frameStarts returns the offsets of the frames of a valid journal file,
// and the end of the last one.
func frameStarts(t testing.TB, data []byte) (starts []int, end int) {
	t.Helper()
	h, err := decodeHeader("f", data)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := detectFraming("f", data, h.FileNum)
	if err != nil {
		t.Fatal(err)
	}
	off := int(fr.start)
	for off < len(data) {
		var n int
		if fr.legacy {
			var p frameProblem
			if _, n, p = decodeFrame(data[off:]); p != frameOK {
				t.Fatalf("frame at %d: %s", off, p)
			}
		} else {
			_, size, p := record.Parse(data[off:], fr.seed)
			if p != record.OK {
				t.Fatalf("record at %d: %s", off, p)
			}
			n = int(size)
		}
		starts = append(starts, off)
		off += n
	}
	return starts, off
}

// journalFiles lists the journal files of the test prefix in fs.
func journalFiles(t testing.TB, fs vfs.FS) []string {
	t.Helper()
	names, err := fs.List(testDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if _, ok := parseFilename(testPrefix, n); ok {
			out = append(out, n)
		}
	}
	return out
}

func readMem(t testing.TB, fs *vfs.MemFS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memWith returns a MemFS holding only the journal file name with data.
func memWith(t testing.TB, name string, data []byte) *vfs.MemFS {
	t.Helper()
	fs := vfs.NewMem()
	if err := fs.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile(name, data); err != nil {
		t.Fatal(err)
	}
	return fs
}
