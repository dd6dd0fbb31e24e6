package tempest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// The operations of the metamorphic test (metamorphic_test.go), their
// generator and the model that gives each one its expected result.
//
// A generated sequence is a list of metaOps, each carrying the result the
// model expects (want) in a canonical text form that the runner produces
// from the engine's answers as well. Results name keys with formatKey and
// values with formatValue, which abbreviates long values but keeps their
// length and CRC, so two results are equal iff the answers are.

// metaKeySpace is the key space of one sequence. Keys are short strings
// over a small alphabet (abc, or abcdef for more keys and files) under
// three namespaces ("", "tbl/", "tbl/idx/"), so writes collide often and
// keys share prefixes. With suffix set, the DB uses
// FixedSuffixComparer(8) and each key is a row followed by an 8-byte
// big-endian version.
type metaKeySpace struct {
	suffix   bool
	alphabet string
}

// boundAlphabet adds a letter that no written key holds.
func (ks metaKeySpace) boundAlphabet() string {
	return ks.alphabet + string(rune('a'+len(ks.alphabet)))
}

const metaSuffixLen = 8

var metaNamespaces = []string{"", "tbl/", "tbl/idx/"}

// comparer returns the Comparer the DB is opened with.
func (ks metaKeySpace) comparer() *Comparer {
	if ks.suffix {
		return FixedSuffixComparer(metaSuffixLen)
	}
	return DefaultComparer
}

func metaLetters(rng *rand.Rand, alphabet string, lo, hi int) string {
	n := lo + rng.IntN(hi-lo+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// key returns a key to write or read.
func (ks metaKeySpace) key(rng *rand.Rand) []byte {
	ns := metaNamespaces[rng.IntN(len(metaNamespaces))]
	if !ks.suffix {
		return []byte(ns + metaLetters(rng, ks.alphabet, 1, 3))
	}
	row := ns + metaLetters(rng, ks.alphabet, 1, 2)
	return binary.BigEndian.AppendUint64([]byte(row), 1+rng.Uint64N(6))
}

// bound returns a key for an iterator bound, a seek or a range: it may
// fall between written keys (a letter past the alphabet, the bare
// namespace, version 0, 7 or the maximum).
func (ks metaKeySpace) bound(rng *rand.Rand) []byte {
	if rng.IntN(2) == 0 {
		return ks.key(rng)
	}
	ns := metaNamespaces[rng.IntN(len(metaNamespaces))]
	if !ks.suffix {
		return []byte(ns + metaLetters(rng, ks.boundAlphabet(), 0, 3))
	}
	row := ns + metaLetters(rng, ks.boundAlphabet(), 1, 2)
	v := []uint64{0, 7, math.MaxUint64, 3}[rng.IntN(4)]
	return binary.BigEndian.AppendUint64([]byte(row), v)
}

// split returns the prefix and the suffix of k: the FixedSuffixComparer's
// rule (a key shorter than the suffix has none), written out again here so
// that the model does not take the engine's word for the order.
func (ks metaKeySpace) split(k []byte) (prefix, suffix []byte) {
	if !ks.suffix || len(k) < metaSuffixLen {
		return k, nil
	}
	return k[:len(k)-metaSuffixLen], k[len(k)-metaSuffixLen:]
}

// compare is the key order: prefix ascending, then suffix descending.
func (ks metaKeySpace) compare(a, b []byte) int {
	pa, sa := ks.split(a)
	pb, sb := ks.split(b)
	if c := bytes.Compare(pa, pb); c != 0 {
		return c
	}
	return bytes.Compare(sb, sa)
}

func (ks metaKeySpace) samePrefix(a, b []byte) bool {
	pa, _ := ks.split(a)
	pb, _ := ks.split(b)
	return bytes.Equal(pa, pb)
}

// formatKey renders a key for results and failure messages: the string,
// and under the suffix comparer row@version.
func (ks metaKeySpace) formatKey(k []byte) string {
	if k == nil {
		return "nil"
	}
	p, s := ks.split(k)
	if s == nil {
		return fmt.Sprintf("%q", p)
	}
	v := binary.BigEndian.Uint64(s)
	if v == math.MaxUint64 {
		return fmt.Sprintf("%q@max", p)
	}
	return fmt.Sprintf("%q@%d", p, v)
}

// formatValue renders a value: in full when short, else its head, length
// and CRC.
func formatValue(v []byte) string {
	if len(v) <= 24 {
		return string(v)
	}
	return fmt.Sprintf("%s…[%d,%08x]", v[:16], len(v), crc32.ChecksumIEEE(v))
}

type metaKind uint8

const (
	metaSet metaKind = iota
	metaDelete
	metaDeleteRange
	metaApply // a batch of sets, deletes and range deletes
	metaGet
	metaIter // an iterator opened, walked and closed in one operation
	metaIterOpen
	metaIterSteps
	metaIterClose
	metaSnapshot
	metaSnapshotAt // DB.NewSnapshotAt on the token of an earlier metaApply
	metaSnapshotClose
	metaFlush
	metaCompact
	metaReopen // close every iterator and snapshot, Close, Open, Check
	metaIngest // SSTs written for ingest, then Ingest or IngestAndReplace
	metaMerge  // DB.Merge under metaAppendMerger
)

// metaAppendMerger is the Merger of every configuration: an operand is
// appended to the value below it (nothing below is the empty value).
var metaAppendMerger = &Merger{Name: "meta.append", Merge: func(key, older, newer []byte) ([]byte, error) {
	return append(append([]byte(nil), older...), newer...), nil
}}

const (
	metaSnapSlots = 4
	metaIterSlots = 3
)

// metaBatchEntry is one entry of a batch: a set (value non-nil), a merge,
// a delete, or a range delete [key, end).
type metaBatchEntry struct {
	kind       metaKind // metaSet, metaMerge, metaDelete or metaDeleteRange
	key, value []byte
	end        []byte
}

type metaStepKind uint8

const (
	stepFirst metaStepKind = iota
	stepLast
	stepSeekGE
	stepSeekLT
	stepNext
	stepPrev
)

var metaStepNames = [...]string{"First", "Last", "SeekGE", "SeekLT", "Next", "Prev"}

type metaIterStep struct {
	kind metaStepKind
	key  []byte // seek target
}

// metaOp is one operation. Which fields are used depends on kind.
type metaOp struct {
	kind  metaKind
	key   []byte // Set, Delete, Get; DeleteRange and Compact start
	end   []byte // DeleteRange and Compact end
	value []byte
	sync  bool
	batch []metaBatchEntry
	// snap is the snapshot slot read by Get and Iter, or -1 for the DB;
	// the slot that Snapshot, SnapshotAt and SnapshotClose act on.
	snap int
	// token is the index of the metaApply op whose WriteToken SnapshotAt uses.
	token        int
	iter         int // iterator slot
	lower, upper []byte
	steps        []metaIterStep
	want         string // the model's result
	// files are the SSTs of an Ingest, each its entries in key order
	// (sets and deletes); replace (key, end) makes it IngestAndReplace.
	files   [][]metaBatchEntry
	replace bool
}

func (op *metaOp) format(ks metaKeySpace) string {
	k := ks.formatKey
	src := "db"
	if op.snap >= 0 {
		src = fmt.Sprintf("snap%d", op.snap)
	}
	bounds := func() string { return fmt.Sprintf("[%s, %s)", k(op.lower), k(op.upper)) }
	switch op.kind {
	case metaSet:
		return fmt.Sprintf("Set(%s, %s, sync=%v)", k(op.key), formatValue(op.value), op.sync)
	case metaMerge:
		return fmt.Sprintf("Merge(%s, %s, sync=%v)", k(op.key), formatValue(op.value), op.sync)
	case metaDelete:
		return fmt.Sprintf("Delete(%s, sync=%v)", k(op.key), op.sync)
	case metaDeleteRange:
		return fmt.Sprintf("DeleteRange(%s, %s, sync=%v)", k(op.key), k(op.end), op.sync)
	case metaApply:
		var parts []string
		for _, e := range op.batch {
			switch e.kind {
			case metaSet:
				parts = append(parts, fmt.Sprintf("Set(%s, %s)", k(e.key), formatValue(e.value)))
			case metaMerge:
				parts = append(parts, fmt.Sprintf("Merge(%s, %s)", k(e.key), formatValue(e.value)))
			case metaDelete:
				parts = append(parts, fmt.Sprintf("Delete(%s)", k(e.key)))
			default:
				parts = append(parts, fmt.Sprintf("DeleteRange(%s, %s)", k(e.key), k(e.end)))
			}
		}
		return fmt.Sprintf("Apply{%s}(sync=%v)", strings.Join(parts, " "), op.sync)
	case metaGet:
		return fmt.Sprintf("%s.Get(%s)", src, k(op.key))
	case metaIter:
		return fmt.Sprintf("%s.Iter%s %s", src, bounds(), formatSteps(ks, op.steps))
	case metaIterOpen:
		return fmt.Sprintf("iter%d = %s.NewIter%s", op.iter, src, bounds())
	case metaIterSteps:
		return fmt.Sprintf("iter%d %s", op.iter, formatSteps(ks, op.steps))
	case metaIterClose:
		return fmt.Sprintf("iter%d.Close()", op.iter)
	case metaSnapshot:
		return fmt.Sprintf("snap%d = NewSnapshot()", op.snap)
	case metaSnapshotAt:
		return fmt.Sprintf("snap%d = NewSnapshotAt(token of op %d)", op.snap, op.token)
	case metaSnapshotClose:
		return fmt.Sprintf("snap%d.Close()", op.snap)
	case metaFlush:
		return "Flush()"
	case metaCompact:
		return fmt.Sprintf("Compact(%s, %s)", k(op.key), k(op.end))
	case metaReopen:
		return "Close(); Open(); Check()"
	case metaIngest:
		var files []string
		for _, f := range op.files {
			var parts []string
			for _, e := range f {
				if e.kind == metaSet {
					parts = append(parts, fmt.Sprintf("Set(%s, %s)", k(e.key), formatValue(e.value)))
				} else {
					parts = append(parts, fmt.Sprintf("Delete(%s)", k(e.key)))
				}
			}
			files = append(files, "{"+strings.Join(parts, " ")+"}")
		}
		if op.replace {
			return fmt.Sprintf("IngestAndReplace(%s, %s)%s", k(op.key), k(op.end), strings.Join(files, ""))
		}
		return "Ingest" + strings.Join(files, "")
	}
	return fmt.Sprintf("op(%d)", op.kind)
}

func formatSteps(ks metaKeySpace, steps []metaIterStep) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(metaStepNames[s.kind])
		if s.kind == stepSeekGE || s.kind == stepSeekLT {
			fmt.Fprintf(&b, "(%s)", ks.formatKey(s.key))
		}
	}
	return b.String()
}

// formatStep renders the outcome of one iterator step.
func formatStep(ks metaKeySpace, s metaIterStep, valid bool, key, value []byte) string {
	name := metaStepNames[s.kind]
	if !valid {
		return name + ":-"
	}
	return fmt.Sprintf("%s:%s=%s", name, ks.formatKey(key), formatValue(value))
}

// The model.

// metaEntry is the newest write of one user key: a value or a point
// tombstone. A key deleted by a range tombstone has no entry.
type metaEntry struct {
	value   string
	deleted bool
}

// metaState maps user keys to their newest write.
type metaState map[string]metaEntry

func (m metaState) clone() metaState {
	c := make(metaState, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

type metaKV struct {
	key []byte
	metaEntry
}

// view returns the entries in [lower, upper) (nil: unbounded) in key order.
func (m metaState) view(ks metaKeySpace, lower, upper []byte) []metaKV {
	var kvs []metaKV
	for k, e := range m {
		kb := []byte(k)
		if lower != nil && ks.compare(kb, lower) < 0 || upper != nil && ks.compare(kb, upper) >= 0 {
			continue
		}
		kvs = append(kvs, metaKV{kb, e})
	}
	sort.Slice(kvs, func(i, j int) bool { return ks.compare(kvs[i].key, kvs[j].key) < 0 })
	return kvs
}

// deleteRange removes every key in [start, end).
func (m metaState) deleteRange(ks metaKeySpace, start, end []byte) {
	for k := range m {
		if ks.compare([]byte(k), start) >= 0 && ks.compare([]byte(k), end) < 0 {
			delete(m, k)
		}
	}
}

// apply applies a batch's entries in order: a range deletion deletes what
// was written before it, before the batch and by the batch's earlier
// entries, and among point writes to one key the last wins.
func (m metaState) apply(ks metaKeySpace, batch []metaBatchEntry) {
	for _, e := range batch {
		switch e.kind {
		case metaSet:
			m[string(e.key)] = metaEntry{value: string(e.value)}
		case metaMerge:
			old := m[string(e.key)]
			if old.deleted {
				old = metaEntry{}
			}
			m[string(e.key)] = metaEntry{value: old.value + string(e.value)}
		case metaDelete:
			m[string(e.key)] = metaEntry{deleted: true}
		case metaDeleteRange:
			m.deleteRange(ks, e.key, e.end)
		}
	}
}

// get is DB.Get: the first entry at or after key (in key order) with the
// key's prefix; a tombstone there means not found.
func (m metaState) get(ks metaKeySpace, key []byte) string {
	var best []byte
	var be metaEntry
	for k, e := range m {
		kb := []byte(k)
		if ks.samePrefix(kb, key) && ks.compare(kb, key) >= 0 && (best == nil || ks.compare(kb, best) < 0) {
			best, be = kb, e
		}
	}
	if best == nil || be.deleted {
		return "notfound"
	}
	return "value:" + formatValue([]byte(be.value))
}

// metaIterModel is the model of an Iterator: the entries in its bounds at
// its creation, and its position. Reads yield one entry per prefix group:
// the group's first entry in key order among those the positioning call
// may consider, hidden if it is a tombstone.
type metaIterModel struct {
	ks    metaKeySpace
	kvs   []metaKV
	valid bool
	cur   int
}

func newMetaIterModel(ks metaKeySpace, m metaState, lower, upper []byte) *metaIterModel {
	return &metaIterModel{ks: ks, kvs: m.view(ks, lower, upper)}
}

// groupEnd returns the index after the run of entries from i sharing
// kvs[i]'s prefix.
func (it *metaIterModel) groupEnd(i int) int {
	j := i + 1
	for j < len(it.kvs) && it.ks.samePrefix(it.kvs[j].key, it.kvs[i].key) {
		j++
	}
	return j
}

// groupStart returns the first index of the run of entries before j
// sharing kvs[j-1]'s prefix.
func (it *metaIterModel) groupStart(j int) int {
	i := j - 1
	for i > 0 && it.ks.samePrefix(it.kvs[i-1].key, it.kvs[j-1].key) {
		i--
	}
	return i
}

// forwardFrom positions at the first visible group among kvs[i:].
func (it *metaIterModel) forwardFrom(i int) {
	for i < len(it.kvs) {
		if !it.kvs[i].deleted {
			it.valid, it.cur = true, i
			return
		}
		i = it.groupEnd(i)
	}
	it.valid = false
}

// backwardFrom positions at the last visible group among kvs[:j].
func (it *metaIterModel) backwardFrom(j int) {
	for j > 0 {
		i := it.groupStart(j)
		if !it.kvs[i].deleted {
			it.valid, it.cur = true, i
			return
		}
		j = i
	}
	it.valid = false
}

func (it *metaIterModel) search(key []byte) int {
	return sort.Search(len(it.kvs), func(i int) bool { return it.ks.compare(it.kvs[i].key, key) >= 0 })
}

// step applies s and returns its result in the runner's format.
func (it *metaIterModel) step(s metaIterStep) string {
	switch s.kind {
	case stepFirst:
		it.forwardFrom(0)
	case stepLast:
		it.backwardFrom(len(it.kvs))
	case stepSeekGE:
		it.forwardFrom(it.search(s.key))
	case stepSeekLT:
		it.backwardFrom(it.search(s.key))
	case stepNext:
		if it.valid {
			it.forwardFrom(it.groupEnd(it.cur))
		}
	case stepPrev:
		if it.valid {
			it.backwardFrom(it.groupStart(it.cur + 1))
		}
	}
	if !it.valid {
		return formatStep(it.ks, s, false, nil, nil)
	}
	kv := it.kvs[it.cur]
	return formatStep(it.ks, s, true, kv.key, []byte(kv.value))
}

func (it *metaIterModel) run(steps []metaIterStep) string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = it.step(s)
	}
	return strings.Join(out, " ")
}

// The generator.

// metaSnapModel is a snapshot slot: never used, open (reading state), or
// closed (reads fail with ErrClosed).
type metaSnapModel struct {
	used, open bool
	state      metaState
}

// metaGen draws an operation sequence from a seed and runs the model
// along, so that each op carries its expected result.
type metaGen struct {
	rng     *rand.Rand
	ks      metaKeySpace
	ops     []*metaOp
	model   metaState
	history map[int]metaState // the state after each metaApply, by op index
	tokens  []int             // indexes of the metaApply ops
	snaps   [metaSnapSlots]metaSnapModel
	iters   [metaIterSlots]*metaIterModel
	strict  bool // also generate the ops that trigger known engine bugs
	merges  bool // generate merges (metaMerge, and in batches)
}

var metaWeights = [...]struct {
	kind   metaKind
	weight int
}{
	{metaSet, 150}, {metaDelete, 50}, {metaDeleteRange, 20}, {metaApply, 110},
	{metaGet, 180}, {metaIter, 90}, {metaIterOpen, 25}, {metaIterSteps, 50},
	{metaIterClose, 15}, {metaSnapshot, 30}, {metaSnapshotAt, 25},
	{metaSnapshotClose, 25}, {metaFlush, 25}, {metaCompact, 15}, {metaReopen, 8},
	{metaIngest, 10},
	{metaMerge, 60}, // only in a sequence with merges
}

// generateMetaOps returns n operations drawn from rng: random ones, then a
// reopen and a full scan in both directions.
// With strict unset it leaves out the ops that trigger the known engine
// bugs (metaKnownBugs). Without merges it draws no merge, and the same
// sequence as before merges existed.
func generateMetaOps(rng *rand.Rand, ks metaKeySpace, n int, strict, merges bool) []*metaOp {
	g := &metaGen{rng: rng, ks: ks, model: metaState{}, history: map[int]metaState{}, strict: strict, merges: merges}
	weights := metaWeights[:]
	if !merges {
		weights = weights[:len(weights)-1]
	}
	total := 0
	for _, w := range weights {
		total += w.weight
	}
	for len(g.ops) < n-2 {
		r := rng.IntN(total)
		for _, w := range weights {
			if r -= w.weight; r < 0 {
				g.gen(w.kind)
				break
			}
		}
	}
	g.gen(metaReopen)
	g.fullScan()
	return g.ops
}

func (g *metaGen) add(op *metaOp) { g.ops = append(g.ops, op) }

// value returns a value naming its op and entry, padded to a random
// length with more or less compressible bytes.
func (g *metaGen) value(entry int) []byte {
	v := fmt.Appendf(nil, "v%d.%d:", len(g.ops), entry)
	var n int
	switch r := g.rng.IntN(100); {
	case r < 70:
		n = g.rng.IntN(40)
	case r < 95:
		n = 40 + g.rng.IntN(360)
	default:
		n = 1000 + g.rng.IntN(3000)
	}
	if g.rng.IntN(2) == 0 {
		return append(v, bytes.Repeat([]byte{'a' + byte(g.rng.IntN(26))}, n)...)
	}
	for range n {
		v = append(v, 'a'+byte(g.rng.IntN(26)))
	}
	return v
}

// operand returns a short merge operand naming its op and entry (values
// grow by their operands, so they stay small).
func (g *metaGen) operand(entry int) []byte {
	return fmt.Appendf(nil, "+%d.%d", len(g.ops), entry)
}

// source picks what a read reads: the DB (-1) or a snapshot slot that was
// used, open or closed. ok is false if openOnly and none is open.
func (g *metaGen) source(openOnly bool) int {
	if g.rng.IntN(10) < 7 {
		return -1
	}
	var slots []int
	for i, s := range g.snaps {
		if s.open || s.used && !openOnly && g.rng.IntN(4) == 0 {
			slots = append(slots, i)
		}
	}
	if len(slots) == 0 {
		return -1
	}
	return slots[g.rng.IntN(len(slots))]
}

func (g *metaGen) stateOf(src int) metaState {
	if src < 0 {
		return g.model
	}
	return g.snaps[src].state
}

func (g *metaGen) maybeBound() []byte {
	if g.rng.IntN(2) == 0 {
		return nil
	}
	return g.ks.bound(g.rng)
}

// steps draws a walk: a positioning call, then a mix of Next and Prev
// (both directions) and further positioning calls.
func (g *metaGen) steps() []metaIterStep {
	n := 1 + g.rng.IntN(10)
	steps := make([]metaIterStep, n)
	for i := range steps {
		k := metaStepKind(g.rng.IntN(4))
		if i > 0 && g.rng.IntN(10) < 6 {
			k = stepNext + metaStepKind(g.rng.IntN(2))
		}
		steps[i].kind = k
		if k == stepSeekGE || k == stepSeekLT {
			steps[i].key = g.ks.bound(g.rng)
		}
	}
	return steps
}

// rangeBounds draws start < end, or ok=false.
func (g *metaGen) rangeBounds() (start, end []byte, ok bool) {
	a, b := g.ks.bound(g.rng), g.ks.bound(g.rng)
	switch c := g.ks.compare(a, b); {
	case c == 0:
		return nil, nil, false
	case c > 0:
		a, b = b, a
	}
	return a, b, true
}

// gen appends an op of kind, if one can be made in the current state.
func (g *metaGen) gen(kind metaKind) {
	op := &metaOp{kind: kind, snap: -1, iter: -1, sync: g.rng.IntN(10) == 0, want: "ok"}
	switch kind {
	case metaSet:
		op.key, op.value = g.ks.key(g.rng), g.value(0)
		g.model.apply(g.ks, []metaBatchEntry{{kind: metaSet, key: op.key, value: op.value}})
	case metaMerge:
		op.key, op.value = g.ks.key(g.rng), g.operand(0)
		g.model.apply(g.ks, []metaBatchEntry{{kind: metaMerge, key: op.key, value: op.value}})
	case metaDelete:
		if !g.pointDeletes() {
			return
		}
		op.key = g.ks.key(g.rng)
		g.model.apply(g.ks, []metaBatchEntry{{kind: metaDelete, key: op.key}})
	case metaDeleteRange:
		start, end, ok := g.rangeBounds()
		switch {
		case !ok: // start == end
			op.key = g.ks.key(g.rng)
			op.end = op.key
			op.want = "err:invalid-argument"
		case g.rng.IntN(20) == 0:
			op.key, op.end = end, start
			op.want = "err:invalid-argument"
		default:
			op.key, op.end = start, end
			g.model.deleteRange(g.ks, start, end)
		}
	case metaApply:
		n := 1 + g.rng.IntN(8)
		if g.rng.IntN(50) == 0 {
			n = 0 // an empty batch still commits, with a sequence number
		}
		size := 0
		for i := range n {
			e := metaBatchEntry{kind: metaSet}
			switch r := g.rng.IntN(100); {
			case r < 65:
				e.key, e.value = g.ks.key(g.rng), g.value(i)
				if size += len(e.value); size > 12<<10 {
					continue // stay well under MaxBatchSize of a 64 KiB memtable
				}
				if g.merges && r < 25 {
					e.kind, e.value = metaMerge, g.operand(i)
				}
			case r < 85:
				if !g.pointDeletes() {
					continue
				}
				e.kind, e.key = metaDelete, g.ks.key(g.rng)
			default:
				start, end, ok := g.rangeBounds()
				if !ok {
					continue
				}
				e.kind, e.key, e.end = metaDeleteRange, start, end
			}
			op.batch = append(op.batch, e)
		}
		g.model.apply(g.ks, op.batch)
		g.history[len(g.ops)] = g.model.clone()
		g.tokens = append(g.tokens, len(g.ops))
	case metaGet:
		op.snap, op.key = g.source(false), g.ks.key(g.rng)
		if op.snap >= 0 && !g.snaps[op.snap].open {
			op.want = "err:closed"
		} else {
			op.want = g.stateOf(op.snap).get(g.ks, op.key)
		}
	case metaIter:
		op.snap, op.lower, op.upper, op.steps = g.source(false), g.maybeBound(), g.maybeBound(), g.steps()
		if op.snap >= 0 && !g.snaps[op.snap].open {
			op.want = "err:closed"
		} else {
			op.want = newMetaIterModel(g.ks, g.stateOf(op.snap), op.lower, op.upper).run(op.steps)
		}
	case metaIterOpen:
		op.iter = g.freeIter()
		if op.iter < 0 {
			return
		}
		op.snap, op.lower, op.upper = g.source(true), g.maybeBound(), g.maybeBound()
		g.iters[op.iter] = newMetaIterModel(g.ks, g.stateOf(op.snap), op.lower, op.upper)
	case metaIterSteps, metaIterClose:
		op.iter = g.openIter()
		if op.iter < 0 {
			return
		}
		if kind == metaIterClose {
			g.iters[op.iter] = nil
			break
		}
		op.steps = g.steps()
		op.want = g.iters[op.iter].run(op.steps)
	case metaSnapshot, metaSnapshotAt:
		op.snap = g.freeSnap()
		tokens := g.tokens
		if op.snap < 0 || kind == metaSnapshotAt && len(tokens) == 0 {
			return
		}
		state := g.model.clone()
		if kind == metaSnapshotAt {
			if g.rng.IntN(2) == 0 {
				op.token = tokens[max(0, len(tokens)-1-g.rng.IntN(3))]
			} else {
				op.token = tokens[g.rng.IntN(len(tokens))]
			}
			state = g.history[op.token]
		}
		g.snaps[op.snap] = metaSnapModel{used: true, open: true, state: state}
	case metaSnapshotClose:
		op.snap = g.source(false)
		if op.snap < 0 {
			return
		}
		if !g.snaps[op.snap].open {
			op.want = "err:closed"
		}
		g.snaps[op.snap].open = false
	case metaCompact:
		if g.rng.IntN(2) == 0 {
			op.key, op.end = g.ks.bound(g.rng), g.ks.bound(g.rng)
			if g.ks.compare(op.key, op.end) > 0 {
				op.key, op.end = op.end, op.key
			}
		}
	case metaReopen:
		g.iters = [metaIterSlots]*metaIterModel{}
		for i := range g.snaps {
			g.snaps[i].open = false
		}
	case metaIngest:
		g.ingest(op)
	}
	g.add(op)
}

// ingest draws the files of an Ingest, or of an IngestAndReplace (one in
// three) whose keys lie in its range: distinct keys, sorted, cut into up
// to three files that do not overlap, each entry a set or a delete.
func (g *metaGen) ingest(op *metaOp) {
	var start, end []byte
	op.replace = g.rng.IntN(3) == 0
	if op.replace {
		var ok bool
		if start, end, ok = g.rangeBounds(); !ok {
			op.replace = false
		}
	}
	var keys [][]byte
	for range g.rng.IntN(12) {
		k := g.ks.key(g.rng)
		if op.replace && (g.ks.compare(k, start) < 0 || g.ks.compare(k, end) >= 0) {
			continue
		}
		if !slices.ContainsFunc(keys, func(x []byte) bool { return g.ks.compare(x, k) == 0 }) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, g.ks.compare)
	var entries []metaBatchEntry
	for i, k := range keys {
		e := metaBatchEntry{kind: metaSet, key: k, value: g.value(i)}
		if g.rng.IntN(4) == 0 {
			e = metaBatchEntry{kind: metaDelete, key: k}
		}
		if i == 0 || g.rng.IntN(4) == 0 {
			op.files = append(op.files, nil)
		}
		f := &op.files[len(op.files)-1]
		*f = append(*f, e)
		entries = append(entries, e)
	}
	if op.replace {
		op.key, op.end = start, end
		g.model.deleteRange(g.ks, start, end)
	}
	g.model.apply(g.ks, entries)
}

// pointDeletes reports whether the sequence may hold point deletes. Every
// sequence may: no known bug needs them left out (see metaKnownBugs; a
// new one would return g.strict || !g.ks.suffix here, say).
func (g *metaGen) pointDeletes() bool { return true }

func (g *metaGen) freeIter() int {
	for _, i := range g.rng.Perm(metaIterSlots) {
		if g.iters[i] == nil {
			return i
		}
	}
	return -1
}

func (g *metaGen) openIter() int {
	for _, i := range g.rng.Perm(metaIterSlots) {
		if g.iters[i] != nil {
			return i
		}
	}
	return -1
}

func (g *metaGen) freeSnap() int {
	for _, i := range g.rng.Perm(metaSnapSlots) {
		if !g.snaps[i].open {
			return i
		}
	}
	return -1
}

// fullScan appends a scan of the whole DB forward and then backward.
func (g *metaGen) fullScan() {
	n := len(g.model) + 1
	steps := []metaIterStep{{kind: stepFirst}}
	for range n {
		steps = append(steps, metaIterStep{kind: stepNext})
	}
	steps = append(steps, metaIterStep{kind: stepLast})
	for range n {
		steps = append(steps, metaIterStep{kind: stepPrev})
	}
	op := &metaOp{kind: metaIter, snap: -1, iter: -1, steps: steps}
	op.want = newMetaIterModel(g.ks, g.model, nil, nil).run(steps)
	g.add(op)
}
