package repair

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tempestdb/tempest"
)

// op is one entry of a batch the test wrote.
type op struct {
	kind       string // "set", "del" or "rangedel"
	key, other string // other: the value, or a range's end
}

// batch is one committed batch and its seqnum.
type batch struct {
	seq uint64
	ops []op
}

// model records every acknowledged batch, to compute the state the
// database must hold with any set of batches left out.
type model struct {
	batches []batch
	// ever holds every value each key was ever set to.
	ever map[string]map[string]bool
}

// apply commits ops as one batch to db, without waiting for an fsync,
// and records it.
func (m *model) apply(t testing.TB, db *tempest.DB, ops ...op) {
	t.Helper()
	m.applyWith(t, db, tempest.NoSync, ops...)
}

// applyWith is apply with the given write options.
func (m *model) applyWith(t testing.TB, db *tempest.DB, wo *tempest.WriteOptions, ops ...op) {
	t.Helper()
	b := db.NewBatch()
	for _, o := range ops {
		var err error
		switch o.kind {
		case "set":
			err = b.Set([]byte(o.key), []byte(o.other))
			if m.ever[o.key] == nil {
				m.ever[o.key] = map[string]bool{}
			}
			m.ever[o.key][o.other] = true
		case "del":
			err = b.Delete([]byte(o.key))
		case "rangedel":
			err = b.DeleteRange([]byte(o.key), []byte(o.other))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, err := db.Apply(b, wo)
	if err != nil {
		t.Fatal(err)
	}
	m.batches = append(m.batches, batch{seq: tok.SeqNum(), ops: ops})
}

// state replays the batches in seqnum order, leaving out those for which
// skip is true. A batch's range deletion deletes only older writes: the
// batches this test writes never mix one with other entries.
func (m *model) state(skip func(seq uint64) bool) map[string]string {
	bs := slices.Clone(m.batches)
	slices.SortFunc(bs, func(a, b batch) int { return int(a.seq) - int(b.seq) })
	s := map[string]string{}
	for _, b := range bs {
		if skip != nil && skip(b.seq) {
			continue
		}
		for _, o := range b.ops {
			switch o.kind {
			case "set":
				s[o.key] = o.other
			case "del":
				delete(s, o.key)
			case "rangedel":
				for k := range s {
					if k >= o.key && k < o.other {
						delete(s, k)
					}
				}
			}
		}
	}
	return s
}

func key(i int) string { return fmt.Sprintf("key%05d", i) }

// value is a value unique to key i in round r.
func value(rng *rand.Rand, i, r int) string {
	return fmt.Sprintf("v%d.%d.%x", i, r, rng.Uint64()>>uint(rng.IntN(48)))
}

// writeRound writes one round of changes in batches of ten: keys i with
// i%every == 0 are set, keys with i%delEvery == 0 deleted.
func (m *model) writeRound(t testing.TB, db *tempest.DB, rng *rand.Rand, r, n, every, delEvery int) {
	t.Helper()
	var ops []op
	for i := 0; i < n; i++ {
		switch {
		case delEvery > 0 && i%delEvery == 0:
			ops = append(ops, op{kind: "del", key: key(i)})
		case i%every == 0:
			ops = append(ops, op{kind: "set", key: key(i), other: value(rng, i, r)})
		default:
			continue
		}
		if len(ops) == 10 {
			m.apply(t, db, ops...)
			ops = nil
		}
	}
	if len(ops) > 0 {
		m.apply(t, db, ops...)
	}
}
