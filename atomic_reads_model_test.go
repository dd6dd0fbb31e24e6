package tempest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The oracle of TestAtomicReads: the state of the DB at every seqnum,
// built from the committed batches (each known by its WriteToken), and
// the check that a read returned the state at some seqnum of its window.

// atomicKeys is the key space; keys sort as their indices.
const atomicKeys = 16

func atomicKey(i int) []byte { return fmt.Appendf(nil, "k%03d", i) }

// atomicKeyIndex parses a key atomicKey made, or returns -1.
func atomicKeyIndex(k []byte) int {
	var i int
	if n, err := fmt.Sscanf(string(k), "k%03d", &i); n != 1 || err != nil || i < 0 || i >= atomicKeys || string(atomicKey(i)) != string(k) {
		return -1
	}
	return i
}

// atomicValue is the value written with id (ids are unique and > 0): the
// id, then padding of a length and content the id determines, so that a
// value read back is recognized whole.
func atomicValue(id uint32) []byte {
	v := fmt.Appendf(nil, "v%08d:", id)
	pad := 40 + int(id%89)
	for i := range pad {
		v = append(v, byte('a'+(int(id)+i)%26))
	}
	return v
}

// atomicValueID returns the id of a value atomicValue made, or 0.
func atomicValueID(v []byte) uint32 {
	var id uint32
	if n, err := fmt.Sscanf(string(v), "v%08d:", &id); n != 1 || err != nil || id == 0 || string(atomicValue(id)) != string(v) {
		return 0
	}
	return id
}

// atomicOp is one operation of a batch: a set (val > 0), a delete (val
// 0), or a range delete of keys [key, end) (rangeDel).
type atomicOp struct {
	key, end int
	val      uint32
	rangeDel bool
}

// atomicBatch is a committed batch and its seqnum.
type atomicBatch struct {
	seq uint64
	ops []atomicOp
}

// atomicEffect is the value a key holds after a batch (0: absent).
type atomicEffect struct {
	key int
	val uint32
}

// effects returns what b leaves in each key it touches, in key order. The
// ops take effect in order: a range delete removes what was written
// before it, before the batch and by the batch's earlier ops; among point
// writes of one key, the last wins.
func (b atomicBatch) effects() []atomicEffect {
	vals := make(map[int]uint32)
	for _, op := range b.ops {
		if !op.rangeDel {
			vals[op.key] = op.val
			continue
		}
		for k := op.key; k < op.end; k++ {
			vals[k] = 0
		}
	}
	out := make([]atomicEffect, 0, len(vals))
	for k, v := range vals {
		out = append(out, atomicEffect{k, v})
	}
	slices.SortFunc(out, func(a, b atomicEffect) int { return a.key - b.key })
	return out
}

// atomicModel knows the state at every seqnum.
type atomicModel struct {
	batches []atomicBatch    // by seqnum
	effects [][]atomicEffect // effects[i] of batches[i]
	// history[k] lists the values of key k, by seqnum: entry i holds from
	// seqs[k][i] until the next entry.
	seqs [atomicKeys][]uint64
	vals [atomicKeys][]uint32
}

func newAtomicModel(batches []atomicBatch) *atomicModel {
	slices.SortFunc(batches, func(a, b atomicBatch) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	m := &atomicModel{batches: batches}
	for k := range atomicKeys {
		m.seqs[k], m.vals[k] = []uint64{0}, []uint32{0}
	}
	for _, b := range batches {
		e := b.effects()
		m.effects = append(m.effects, e)
		for _, x := range e {
			m.seqs[x.key] = append(m.seqs[x.key], b.seq)
			m.vals[x.key] = append(m.vals[x.key], x.val)
		}
	}
	return m
}

// valueAt returns key k's value at seqnum s (0: absent).
func (m *atomicModel) valueAt(k int, s uint64) uint32 {
	i := sort.Search(len(m.seqs[k]), func(i int) bool { return m.seqs[k][i] > s })
	return m.vals[k][i-1]
}

// atomicRead is one read and its window: lo is the highest seqnum
// acknowledged before the call, hi the visible seqnum after the return.
// got holds, for a Get, the value id (0: ErrNotFound) of key; for a scan
// over keys [lower, upper), the value id of every key in the bounds (0:
// not returned).
type atomicRead struct {
	lo, hi       uint64
	kind         string // "get", "iter forward", "iter backward", "all"
	key          int
	lower, upper int
	got          []uint32
	at           time.Duration // since the workload started
}

func (r *atomicRead) String() string {
	if r.kind == "get" {
		return fmt.Sprintf("get k%03d in seqnums [%d, %d]", r.key, r.lo, r.hi)
	}
	return fmt.Sprintf("%s over [k%03d, k%03d) in seqnums [%d, %d]", r.kind, r.lower, r.upper, r.lo, r.hi)
}

// check returns nil if r returned the state at some seqnum in [lo, hi].
func (m *atomicModel) check(r *atomicRead) error {
	if r.kind == "get" {
		return m.checkGet(r)
	}
	return m.checkScan(r)
}

func (m *atomicModel) checkGet(r *atomicRead) error {
	got := r.got[0]
	if m.valueAt(r.key, r.lo) == got {
		return nil
	}
	seqs := m.seqs[r.key]
	for i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > r.lo }); i < len(seqs) && seqs[i] <= r.hi; i++ {
		if m.vals[r.key][i] == got {
			return nil
		}
	}
	return fmt.Errorf("%v returned %s, a value the key never held in the window: it held %s", r,
		atomicValueName(got), m.keyHistory(r.key, r.lo, r.hi))
}

// checkScan looks for one seqnum in [lo, hi] at which the whole state over
// the bounds equals the scan: it counts the keys where the state at lo
// differs from the scan, then applies the window's batches one by one,
// updating the count, until it reaches zero.
func (m *atomicModel) checkScan(r *atomicRead) error {
	state := make([]uint32, atomicKeys)
	diff := 0
	for k := r.lower; k < r.upper; k++ {
		state[k] = m.valueAt(k, r.lo)
		if state[k] != r.got[k] {
			diff++
		}
	}
	i := sort.Search(len(m.batches), func(i int) bool { return m.batches[i].seq > r.lo })
	for ; diff > 0 && i < len(m.batches) && m.batches[i].seq <= r.hi; i++ {
		for _, e := range m.effects[i] {
			if e.key < r.lower || e.key >= r.upper {
				continue
			}
			if state[e.key] != r.got[e.key] {
				diff--
			}
			state[e.key] = e.val
			if state[e.key] != r.got[e.key] {
				diff++
			}
		}
	}
	if diff == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v returned a state that never existed in the window; per key (returned: held in the window):", r)
	for k := r.lower; k < r.upper; k++ {
		mark := " "
		if m.valueAt(k, r.lo) != r.got[k] || m.valueAt(k, r.hi) != r.got[k] {
			mark = "*"
		}
		fmt.Fprintf(&b, "\n  %s k%03d %s: %s", mark, k, atomicValueName(r.got[k]), m.keyHistory(k, r.lo, r.hi))
	}
	return fmt.Errorf("%s", b.String())
}

// keyHistory describes key k's values from lo to hi.
func (m *atomicModel) keyHistory(k int, lo, hi uint64) string {
	parts := []string{fmt.Sprintf("%s at %d", atomicValueName(m.valueAt(k, lo)), lo)}
	seqs := m.seqs[k]
	for i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > lo }); i < len(seqs) && seqs[i] <= hi; i++ {
		parts = append(parts, fmt.Sprintf("%s from %d", atomicValueName(m.vals[k][i]), seqs[i]))
	}
	if i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > lo }) - 1; i > 0 {
		parts[0] += fmt.Sprintf(" (since %d, before it %s)", seqs[i], atomicValueName(m.vals[k][i-1]))
	}
	return strings.Join(parts, ", ")
}

func atomicValueName(id uint32) string {
	if id == 0 {
		return "absent"
	}
	return fmt.Sprintf("v%d", id)
}
