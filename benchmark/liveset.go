package benchmark

import "sync/atomic"

// liveSet tracks which main-space key numbers hold a value, so that space
// amplification can be computed against the live data. It covers key
// numbers [0, capacity); a write beyond marks it overflowed, and the live
// size is then unknown. Safe for concurrent use.
type liveSet struct {
	words      []atomic.Uint64
	count      atomic.Int64
	overflowed atomic.Bool
}

func newLiveSet(capacity uint64) *liveSet {
	return &liveSet{words: make([]atomic.Uint64, (capacity+63)/64)}
}

func (s *liveSet) add(n uint64) {
	if n/64 >= uint64(len(s.words)) {
		s.overflowed.Store(true)
		return
	}
	bit := uint64(1) << (n % 64)
	if s.words[n/64].Or(bit)&bit == 0 {
		s.count.Add(1)
	}
}

func (s *liveSet) remove(n uint64) {
	if n/64 >= uint64(len(s.words)) {
		s.overflowed.Store(true)
		return
	}
	bit := uint64(1) << (n % 64)
	if s.words[n/64].And(^bit)&bit != 0 {
		s.count.Add(-1)
	}
}

// len returns the number of live keys and whether it is known.
func (s *liveSet) len() (int64, bool) { return s.count.Load(), !s.overflowed.Load() }
