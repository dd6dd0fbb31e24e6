package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/sstable"
)

// getter finds the first entry, in internal-key order at or after the
// search key, whose prefix equals the key's and whose seqnum is visible.
// Sources are visited newest first; a source can only improve on the best
// candidate by holding a smaller internal key. Once the best candidate has
// exactly the searched user key, older sources cannot beat it (they hold
// that key only at lower seqnums), so the search stops.
type getter struct {
	cmp    *base.Comparer
	key    []byte
	prefix []byte
	seq    base.SeqNum
	search base.InternalKey

	found bool
	best  base.InternalKey // owned
	value []byte           // owned

	// One iterator of each kind, reinitialized per source: a point read
	// allocates nothing but its result.
	memIter memtable.Iter
	sstIter sstable.Iter
}

var getterPool = sync.Pool{New: func() any { return new(getter) }}

// newGetter returns a pooled getter set up to search key at seq.
func (d *DB) newGetter(key []byte, seq base.SeqNum) *getter {
	g := getterPool.Get().(*getter)
	g.cmp, g.key, g.prefix, g.seq = d.cmp, key, d.cmp.Prefix(key), seq
	g.search = base.MakeSearchKey(key, seq)
	g.found = false
	return g
}

// release returns g to the pool. Its key, value and iterators must no
// longer be used.
func (g *getter) release() {
	g.key, g.prefix, g.search = nil, nil, base.InternalKey{}
	g.memIter = memtable.Iter{}
	getterPool.Put(g)
}

// consider looks into one source.
func (g *getter) consider(it base.InternalIterator) error {
	ok := it.SeekGE(g.search)
	for ; ok; ok = it.Next() {
		k := it.Key()
		if !g.cmp.HasPrefix(k.UserKey, g.prefix) {
			break
		}
		if k.SeqNum() > g.seq {
			continue
		}
		if !g.found || g.cmp.CompareInternal(k, g.best) < 0 {
			g.found = true
			g.best = base.InternalKey{UserKey: append(g.best.UserKey[:0], k.UserKey...), Trailer: k.Trailer}
			g.value = append(g.value[:0], it.Value()...)
		}
		break
	}
	err := it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

// done reports whether older sources cannot improve the result.
func (g *getter) done() bool { return g.found && g.cmp.Equal(g.best.UserKey, g.key) }

// mayHold reports whether file f can hold a version of g's prefix at or
// after the key.
func (g *getter) mayHold(f *manifest.FileMetadata) bool {
	return g.cmp.Compare(f.Largest.UserKey, g.key) >= 0 &&
		g.cmp.ComparePrefix(g.cmp.Prefix(f.Smallest.UserKey), g.prefix) <= 0
}

// pointGet runs the search of g over the sources of rs.
func (d *DB) pointGet(rs *readState, g *getter) error {
	for _, m := range rs.mems {
		if !m.MayContainPrefix(g.prefix) {
			continue
		}
		m.InitIter(&g.memIter)
		if err := g.consider(&g.memIter); err != nil {
			return err
		}
		if g.done() {
			return nil
		}
	}
	key := g.key
	for _, f := range rs.version.Levels[0] {
		if err := d.getFromFile(g, f); err != nil {
			return err
		}
		if g.done() {
			return nil
		}
	}
	for level := 1; level < manifest.NumLevels; level++ {
		files := rs.version.Levels[level]
		i := firstEndingAtOrAfter(d.cmp, files, key)
		// A prefix's versions may continue into the following files.
		for ; i < len(files) && g.mayHold(files[i]); i++ {
			if err := d.getFromFile(g, files[i]); err != nil {
				return err
			}
			if g.done() {
				return nil
			}
		}
	}
	return nil
}

// firstEndingAtOrAfter returns the index of the first of the sorted,
// disjoint files whose largest user key is >= key.
func firstEndingAtOrAfter(cmp *base.Comparer, files []*manifest.FileMetadata, key []byte) int {
	lo, hi := 0, len(files)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cmp.Compare(files[mid].Largest.UserKey, key) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (d *DB) getFromFile(g *getter, f *manifest.FileMetadata) error {
	if !g.mayHold(f) {
		return nil
	}
	t, err := d.tables.get(f)
	if err != nil {
		return err
	}
	defer t.release()
	if !t.r.MayContainPrefix(g.prefix) {
		return nil
	}
	t.r.InitIter(&g.sstIter)
	return g.consider(&g.sstIter) // closes the iterator
}

// getAt returns the value of key at seq: the fast search of getter,
// checked against range tombstones. When a tombstone covers the entry the
// search found, an older entry may still show through, so the read falls
// back to an iterator, which skips every covered entry.
func (d *DB) getAt(rs *readState, key []byte, seq base.SeqNum) ([]byte, error) {
	if d.opts.VisibilityFilter != nil {
		return d.getFiltered(rs, key, seq, nil)
	}
	g := d.newGetter(key, seq)
	defer g.release()
	if err := d.pointGet(rs, g); err != nil {
		return nil, err
	}
	if !g.found {
		return nil, ErrNotFound
	}
	rd, err := d.rangeDelView(rs, seq)
	if err != nil {
		return nil, err
	}
	if g.best.Kind() == base.KindMerge {
		// Operands are folded over the entries below them: the iterator
		// reads them (iterator_merge.go).
		rs.refs.Add(1) // the iterator's
		return d.iterGet(rs, key, seq, nil)
	}
	if rd.empty() || !rd.covered(g.best) {
		switch g.best.Kind() {
		case base.KindSet:
			return append([]byte(nil), g.value...), nil
		case base.KindBlobValue:
			return d.blobs.readCached(g.value, nil)
		}
		return nil, ErrNotFound
	}
	// The entry found, a value or a point tombstone, is deleted by a range
	// tombstone: under a Comparer with version suffixes an older version
	// of the prefix may show through.
	rs.refs.Add(1) // the iterator's
	return d.iterGet(rs, key, seq, nil)
}

// iterGet is Get through an iterator, which skips every entry a range
// tombstone covers; bs, if not nil, is an indexed batch read through. It
// takes over the caller's reference to rs.
func (d *DB) iterGet(rs *readState, key []byte, seq base.SeqNum, bs *batchSnapshot) ([]byte, error) {
	it, err := d.newIter(rs, seq, nil, bs)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.SeekGE(key) && d.cmp.HasPrefix(it.Key(), d.cmp.Prefix(key)) {
		return append([]byte{}, it.Value()...), nil
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return nil, ErrNotFound
}
