package journal

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// crashPoint is a crash image taken just before a write-class operation,
// with what the journal had acknowledged at that moment.
type crashPoint struct {
	op       errorfs.Op
	fs       *vfs.MemFS
	opts     vfs.CrashOptions
	acked    int64
	inflight *counterEdit // an Append in progress, which may or may not survive
}

// crashModel tracks the acknowledged state of a script.
type crashModel struct {
	acked    int64
	inflight *counterEdit
}

// crashOptions are the crash flavours tried at every point.
func crashOptions(seed uint64) []vfs.CrashOptions {
	return []vfs.CrashOptions{
		{UnsyncedDataPercent: 100},                     // process crash
		{UnsyncedDataPercent: 0},                       // power loss, nothing unsynced survives
		{UnsyncedDataPercent: 50, Rand: newRand(seed)}, // power loss, some survives
		{UnsyncedDataPercent: 50, Rand: newRand(seed + 3)},
		{UnsyncedDataPercent: 50, Rand: newRand(seed + 4)},
		{UnsyncedDataPercent: 70, Rand: newRand(seed + 5)},
		{UnsyncedDataPercent: 100, TornLastWrite: true, Rand: newRand(seed + 1)}, // torn sector
		{UnsyncedDataPercent: 30, TornLastWrite: true, Rand: newRand(seed + 2)},
	}
}

// recordCrashes wraps mem so that a crash image is taken before every
// write-class operation.
func recordCrashes(mem *vfs.MemFS, model *crashModel, seed uint64, points *[]crashPoint) vfs.FS {
	return errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !op.Kind.IsWrite() {
			return nil
		}
		for _, o := range crashOptions(seed + uint64(len(*points))) {
			*points = append(*points, crashPoint{
				op: op, fs: mem.CrashClone(o), opts: o,
				acked: model.acked, inflight: model.inflight,
			})
		}
		return nil
	}))
}

// checkCrash opens the journal in a crash image and checks that it holds
// the acknowledged state, or that plus the in-flight edit, and still works.
func checkCrash(t *testing.T, i int, p crashPoint, codec Codec[counterEdit], cfg Config) {
	t.Helper()
	j, err := Open(p.fs, testDir, testPrefix, newCounter, codec, cfg)
	if err != nil {
		t.Fatalf("crash %d before %s (%s): open: %v\n%s", i, p.op, p.opts, err, p.fs)
	}
	defer j.Close()
	got := j.Data().v
	ok := got == p.acked || (p.inflight != nil && got == apply(p.acked, *p.inflight))
	if !ok {
		t.Fatalf("crash %d before %s (%s): state %d, acked %d, in flight %v\n%s", i, p.op, p.opts, got, p.acked, p.inflight, p.fs)
	}
	if err := j.Append(add(1)); err != nil {
		t.Fatalf("crash %d: append after recovery: %v", i, err)
	}
	j.Close()
	j2, err := Open(p.fs, testDir, testPrefix, newCounter, codec, cfg)
	if err != nil || j2.Data().v != got+1 {
		t.Fatalf("crash %d: second reopen: %v, state %d want %d", i, err, j2.Data().v, got+1)
	}
	j2.Close()
}

// TestCrashEveryWriteOp crashes before every write-class operation of a
// script that creates a journal, appends, and rotates both by growth and
// by force, in several crash flavours. With fat edits, a snapshot spans
// several 4 KiB blocks, which a crash can keep or lose independently.
func TestCrashEveryWriteOp(t *testing.T) {
	t.Run("small", func(t *testing.T) {
		crashEveryWriteOp(t, counterCodec{}, framed(Config{GrowthFactor: 2, GrowthBaseline: 100}))
	})
	t.Run("fat", func(t *testing.T) {
		crashEveryWriteOp(t, fatCodec{}, framed(Config{GrowthFactor: 2, GrowthBaseline: 5 * fatEditSize}))
	})
}

// fatEditSize is the encoded size of a fatCodec edit.
const fatEditSize = 6000

// fatCodec pads counter edits to fatEditSize bytes.
type fatCodec struct{}

func (fatCodec) Encode(dst []byte, e counterEdit) []byte {
	dst = counterCodec{}.Encode(dst, e)
	for i := 9; i < fatEditSize; i++ {
		dst = append(dst, byte(i))
	}
	return dst
}

func (fatCodec) Decode(b []byte) (counterEdit, error) {
	if len(b) != fatEditSize {
		return counterEdit{}, fmt.Errorf("fat edit of %d bytes", len(b))
	}
	for i := 9; i < fatEditSize; i++ {
		if b[i] != byte(i) {
			return counterEdit{}, fmt.Errorf("bad padding at %d", i)
		}
	}
	return counterCodec{}.Decode(b[:9])
}

func crashEveryWriteOp(t *testing.T, codec Codec[counterEdit], cfg Config) {
	seed := testSeed(t)
	mem := vfs.NewMem()
	model := &crashModel{}
	var points []crashPoint
	fs := recordCrashes(mem, model, seed, &points)

	j, err := Open(fs, testDir, testPrefix, newCounter, codec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rotations := 0
	for i := 1; i <= 25; i++ {
		e := add(int64(i))
		if i%7 == 0 {
			e = set(int64(i) * 100)
		}
		before := j.FileNum()
		model.inflight = &e
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
		model.acked, model.inflight = j.Data().v, nil
		if i%10 == 0 {
			if err := j.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		if j.FileNum() != before {
			rotations++
		}
	}
	j.Close()
	if rotations < 5 {
		t.Fatalf("only %d rotations", rotations)
	}
	points = append(points, crashPoint{op: errorfs.Op{}, fs: mem.CrashClone(vfs.CrashOptions{}), acked: model.acked})
	t.Logf("%d crash images", len(points))
	for i, p := range points {
		checkCrash(t, i, p, codec, cfg)
	}
}

// TestCrashDuringTornTailRecovery crashes at every write-class operation of
// an Open that finds a torn tail and rotates.
func TestCrashDuringTornTailRecovery(t *testing.T) {
	seed := testSeed(t)
	orig := vfs.NewMem()
	j := openCounter(t, orig, framed(Config{}))
	for i := 0; i < 6; i++ {
		mustAppend(t, j, add(int64(10+i)))
	}
	j.Close()
	name := testDir + "/" + makeFilename(testPrefix, 0)
	data := readMem(t, orig, name)
	want := int64(10 + 11 + 12 + 13 + 14)

	mem := memWith(t, name, data[:len(data)-3])
	model := &crashModel{acked: want}
	var points []crashPoint
	j, err := Open(recordCrashes(mem, model, seed, &points), testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	if !j.ReplayInfo().Rotated || j.Data().v != want {
		t.Fatalf("info %+v state %d", j.ReplayInfo(), j.Data().v)
	}
	j.Close()
	if len(points) < 5 {
		t.Fatalf("only %d crash images", len(points))
	}
	for i, p := range points {
		checkCrash(t, i, p, counterCodec{}, framed(Config{}))
	}
}

// TestCrashNeverCorrupts runs random scripts with random crashes: recovery
// must never report corruption for what a crash can do.
func TestCrashNeverCorrupts(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	for round := 0; round < 40; round++ {
		mem := vfs.NewMem()
		cfg := framed(Config{GrowthFactor: uint64(1 + rng.IntN(3)), GrowthBaseline: uint64(24 + rng.IntN(200))})
		var acked int64
		steps := rng.IntN(30)
		for s := 0; s < steps; s++ {
			j, err := Open(mem, testDir, testPrefix, newCounter, counterCodec{}, cfg)
			if err != nil {
				t.Fatalf("round %d step %d: %v", round, s, err)
			}
			if j.Data().v != acked {
				t.Fatalf("round %d step %d: state %d want %d", round, s, j.Data().v, acked)
			}
			for k := rng.IntN(8); k > 0; k-- {
				mustAppend(t, j, add(int64(rng.IntN(100))))
			}
			acked = j.Data().v
			opts := vfs.CrashOptions{UnsyncedDataPercent: rng.IntN(101), TornLastWrite: rng.IntN(2) == 0, Rand: newRand(rng.Uint64())}
			if rng.IntN(3) == 0 {
				j.Close()
			}
			mem = mem.CrashClone(opts)
			j.Close()
		}
		j, err := Open(mem, testDir, testPrefix, newCounter, counterCodec{}, cfg)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if j.Data().v != acked {
			t.Fatalf("round %d: state %d want %d", round, j.Data().v, acked)
		}
		j.Close()
	}
}
