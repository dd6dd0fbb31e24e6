package tempest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// levelIter iterates over the files of one level L1+ (sorted by key and
// non-overlapping) as one stream, opening each file only when reached.
type levelIter struct {
	cmp    *base.Comparer
	tables *tableCache
	files  []*manifest.FileMetadata
	idx    int        // index of the current file
	iter   *tableIter // iterator of files[idx] (it points to sst), or nil
	err    error
	sst    tableIter // reused for each file in turn; holds files[idx] open
	// compaction marks a compaction's input: its reads bypass the block
	// cache (sstable.Reader.InitCompactionIter).
	compaction bool
	// prefix, when not nil, is the logical prefix a read wants: files that
	// cannot hold it (by their bounds or their prefix filter) act as empty,
	// and the level stops at files past it.
	prefix  []byte
	reject  bool // the open file holds no key of prefix
	skipped int  // files left out for prefix
}

func newLevelIter(cmp *base.Comparer, tables *tableCache, files []*manifest.FileMetadata) *levelIter {
	l := &levelIter{}
	l.init(cmp, tables, files)
	return l
}

// init sets l up over files, keeping the buffers of its sstable iterator.
func (l *levelIter) init(cmp *base.Comparer, tables *tableCache, files []*manifest.FileMetadata) {
	*l = levelIter{cmp: cmp, tables: tables, files: files, idx: -1, sst: l.sst}
}

// open positions the level at file i, or returns false.
func (l *levelIter) open(i int) bool {
	if l.iter != nil && l.idx == i {
		return true
	}
	l.closeCurrent()
	l.idx = i
	if i < 0 || i >= len(l.files) {
		return false
	}
	if err := l.sst.init(l.tables, l.files[i], l.compaction); err != nil {
		l.err = err
		return false
	}
	l.iter = &l.sst
	l.reject = l.prefix != nil && (!fileMayHoldPrefix(l.cmp, l.files[i], l.prefix) ||
		!l.sst.t.r.MayContainPrefix(l.prefix))
	if l.reject {
		l.skipped++
	}
	return true
}

// rejected reports that the open file holds no key of l.prefix.
func (l *levelIter) rejected() bool { return l.reject }

// prefixFiles returns the range [lo, hi) of files whose bounds reach
// l.prefix's group, or every file when l.prefix is nil.
func (l *levelIter) prefixFiles() (lo, hi int) {
	if l.prefix == nil {
		return 0, len(l.files)
	}
	lo = sort.Search(len(l.files), func(i int) bool {
		return l.cmp.ComparePrefixOf(l.files[i].Largest.UserKey, l.prefix) >= 0
	})
	hi = sort.Search(len(l.files), func(i int) bool {
		return l.cmp.ComparePrefixOf(l.files[i].Smallest.UserKey, l.prefix) > 0
	})
	return lo, hi
}

// beyond reports that file i, and every file past it in direction dir, lies
// outside l.prefix's group.
func (l *levelIter) beyond(i, dir int) bool {
	if l.prefix == nil || i < 0 || i >= len(l.files) {
		return false
	}
	if dir > 0 {
		return l.cmp.ComparePrefixOf(l.files[i].Smallest.UserKey, l.prefix) > 0
	}
	return l.cmp.ComparePrefixOf(l.files[i].Largest.UserKey, l.prefix) < 0
}

func (l *levelIter) closeCurrent() {
	if l.iter != nil {
		if err := l.iter.Close(); err != nil && l.err == nil {
			l.err = err
		}
		l.iter = nil
	}
}

// forward moves to following files until one yields an entry.
func (l *levelIter) forward(ok bool) bool {
	for !ok {
		if l.err != nil || l.iter == nil {
			return false
		}
		if err := l.iter.Error(); err != nil {
			l.err = err
			return false
		}
		if l.beyond(l.idx+1, +1) || !l.open(l.idx+1) {
			return false
		}
		ok = !l.rejected() && l.iter.First()
	}
	return true
}

// backward moves to preceding files until one yields an entry.
func (l *levelIter) backward(ok bool) bool {
	for !ok {
		if l.err != nil || l.iter == nil {
			return false
		}
		if err := l.iter.Error(); err != nil {
			l.err = err
			return false
		}
		if l.beyond(l.idx-1, -1) || !l.open(l.idx-1) {
			return false
		}
		ok = !l.rejected() && l.iter.Last()
	}
	return true
}

func (l *levelIter) SeekGE(key base.InternalKey) bool {
	l.err = nil
	i := sort.Search(len(l.files), func(i int) bool {
		return l.cmp.CompareInternal(l.files[i].Largest, key) >= 0
	})
	if !l.open(i) {
		return false
	}
	return l.forward(!l.rejected() && l.iter.SeekGE(key))
}

func (l *levelIter) SeekLT(key base.InternalKey) bool {
	l.err = nil
	i := sort.Search(len(l.files), func(i int) bool {
		return l.cmp.CompareInternal(l.files[i].Smallest, key) >= 0
	}) - 1
	if !l.open(i) {
		return false
	}
	return l.backward(!l.rejected() && l.iter.SeekLT(key))
}

func (l *levelIter) First() bool {
	l.err = nil
	lo, hi := l.prefixFiles()
	if lo >= hi {
		l.closeCurrent()
		return false
	}
	if !l.open(lo) {
		return false
	}
	return l.forward(!l.rejected() && l.iter.First())
}

func (l *levelIter) Last() bool {
	l.err = nil
	lo, hi := l.prefixFiles()
	if lo >= hi {
		l.closeCurrent()
		return false
	}
	if !l.open(hi - 1) {
		return false
	}
	return l.backward(!l.rejected() && l.iter.Last())
}

func (l *levelIter) Next() bool {
	if l.iter == nil || l.err != nil {
		return false
	}
	return l.forward(l.iter.Next())
}

func (l *levelIter) Prev() bool {
	if l.iter == nil || l.err != nil {
		return false
	}
	return l.backward(l.iter.Prev())
}

func (l *levelIter) Key() base.InternalKey { return l.iter.Key() }
func (l *levelIter) Value() []byte         { return l.iter.Value() }

func (l *levelIter) Error() error {
	if l.err != nil {
		return l.err
	}
	if l.iter != nil {
		return l.iter.Error()
	}
	return nil
}

func (l *levelIter) Close() error {
	l.closeCurrent()
	return l.err
}

// reset drops l's references once it is closed, keeping its buffers.
func (l *levelIter) reset() {
	l.sst.reset()
	*l = levelIter{sst: l.sst}
}
