package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/memtable"
)

// iterParts is the storage behind the internal iterator of a read: the
// merging iterator and its children (memtable iterators, L0 table
// iterators, level iterators). Parts are recycled through a pool, so
// opening an Iterator allocates little and its key buffers are warm.
//
// The slices are sized before any pointer into them is taken and never
// grown afterwards, so the children's addresses stay valid until release.
type iterParts struct {
	merging  mergingIter
	children []base.InternalIterator
	mems     []memtable.Iter
	tables   []tableIter
	levels   []levelIter
	batch    batchIter
	// skipped counts the memtables and L0 tables left out because their
	// prefix filters ruled the read's logical prefix out.
	skipped int
}

var iterPartsPool = sync.Pool{New: func() any { return new(iterParts) }}

// resize returns s with length n, reusing its array when it is big enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// newInternalIter merges every source of rs, and the snapshot of an indexed
// batch bs when not nil (the newest source), in parts from the pool. The
// caller releases the parts (releaseIterParts) after closing the iterator.
//
// A non-nil logicalPrefix means the read wants only keys whose Comparer
// prefix is logicalPrefix: a memtable or SST whose prefix filter rules it
// out holds none of them, so it is left out (level iterators skip such
// files as they reach them).
func (d *DB) newInternalIter(rs *readState, bs *batchSnapshot, logicalPrefix []byte) (*mergingIter, *iterParts, error) {
	p := iterPartsPool.Get().(*iterParts)
	p.skipped = 0
	nLevels := 0
	for level := 1; level < manifest.NumLevels; level++ {
		if len(rs.version.Levels[level]) > 0 {
			nLevels++
		}
	}
	l0 := rs.version.Levels[0]
	p.mems = resize(p.mems, len(rs.mems))
	p.tables = resize(p.tables, len(l0))
	p.levels = resize(p.levels, nLevels)
	p.children = p.children[:0]
	if bs != nil {
		p.batch = batchIter{cmp: d.cmp, points: bs.points}
		p.children = append(p.children, &p.batch)
	}
	for i, m := range rs.mems {
		if logicalPrefix != nil && !m.MayContainPrefix(logicalPrefix) {
			p.skipped++
			continue
		}
		m.InitIter(&p.mems[i])
		p.children = append(p.children, &p.mems[i])
	}
	for i, f := range l0 {
		if logicalPrefix != nil && !fileMayHoldPrefix(d.cmp, f, logicalPrefix) {
			p.skipped++
			continue
		}
		if err := p.tables[i].init(d.tables, f, false); err != nil {
			for _, c := range p.children {
				c.Close()
			}
			p.release()
			return nil, nil, err
		}
		if logicalPrefix != nil && !p.tables[i].t.r.MayContainPrefix(logicalPrefix) {
			p.skipped++
			if err := p.tables[i].Close(); err != nil {
				for _, c := range p.children {
					c.Close()
				}
				p.release()
				return nil, nil, err
			}
			continue
		}
		p.children = append(p.children, &p.tables[i])
	}
	li := 0
	for level := 1; level < manifest.NumLevels; level++ {
		if files := rs.version.Levels[level]; len(files) > 0 {
			p.levels[li].init(d.cmp, d.tables, files)
			p.levels[li].prefix = logicalPrefix
			p.children = append(p.children, &p.levels[li])
			li++
		}
	}
	p.merging.init(d.cmp, p.children)
	return &p.merging, p, nil
}

// fileMayHoldPrefix reports whether f's key range reaches the logical
// prefix group p (the order is prefix first, so the group lies between the
// file's bounds or outside them).
func fileMayHoldPrefix(cmp *base.Comparer, f *manifest.FileMetadata, p []byte) bool {
	return cmp.ComparePrefixOf(f.Smallest.UserKey, p) <= 0 && cmp.ComparePrefixOf(f.Largest.UserKey, p) >= 0
}

// skippedSources counts the memtables and SSTs a read left out because of
// their prefix filters.
func (p *iterParts) skippedSources() int {
	n := p.skipped
	for i := range p.levels {
		n += p.levels[i].skipped
	}
	return n
}

// release drops every reference the parts hold (they must be closed) and
// returns them to the pool.
func (p *iterParts) release() {
	clear(p.children[:cap(p.children)])
	p.children = p.children[:0]
	clear(p.mems)
	p.batch = batchIter{}
	for i := range p.tables {
		p.tables[i].reset()
	}
	for i := range p.levels {
		p.levels[i].reset()
	}
	iterPartsPool.Put(p)
}
