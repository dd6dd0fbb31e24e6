package tempest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// The fault tests (fault_*_test.go) share this oracle: the commits of a
// workload in commit order, how many were acknowledged, and how many are
// known durable. Values name their commit ("c<index>:<key>" plus padding),
// so a recovered state maps back to a prefix of the commits.

// faultCommit is one batch: key -> value, or key -> nil for a delete.
type faultCommit map[string]*string

// faultOracle records a workload's commits. A workload calls begin before
// Apply and ack after it succeeds. It is not safe for concurrent use.
type faultOracle struct {
	commits []faultCommit
	acked   int // commits acknowledged
	synced  int // commits known durable: up to the last acknowledged Sync, Flush or Close
}

// faultValue returns the value commit i writes to key, padded to n bytes
// with letters drawn from a generator seeded by i (so that values do not
// compress to nothing).
func faultValue(i int, key string, n int) string {
	v := []byte(fmt.Sprintf("c%d:%s;", i, key))
	x := uint32(i)*2654435761 + 1
	for len(v) < n {
		x = x*1664525 + 1013904223
		v = append(v, 'a'+byte(x>>24)%26)
	}
	return string(v)
}

// add appends a batch of writes to b and records it as the next commit.
// Each entry of writes is "key=valueLen" (a set) or "-key" (a delete).
func (o *faultOracle) batch(d *DB, writes ...string) (*Batch, int) {
	i := len(o.commits)
	c := faultCommit{}
	b := d.NewBatch()
	for _, w := range writes {
		if k, ok := strings.CutPrefix(w, "-"); ok {
			if err := b.Delete([]byte(k)); err != nil {
				panic(err)
			}
			c[k] = nil
			continue
		}
		k, n, _ := strings.Cut(w, "=")
		size := 0
		fmt.Sscan(n, &size)
		v := faultValue(i, k, size)
		if err := b.Set([]byte(k), []byte(v)); err != nil {
			panic(err)
		}
		c[k] = &v
	}
	o.commits = append(o.commits, c)
	return b, i
}

// apply commits the writes (see batch) and records the outcome.
func (o *faultOracle) apply(d *DB, sync bool, writes ...string) error {
	b, i := o.batch(d, writes...)
	if _, err := d.Apply(b, &WriteOptions{Sync: sync}); err != nil {
		return err
	}
	if o.acked != i {
		return fmt.Errorf("commit %d acknowledged after commit %d failed", i, o.acked)
	}
	o.acked = i + 1
	if sync {
		o.synced = o.acked
	}
	return nil
}

// durable records that every acknowledged commit is durable (after a
// successful Flush or Close).
func (o *faultOracle) durable() { o.synced = o.acked }

// stateAt returns the state after the first l commits.
func (o *faultOracle) stateAt(l int) map[string]string {
	s := map[string]string{}
	for _, c := range o.commits[:l] {
		for k, v := range c {
			if v == nil {
				delete(s, k)
			} else {
				s[k] = *v
			}
		}
	}
	return s
}

// prefix returns the largest l >= need such that got is the state after
// the first l commits, or an error describing how got differs. It walks
// the commits once, counting the keys on which the two states differ.
func (o *faultOracle) prefix(got map[string]string, need int) (int, error) {
	s := map[string]string{}
	differs := func(k string) bool {
		v, ok := s[k]
		g, gok := got[k]
		return ok != gok || v != g
	}
	diff := len(got)
	best := -1
	for l := 0; ; l++ {
		if l >= need && diff == 0 {
			best = l
		}
		if l == len(o.commits) {
			break
		}
		for k, v := range o.commits[l] {
			before := differs(k)
			if v == nil {
				delete(s, k)
			} else {
				s[k] = *v
			}
			if after := differs(k); before != after {
				if after {
					diff++
				} else {
					diff--
				}
			}
		}
	}
	if best >= 0 {
		return best, nil
	}
	want := o.stateAt(need)
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok || g != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: got %.20q want %.20q", k, g, want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %.20q want absent", k, got[k]))
		}
	}
	if len(diffs) > 6 {
		diffs = append(diffs[:6], fmt.Sprintf("... %d more", len(diffs)-6))
	}
	return -1, fmt.Errorf("state of %d keys is no prefix of the %d commits with length >= %d (vs prefix %d: %s)",
		len(got), len(o.commits), need, need, strings.Join(diffs, "; "))
}

// faultDump reads every key of d with an iterator.
func faultDump(d *DB) (map[string]string, error) {
	it, err := d.NewIter(nil)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		it.Close()
		return nil, err
	}
	return got, it.Close()
}

// faultRecover opens the DB in fs (with faults gone), checks that its
// state is a prefix of o's commits of length >= need and that Check
// passes, and closes it. It returns the prefix length.
func faultRecover(fs vfs.FS, opts *Options, o *faultOracle, need int) (int, error) {
	c := *opts
	c.FS = fs
	c.Scheduler = InlineScheduler{}
	d, err := Open("/db", &c)
	if err != nil {
		return -1, fmt.Errorf("reopen: %w", err)
	}
	got, err := faultDump(d)
	if err == nil {
		err = d.Check()
	}
	l := -1
	if err == nil {
		l, err = o.prefix(got, need)
	}
	if cerr := d.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close after recovery: %w", cerr)
	}
	return l, err
}

// faultFigures appends a line of figures to the file TEMPEST_FIGURES
// names (go test shows a passing package's output only with -v) and logs
// it.
var faultFiguresMu sync.Mutex

func faultFigures(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	fmt.Println(line)
	path := os.Getenv("TEMPEST_FIGURES")
	if path == "" {
		return
	}
	faultFiguresMu.Lock()
	defer faultFiguresMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Logf("figures: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

// faultKnownBugs counts failures that match a known engine bug. A test
// that found some reports them with t.Skip after all its other checks
// passed, so the known bug does not hide new ones.
type faultKnownBugs map[string]int

// skipIfAny fails the test, naming each known bug it hit: all of them
// are fixed, so a hit is a regression.
func (kb faultKnownBugs) skipIfAny(t *testing.T) {
	t.Helper()
	if len(kb) == 0 {
		return
	}
	var msgs []string
	for _, k := range slices.Sorted(maps.Keys(kb)) {
		msgs = append(msgs, fmt.Sprintf("known bug (%d times): %s", kb[k], k))
	}
	t.Fatal("regression of fixed bugs:\n" + strings.Join(msgs, "\n"))
}

// faultTornWALHeaderBug: wal/reader.go (Replay, the header check): a
// power loss while a new WAL's header is being written can leave exactly
// a header's worth of garbage (a torn sector reads as old disk content).
// Create syncs the header before any record is written, so such a file
// never held an acknowledged record, but Replay treats only a short or
// all-zero header as "never created" and any other bad magic as
// corruption, so Open fails after a plain power loss.
const faultTornWALHeaderBug = "wal: torn header of a just-created WAL reported as corruption; Open fails after power loss"

// faultIsTornWALHeader reports whether err is faultTornWALHeaderBug on img: a
// corrupt-magic error naming a WAL that is at most a header long.
func faultIsTornWALHeader(img *vfs.MemFS, err error) bool {
	var ce *base.CorruptionError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "not a write-ahead log file") {
		return false
	}
	data, rerr := img.ReadFile(ce.File)
	return rerr == nil && len(data) <= wal.HeaderSize
}
