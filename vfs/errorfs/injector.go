package errorfs

import (
	"math/rand/v2"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Injector decides whether an operation fails. MaybeError is called before
// every operation, possibly from many goroutines at once; a nil result lets
// the operation proceed.
type Injector interface {
	MaybeError(op Op) error
}

// InjectorFunc adapts a function to Injector.
type InjectorFunc func(op Op) error

// MaybeError implements Injector.
func (f InjectorFunc) MaybeError(op Op) error { return f(op) }

// Always returns err for every operation that passes filter (nil: all).
func Always(err error, filter func(Op) bool) Injector {
	return InjectorFunc(func(op Op) error {
		if filter == nil || filter(op) {
			return err
		}
		return nil
	})
}

// If consults inj only for the operations that pass filter.
func If(filter func(Op) bool, inj Injector) Injector {
	return InjectorFunc(func(op Op) error {
		if filter(op) {
			return inj.MaybeError(op)
		}
		return nil
	})
}

// Any consults every injector in order, so that each one sees every
// operation (counters stay exact), and returns the first error.
func Any(injectors ...Injector) Injector {
	return InjectorFunc(func(op Op) error {
		var first error
		for _, inj := range injectors {
			if err := inj.MaybeError(op); err != nil && first == nil {
				first = err
			}
		}
		return first
	})
}

// WriteOps is a filter selecting the write-class operations (see
// OpKind.IsWrite).
func WriteOps(op Op) bool { return op.Kind.IsWrite() }

// IndexInjector fails exactly one operation: the index-th (0-based) of
// those passing its filter. It counts every matching operation, so a test
// can run a script once with index -1 to learn how many there are, then
// once for each index.
type IndexInjector struct {
	index  int64
	err    error
	filter func(Op) bool
	count  atomic.Int64
}

// OnIndex returns an IndexInjector failing the index-th operation that
// passes filter (nil: all) with err. With index -1 it only counts.
func OnIndex(index int64, err error, filter func(Op) bool) *IndexInjector {
	return &IndexInjector{index: index, err: err, filter: filter}
}

// MaybeError implements Injector.
func (ii *IndexInjector) MaybeError(op Op) error {
	if ii.filter != nil && !ii.filter(op) {
		return nil
	}
	if ii.count.Add(1)-1 == ii.index {
		return ii.err
	}
	return nil
}

// Count returns how many matching operations ii has seen.
func (ii *IndexInjector) Count() int64 { return ii.count.Load() }

// Fired reports whether ii has injected its error.
func (ii *IndexInjector) Fired() bool { return ii.index >= 0 && ii.count.Load() > ii.index }

// ProbabilityInjector fails each matching operation with probability p,
// drawing from a generator seeded by the caller. With the same seed and
// the same sequence of operations it fails the same ones.
type ProbabilityInjector struct {
	p      float64
	err    error
	filter func(Op) bool
	mu     struct {
		sync.Mutex
		rng *rand.Rand
	}
}

// Probability returns an injector failing each operation that passes
// filter (nil: all) with probability p (0..1) and error err.
func Probability(p float64, seed uint64, err error, filter func(Op) bool) *ProbabilityInjector {
	pi := &ProbabilityInjector{p: p, err: err, filter: filter}
	pi.mu.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return pi
}

// MaybeError implements Injector.
func (pi *ProbabilityInjector) MaybeError(op Op) error {
	if pi.filter != nil && !pi.filter(op) {
		return nil
	}
	pi.mu.Lock()
	hit := pi.mu.rng.Float64() < pi.p
	pi.mu.Unlock()
	if hit {
		return pi.err
	}
	return nil
}

// ByPath fails the operations on paths matching glob (path.Match syntax)
// whose kind is one of kinds (none given: every kind). A glob without a
// slash is matched against the base name, so "*.sst" selects every SST;
// otherwise against the whole slash-separated path. A rename matches if
// either of its names does.
func ByPath(glob string, err error, kinds ...OpKind) Injector {
	return InjectorFunc(func(op Op) error {
		if len(kinds) > 0 && !containsKind(kinds, op.Kind) {
			return nil
		}
		if globMatch(glob, op.Path) || (op.Kind == OpRename && globMatch(glob, op.NewPath)) {
			return err
		}
		return nil
	})
}

func containsKind(kinds []OpKind, k OpKind) bool {
	for _, kk := range kinds {
		if kk == k {
			return true
		}
	}
	return false
}

func globMatch(glob, name string) bool {
	name = filepath.ToSlash(name)
	if !strings.Contains(glob, "/") {
		name = path.Base(name)
	}
	ok, _ := path.Match(glob, name)
	return ok
}
