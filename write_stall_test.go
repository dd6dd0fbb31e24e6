package tempest

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// stallProbe holds compactions back and records write stall events. Its
// listener blocks every compaction in CompactionBegin until release is
// called, so that L0 and the compaction debt only grow.
type stallProbe struct {
	releaseCh chan struct{}
	once      sync.Once

	mu      sync.Mutex
	reasons []string
	// seen[reason] is closed at the first event with that reason.
	seen map[string]chan struct{}
}

func newStallProbe() *stallProbe {
	p := &stallProbe{releaseCh: make(chan struct{}), seen: map[string]chan struct{}{}}
	for _, r := range []string{stallMemTables, stallL0, stallDebt, slowdownL0, slowdownDebt} {
		p.seen[r] = make(chan struct{})
	}
	return p
}

func (p *stallProbe) listener() *EventListener {
	return &EventListener{
		CompactionBegin: func(CompactionInfo) { <-p.releaseCh },
		WriteStallBegin: func(info WriteStallInfo) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.reasons) == 0 || p.reasons[len(p.reasons)-1] != info.Reason {
				p.reasons = append(p.reasons, info.Reason)
			}
			if ch := p.seen[info.Reason]; ch != nil {
				select {
				case <-ch:
				default:
					close(ch)
				}
			}
		},
	}
}

func (p *stallProbe) release() { p.once.Do(func() { close(p.releaseCh) }) }

// wait waits for the first stall event with reason.
func (p *stallProbe) wait(t *testing.T, reason string) {
	t.Helper()
	select {
	case <-p.seen[reason]:
	case <-time.After(30 * time.Second):
		t.Fatalf("no %q stall event; events: %v", reason, p.events())
	}
}

func (p *stallProbe) events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reasons...)
}

// delayRecorder replaces the timed wait of slowdowns: it records each
// delay and advances the fake clock by it.
type delayRecorder struct {
	clock  *fakeClock
	mu     sync.Mutex
	delays []time.Duration
}

func (r *delayRecorder) sleep(d time.Duration) {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	r.clock.advance(d)
}

func (r *delayRecorder) take() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.delays
	r.delays = nil
	return out
}

// stallTestOptions returns options with 64 KiB memtables, one compaction at
// a time, the compaction debt thresholds out of the way, and a 64 KiB/s
// delayed write rate (a 100-byte write owes a few milliseconds).
func stallTestOptions(fs vfs.FS, p *stallProbe) *Options {
	return &Options{
		FS:                         fs,
		MemTableSize:               MinMemTableSize,
		L0CompactionThreshold:      2,
		L0SlowdownWritesThreshold:  4,
		L0StopWritesThreshold:      6,
		MaxConcurrentCompactions:   1,
		PendingCompactionBytesStop: math.MaxUint64,
		DelayedWriteRate:           64 << 10,
		EventListener:              p.listener(),
	}
}

// ackedWrites tracks the writes the DB acknowledged.
type ackedWrites struct {
	mu sync.Mutex
	kv map[string]string
}

func (a *ackedWrites) add(k, v string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.kv == nil {
		a.kv = map[string]string{}
	}
	a.kv[k] = v
}

func (a *ackedWrites) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.kv)
}

func (a *ackedWrites) check(t *testing.T, d *DB) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, v := range a.kv {
		mustGet(t, d, k, v)
	}
}

// setOne applies one Set in its own batch and returns the batch's
// memtable size (what the slowdown charges).
func setOne(t *testing.T, d *DB, acked *ackedWrites, k, v string) uint64 {
	t.Helper()
	b := d.NewBatch()
	if err := b.Set([]byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
	n := b.memSize
	if _, err := d.Apply(b, NoSync); err != nil {
		t.Fatalf("set %q: %v", k, err)
	}
	acked.add(k, v)
	return n
}

// stopWriters starts n writers of count 1 KiB values each; the returned
// channel yields each writer's error (nil if all its writes succeeded).
func stopWriters(d *DB, acked *ackedWrites, n, count int) <-chan error {
	errs := make(chan error, n)
	value := string(make([]byte, 1024))
	for w := range n {
		go func() {
			for i := range count {
				k := fmt.Sprintf("w%d-%04d", w, i)
				if err := d.Set([]byte(k), []byte(value), NoSync); err != nil {
					errs <- err
					return
				}
				acked.add(k, value)
			}
			errs <- nil
		}()
	}
	return errs
}

func waitWriters(t *testing.T, errs <-chan error, n int) []error {
	t.Helper()
	var out []error
	for range n {
		select {
		case err := <-errs:
			out = append(out, err)
		case <-time.After(30 * time.Second):
			t.Fatal("writers did not finish")
		}
	}
	return out
}

// TestWriteSlowdownL0 grows L0 with compactions held back: below the
// slowdown threshold writes are not delayed; between it and the stop
// threshold each write is delayed by its bytes over a rate that falls as L0
// grows, and proceeds; at the stop threshold writers block once the
// memtable is full, until compactions are released. Every acknowledged
// write stays readable.
func TestWriteSlowdownL0(t *testing.T) {
	probe := newStallProbe()
	clock := &fakeClock{}
	o := stallTestOptions(vfs.NewMem(), probe)
	o.Clock = clock
	d := mustOpen(t, "/db", o)
	defer d.Close()
	defer probe.release() // before Close, which waits for held compactions
	rec := &delayRecorder{clock: clock}
	d.slow.sleep = rec.sleep

	var acked ackedWrites
	var total time.Duration
	delays := map[int]time.Duration{}
	for i := 0; ; i++ {
		l0 := d.Metrics().Levels[0].Files
		if l0 >= o.L0StopWritesThreshold {
			break
		}
		n := setOne(t, d, &acked, fmt.Sprintf("k%04d", i), fmt.Sprintf("value-%0100d", i))
		got := rec.take()
		if l0 < o.L0SlowdownWritesThreshold {
			if len(got) != 0 {
				t.Fatalf("L0=%d (below slowdown): write delayed %v", l0, got)
			}
		} else {
			p := float64(l0-o.L0SlowdownWritesThreshold) / float64(o.L0StopWritesThreshold-o.L0SlowdownWritesThreshold)
			if want := d.delayFor(n, p); len(got) != 1 || got[0] != want {
				t.Fatalf("L0=%d: delays %v, want [%v]", l0, got, want)
			}
			delays[l0] = got[0]
			total += got[0]
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("delays by L0 file count: %v", delays)
	if len(delays) != 2 || delays[5] < delays[4]*19/10 {
		t.Fatalf("delays by L0 count %v: want the delay at L0=5 about twice the one at 4", delays)
	}
	if m := d.Metrics(); m.WriteSlowdowns != 2 || m.WriteSlowdownDuration != total || m.WriteStalls != 0 {
		t.Fatalf("slowdowns %d (%v), stalls %d; want 2 (%v), 0", m.WriteSlowdowns, m.WriteSlowdownDuration, m.WriteStalls, total)
	}

	// At the stop threshold: writes that fit in the memtable proceed at the
	// slowest rate, then the writers block.
	const writers, count = 4, 40
	n0 := acked.len()
	errs := stopWriters(d, &acked, writers, count)
	probe.wait(t, stallL0)
	if m := d.Metrics(); m.WriteStalls == 0 || m.Levels[0].Files < o.L0StopWritesThreshold {
		t.Fatalf("stall event but metrics %d stalls, L0 %d", m.WriteStalls, m.Levels[0].Files)
	}
	if acked.len()-n0 >= writers*count {
		t.Fatalf("all writes acknowledged during an L0 stop")
	}
	stopDelays := rec.take()
	if len(stopDelays) == 0 {
		t.Fatalf("no delays before the stop")
	}
	for _, got := range stopDelays {
		if got < d.delayFor(1024, 1) {
			t.Fatalf("delay %v at the stop threshold, want at least the slowest rate's %v", got, d.delayFor(1024, 1))
		}
	}
	probe.release()
	for _, err := range waitWriters(t, errs, writers) {
		if err != nil {
			t.Fatal(err)
		}
	}
	acked.check(t, d)
	m := d.Metrics()
	t.Logf("events %v\n%s", probe.events(), m)
	if m.WriteSlowdowns <= 2 || m.WriteSlowdownDuration <= total {
		t.Fatalf("no slowdowns recorded at the stop threshold: %d (%v)", m.WriteSlowdowns, m.WriteSlowdownDuration)
	}
}

// TestWriteSlowdownCompactionDebt does the same with the compaction debt:
// L0 thresholds out of the way, small debt thresholds.
func TestWriteSlowdownCompactionDebt(t *testing.T) {
	probe := newStallProbe()
	clock := &fakeClock{}
	o := stallTestOptions(vfs.NewMem(), probe)
	o.Clock = clock
	o.L0SlowdownWritesThreshold, o.L0StopWritesThreshold = 1000, 1000
	o.PendingCompactionBytesSlowdown, o.PendingCompactionBytesStop = 32<<10, 64<<10
	d := mustOpen(t, "/db", o)
	defer d.Close()
	defer probe.release() // before Close, which waits for held compactions
	rec := &delayRecorder{clock: clock}
	d.slow.sleep = rec.sleep

	// Each flush adds an SST of about 8 KiB of incompressible values.
	rng := newRand(1)
	value := func() string {
		v := make([]byte, 1000)
		for i := range v {
			v[i] = byte(rng.Uint32())
		}
		return string(v)
	}
	var acked ackedWrites
	slowed := 0
	for i := 0; ; i++ {
		debt := d.Metrics().CompactionDebt
		if debt >= o.PendingCompactionBytesStop {
			break
		}
		var owed time.Duration
		for j := range 8 {
			n := setOne(t, d, &acked, fmt.Sprintf("k%03d-%d", i, j), value())
			if debt >= o.PendingCompactionBytesSlowdown {
				p := float64(debt-o.PendingCompactionBytesSlowdown) / float64(o.PendingCompactionBytesStop-o.PendingCompactionBytesSlowdown)
				owed += d.delayFor(n, p)
			}
		}
		var got time.Duration
		for _, x := range rec.take() {
			got += x
		}
		if got != owed {
			t.Fatalf("debt %d: delayed %v, want %v", debt, got, owed)
		}
		if got > 0 {
			slowed++
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if slowed < 2 {
		t.Fatalf("only %d flush rounds in the slowdown zone", slowed)
	}
	if m := d.Metrics(); m.WriteSlowdowns == 0 || m.WriteSlowdownDuration == 0 || m.WriteStalls != 0 {
		t.Fatalf("slowdowns %d (%v), stalls %d", m.WriteSlowdowns, m.WriteSlowdownDuration, m.WriteStalls)
	}
	const writers, count = 2, 60
	n0 := acked.len()
	errs := stopWriters(d, &acked, writers, count)
	probe.wait(t, stallDebt)
	if acked.len()-n0 >= writers*count {
		t.Fatalf("all writes acknowledged during a debt stop")
	}
	probe.release()
	for _, err := range waitWriters(t, errs, writers) {
		if err != nil {
			t.Fatal(err)
		}
	}
	acked.check(t, d)
	ev := probe.events()
	t.Logf("events %v\n%s", ev, d.Metrics())
	for _, r := range ev {
		if r != slowdownDebt && r != stallDebt {
			t.Fatalf("unexpected stall reason %q in %v", r, ev)
		}
	}
}

// fillL0 flushes one small SST at a time until L0 holds n files (with
// compactions held back).
func fillL0(t *testing.T, d *DB, n int) {
	t.Helper()
	for i := 0; d.Metrics().Levels[0].Files < n; i++ {
		if err := d.Set(fmt.Appendf(nil, "fill%04d", i), []byte("v"), NoSync); err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteStallClose closes the DB while a writer is slowed (with a delay
// of hours) or stopped: the writer returns ErrClosed at once, and the
// writes acknowledged before survive a reopen.
func TestWriteStallClose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		l0     int
		reason string
	}{
		{"slowed", 4, slowdownL0},
		{"stopped", 6, stallL0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probe := newStallProbe()
			fs := vfs.NewMem()
			o := stallTestOptions(fs, probe)
			o.DelayedWriteRate = 1 << 30 // fill the memtable fast at the stop threshold
			if tc.name == "slowed" {
				o.DelayedWriteRate = 1 // a write owes minutes
			}
			d := mustOpen(t, "/db", o)
			defer d.Close() // a no-op once closed
			defer probe.release()
			fillL0(t, d, tc.l0)
			var acked ackedWrites
			errs := stopWriters(d, &acked, 1, 1000)
			probe.wait(t, tc.reason)

			closed := make(chan error, 1)
			start := time.Now()
			go func() { closed <- d.Close() }()
			select {
			case err := <-errs:
				if !errors.Is(err, ErrClosed) {
					t.Fatalf("writer: %v, want ErrClosed", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("writer still waiting 10s after Close")
			}
			t.Logf("writer returned %v after Close", time.Since(start))
			probe.release() // Close waits for the compaction in progress
			select {
			case err := <-closed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Close hangs")
			}
			d2 := mustOpen(t, "/db", &Options{FS: fs})
			defer mustClose(t, d2)
			acked.check(t, d2)
		})
	}
}

// TestWriteStallNoAutoCompactions checks that without automatic
// compactions the L0 thresholds neither slow nor stop writes: nothing
// would pay the debt down.
func TestWriteStallNoAutoCompactions(t *testing.T) {
	probe := newStallProbe()
	o := stallTestOptions(vfs.NewMem(), probe)
	o.DisableAutomaticCompactions = true
	o.PendingCompactionBytesSlowdown, o.PendingCompactionBytesStop = 1, 2
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	fillL0(t, d, o.L0StopWritesThreshold+2)
	var acked ackedWrites
	errs := stopWriters(d, &acked, 1, 200) // three memtables' worth
	for _, err := range waitWriters(t, errs, 1) {
		if err != nil {
			t.Fatal(err)
		}
	}
	acked.check(t, d)
	if m := d.Metrics(); m.WriteStalls != 0 || m.WriteSlowdowns != 0 {
		t.Fatalf("stalls %d, slowdowns %d without automatic compactions", m.WriteStalls, m.WriteSlowdowns)
	}
}

// TestWriteSlowdownConcurrent runs writers through slowdowns with real
// (short) delays while compactions run: every write is acknowledged and
// readable, and the delays are counted.
func TestWriteSlowdownConcurrent(t *testing.T) {
	o := &Options{
		FS:                        vfs.NewMem(),
		MemTableSize:              MinMemTableSize,
		L0CompactionThreshold:     1,
		L0SlowdownWritesThreshold: 1,
		L0StopWritesThreshold:     3,
		DelayedWriteRate:          8 << 20,
	}
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	var acked ackedWrites
	const writers, count = 4, 300
	errs := stopWriters(d, &acked, writers, count)
	for _, err := range waitWriters(t, errs, writers) {
		if err != nil {
			t.Fatal(err)
		}
	}
	acked.check(t, d)
	m := d.Metrics()
	t.Logf("%s", m)
	// With one L0 file enough to slow writes and three to stop them, the
	// writers meet back-pressure; whether as delays or as stops depends on
	// how the compactions are timed against them.
	if m.WriteSlowdowns+m.WriteStalls == 0 {
		t.Fatalf("no back-pressure: %d slowdowns, %d stalls", m.WriteSlowdowns, m.WriteStalls)
	}
}

func TestStallOptions(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name               string
		o                  Options
		l0Slow             int
		debtSlow, debtStop uint64
		rate               int64
	}{
		{"defaults", Options{}, 12, 16 * gib, 64 * gib, 16 << 20},
		{"l0 stop 5", Options{L0CompactionThreshold: 4, L0StopWritesThreshold: 5}, 4, 16 * gib, 64 * gib, 16 << 20},
		{"big memtables", Options{MemTableSize: gib}, 12, 40 * gib, 160 * gib, 16 << 20},
		{"only stop", Options{PendingCompactionBytesStop: gib}, 12, gib / 4, gib, 16 << 20},
		{"tiny stop", Options{PendingCompactionBytesStop: 2}, 12, 1, 2, 16 << 20},
		{"only slowdown", Options{PendingCompactionBytesSlowdown: gib}, 12, gib, 4 * gib, 16 << 20},
		{"huge slowdown", Options{PendingCompactionBytesSlowdown: math.MaxUint64 / 2}, 12, math.MaxUint64 / 2, math.MaxUint64, 16 << 20},
		{"no debt stop", Options{PendingCompactionBytesStop: math.MaxUint64}, 12, math.MaxUint64 / 4, math.MaxUint64, 16 << 20},
		{"no slowdowns", Options{L0SlowdownWritesThreshold: 20, PendingCompactionBytesSlowdown: gib, PendingCompactionBytesStop: gib, DelayedWriteRate: 1}, 20, gib, gib, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.o.ensureDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if o.L0SlowdownWritesThreshold != tc.l0Slow || o.PendingCompactionBytesSlowdown != tc.debtSlow ||
				o.PendingCompactionBytesStop != tc.debtStop || o.DelayedWriteRate != tc.rate {
				t.Fatalf("got L0 slowdown %d, debt %d/%d, rate %d; want %d, %d/%d, %d", o.L0SlowdownWritesThreshold,
					o.PendingCompactionBytesSlowdown, o.PendingCompactionBytesStop, o.DelayedWriteRate,
					tc.l0Slow, tc.debtSlow, tc.debtStop, tc.rate)
			}
		})
	}
}

func TestBadStallOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"l0 slowdown below compaction": {L0CompactionThreshold: 4, L0SlowdownWritesThreshold: 3},
		"l0 slowdown above stop":       {L0SlowdownWritesThreshold: 21},
		"negative l0 slowdown":         {L0SlowdownWritesThreshold: -1},
		"debt slowdown above stop":     {PendingCompactionBytesSlowdown: 2 << 30, PendingCompactionBytesStop: 1 << 30},
		"negative rate":                {DelayedWriteRate: -1},
	} {
		t.Run(name, func(t *testing.T) {
			o.FS = vfs.NewMem()
			if _, err := Open("/db", &o); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// TestCompactionDebtCached checks that the write path computes the debt
// once per version.
func TestCompactionDebtCached(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem(), DisableAutomaticCompactions: true})
	defer mustClose(t, d)
	debt := func() uint64 {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.compactionDebtLocked()
	}
	if got := debt(); got != 0 {
		t.Fatalf("empty DB debt %d", got)
	}
	mustSet(t, d, "k", "v", NoSync)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	v := d.slow.debtVersion
	d.mu.Unlock()
	if got, want := debt(), d.Metrics().CompactionDebt; got != want || got == 0 {
		t.Fatalf("debt %d, metrics %d", got, want)
	}
	d.mu.Lock()
	cached, now := d.slow.debtVersion, d.mu.readState.version
	d.mu.Unlock()
	if cached != now || cached == v {
		t.Fatalf("debt not recomputed for the new version")
	}
}
