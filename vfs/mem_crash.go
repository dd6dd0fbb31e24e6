package vfs

import (
	"fmt"
	"math/rand/v2"

	"slices"
)

// The MemFS crash model
//
// A MemFS tracks, besides its current state, the state a crash would
// leave behind, and CrashClone draws one such outcome.
//
// File content. Each file keeps its synced content: its bytes as of its
// last successful File.Sync (or Mapping.Sync). Writes since then are
// unsynced, tracked per 4 KiB block (a page of the OS cache); a store
// through a Mapping is a write like any other, as the page it dirties in
// the OS cache is. In a power loss each unsynced block independently
// survives with probability UnsyncedDataPercent. A block that is lost
// reads as the synced content there, or as zeros past the synced length.
// The file's length is its synced length, or extends to the end of the
// last surviving block (capped by the current length), so a lost block in
// the middle of the unsynced tail reads as zeros.
//
// File size. Mapping.Allocate and Mapping.Truncate change a file's size
// without writing: the space Allocate adds reads as zeros, and is held
// sparsely, so preallocating costs nothing. Until the next Sync the new
// size is one unsynced change, kept with probability UnsyncedDataPercent
// (drawn after the file's blocks). Kept, it is the file's length, and a
// lost block reads as zeros past the smallest size a Truncate set;
// undone, the length is computed as above from the synced length, and the
// bytes a Truncate cut read as their synced content.
//
// Directory entries. Create, Remove and Rename of a file change the
// directory's current entries and append a change to a log of unsynced
// changes. Syncing a directory (OpenDir(dir).Sync()) makes durable every
// logged change that touches it (a rename touches both of its
// directories: it is one atomic change, durable once either directory is
// synced), together with every earlier change it depends on. A change
// depends on every earlier change that touched one of the same entries
// (directory, name): a rename of "a" depends on the create of "a", and a
// create that replaces "b" depends on the earlier rename onto "b". This is
// the order a journaling file system commits its metadata in.
//
// At a crash, each change still in the log is kept with probability
// UnsyncedDataPercent, independently, except that a change whose
// dependency was undone is undone too. The kept changes are replayed in
// order over the durable entries. Because every change replays on exactly
// the entry state it was made on, the outcome is always a state the file
// system could have reached:
//   - an undone create makes the file disappear, along with any later
//     rename of it;
//   - an undone rename leaves the file under its old name, and whatever the
//     new name held before (another file or nothing) under the new name;
//     the file never ends up under both names or under neither;
//   - an undone remove brings the file back with its synced content;
//   - a create over an existing name, undone, leaves the old file.
//
// Directories themselves (MkdirAll, removing or renaming a directory)
// change durably at once; before they do, the logged changes of the
// entries involved (and for a removed directory, those inside it) are made
// durable.
//
// A process crash (UnsyncedDataPercent 100) keeps everything. With
// TornLastWrite, the most recent write (Write, WriteAt or Mapping.Store)
// on the file system, if its file was not synced after it, persists only
// a prefix that is a multiple of 512 bytes and shorter than the write; the
// rest of the written range reads as zeros or as random bytes. This
// applies at every UnsyncedDataPercent, so that it can model a torn sector
// even when the rest of the data reached the OS.
//
// All randomness comes from CrashOptions.Rand and is consumed in a fixed
// order (log order, then files in path order, blocks in offset order, then
// the torn write), so the same operations and the same seed give a
// byte-identical clone.

// CrashOptions selects what CrashClone keeps.
type CrashOptions struct {
	// UnsyncedDataPercent (0..100) is the probability, in percent, that
	// each unsynced block of file data and each unsynced directory change
	// survives. 100 models a process crash, below 100 a power loss; 0
	// keeps exactly the synced state.
	UnsyncedDataPercent int
	// Rand drives every random choice. If nil, a generator seeded with 0
	// is used.
	Rand *rand.Rand
	// TornLastWrite tears the last write, if unsynced (see above).
	TornLastWrite bool
}

// tornSectorSize is the granularity at which a torn write persists.
const tornSectorSize = 512

type memDirOpKind uint8

const (
	memOpCreate memDirOpKind = iota // dir/name := node
	memOpRemove                     // delete dir/name (node)
	memOpRename                     // delete dir/name; dstDir/dstName := node
)

// memDirOp is a change to a directory's entries that is not yet durable.
type memDirOp struct {
	kind    memDirOpKind
	dir     *memNode
	name    string
	dstDir  *memNode // memOpRename only
	dstName string   // memOpRename only
	node    *memNode // the file created, removed or renamed
}

// memEntry names a directory entry.
type memEntry struct {
	dir  *memNode
	name string
}

// entries returns the entries op changes.
func (op *memDirOp) entries() []memEntry {
	if op.kind == memOpRename {
		return []memEntry{{op.dir, op.name}, {op.dstDir, op.dstName}}
	}
	return []memEntry{{op.dir, op.name}}
}

func (op *memDirOp) touchesDir(d *memNode) bool {
	return op.dir == d || (op.kind == memOpRename && op.dstDir == d)
}

func (op *memDirOp) touchesEntry(d *memNode, name string) bool {
	return (op.dir == d && op.name == name) ||
		(op.kind == memOpRename && op.dstDir == d && op.dstName == name)
}

// apply performs op on the entry maps that dirMap returns. A nil map (a
// directory absent from a clone) is skipped.
func (op *memDirOp) apply(dirMap func(*memNode) map[string]*memNode, node *memNode) {
	switch op.kind {
	case memOpCreate:
		if m := dirMap(op.dir); m != nil {
			m[op.name] = node
		}
	case memOpRemove:
		if m := dirMap(op.dir); m != nil {
			delete(m, op.name)
		}
	case memOpRename:
		if m := dirMap(op.dir); m != nil {
			delete(m, op.name)
		}
		if m := dirMap(op.dstDir); m != nil {
			m[op.dstName] = node
		}
	}
}

func (op *memDirOp) String() string {
	switch op.kind {
	case memOpCreate:
		return "create " + memDirPath(op.dir, op.name)
	case memOpRemove:
		return "remove " + memDirPath(op.dir, op.name)
	default:
		return "rename " + memDirPath(op.dir, op.name) + " -> " + memDirPath(op.dstDir, op.dstName)
	}
}

// memDirPath returns the path of name in directory d. MemFS.mu must be held.
func memDirPath(d *memNode, name string) string {
	p := name
	for ; d.parent != nil; d = d.parent {
		p = d.name + "/" + p
	}
	if d.name != "" {
		return "(removed)/" + p // d is a removed directory
	}
	return "/" + p
}

// logLocked appends an unsynced directory change.
func (fs *MemFS) logLocked(op *memDirOp) {
	fs.mu.pending = append(fs.mu.pending, op)
}

// makeDurableLocked makes durable every logged change for which pred holds,
// with the earlier changes they depend on, applying them to the synced
// entries in log order.
func (fs *MemFS) makeDurableLocked(pred func(*memDirOp) bool) {
	pending := fs.mu.pending
	if len(pending) == 0 {
		return
	}
	// Walk backwards: a change is needed if pred selects it or a later
	// needed change touches one of its entries.
	durable := make([]bool, len(pending))
	required := make(map[memEntry]struct{})
	found := false
	for i := len(pending) - 1; i >= 0; i-- {
		op := pending[i]
		need := pred(op)
		for _, e := range op.entries() {
			if _, ok := required[e]; ok {
				need = true
			}
		}
		if !need {
			continue
		}
		durable[i], found = true, true
		for _, e := range op.entries() {
			required[e] = struct{}{}
		}
	}
	if !found {
		return
	}
	kept := make([]*memDirOp, 0, len(pending))
	synced := func(d *memNode) map[string]*memNode { return d.synced }
	for i, op := range pending {
		if durable[i] {
			op.apply(synced, op.node)
		} else {
			kept = append(kept, op)
		}
	}
	fs.mu.pending = kept
}

// syncDir makes the logged changes of directory d durable.
func (fs *MemFS) syncDir(d *memNode) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.makeDurableLocked(func(op *memDirOp) bool { return op.touchesDir(d) })
}

// recordWrite notes the most recent write, for TornLastWrite. n.mu is held.
func (fs *MemFS) recordWrite(n *memNode, off, length int64, epoch uint64) {
	fs.lastWrite.Lock()
	defer fs.lastWrite.Unlock()
	fs.lastWrite.w = memWrite{n: n, off: off, len: length, epoch: epoch}
}

// CrashClone returns a new MemFS holding what would survive a crash now,
// as described by the crash model above. fs itself is unchanged; in the
// clone everything is durable and no lock is held.
func (fs *MemFS) CrashClone(opts CrashOptions) *MemFS {
	c := crasher{rng: opts.Rand, pct: min(max(opts.UnsyncedDataPercent, 0), 100)}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(0, 0))
	}

	fs.lastWrite.Lock()
	lw := fs.lastWrite.w
	fs.lastWrite.Unlock()

	fs.mu.Lock()
	defer fs.mu.Unlock()

	// Start from the durable entries. File entries hold fs's nodes until
	// they are cloned below.
	dirs := make(map[*memNode]*memNode)
	var copyDir func(old, parent *memNode) *memNode
	copyDir = func(old, parent *memNode) *memNode {
		d := newMemDir(parent, old.name)
		dirs[old] = d
		for name, child := range old.synced {
			if child.isDir {
				child = copyDir(child, d)
			}
			d.entries[name] = child
		}
		return d
	}
	clone := NewMem()
	clone.mu.root = copyDir(fs.mu.root, nil)
	clone.mappable.Store(fs.mappable.Load())

	// Replay the unsynced changes that survive.
	undone := make(map[memEntry]bool)
	cloneEntries := func(d *memNode) map[string]*memNode {
		if cd := dirs[d]; cd != nil {
			return cd.entries
		}
		return nil
	}
	for _, op := range fs.mu.pending {
		keep := c.chance()
		for _, e := range op.entries() {
			if undone[e] {
				keep = false
			}
		}
		if !keep {
			for _, e := range op.entries() {
				undone[e] = true
			}
			continue
		}
		op.apply(cloneEntries, op.node)
	}

	// Clone the surviving files' content, in path order.
	files := make(map[*memNode]*memNode)
	var walk func(d *memNode)
	walk = func(d *memNode) {
		for _, name := range sortedNames(d.entries) {
			n := d.entries[name]
			if n.isDir {
				walk(n)
				continue
			}
			cn, ok := files[n]
			if !ok {
				cn = c.cloneFile(n)
				files[n] = cn
			}
			d.entries[name] = cn
		}
		d.synced = make(map[string]*memNode, len(d.entries))
		for name, n := range d.entries {
			d.synced[name] = n
		}
	}
	walk(clone.mu.root)

	if opts.TornLastWrite && lw.n != nil && lw.len > 0 {
		if cn := files[lw.n]; cn != nil {
			c.tear(lw.n, cn, lw.off, lw.len, lw.epoch)
		}
	}
	return clone
}

// crasher draws the random outcome of one CrashClone.
type crasher struct {
	rng *rand.Rand
	pct int
}

// chance reports whether an unsynced change survives. It consumes no
// randomness at 0 and 100 percent.
func (c *crasher) chance() bool {
	switch c.pct {
	case 0:
		return false
	case 100:
		return true
	}
	return c.rng.IntN(100) < c.pct
}

// cloneFile returns a new, fully synced file holding what survives of n.
func (c *crasher) cloneFile(n *memNode) *memNode {
	n.mu.RLock()
	defer n.mu.RUnlock()
	cn := &memNode{}
	if c.pct == 100 {
		cn.mu.data = append([]byte{}, n.mu.data...)
		cn.mu.size = n.mu.size
		cn.syncLocked()
		return cn
	}
	size := n.mu.size
	dirty := make([]int64, 0, len(n.mu.dirty))
	for b := range n.mu.dirty {
		dirty = append(dirty, b)
	}
	slices.Sort(dirty)
	lost := make(map[int64]bool)
	reach := int64(0) // the end of the last surviving block
	for _, b := range dirty {
		if !c.chance() {
			lost[b] = true
			continue
		}
		reach = max(reach, min((b+1)*memBlockSize, size))
	}
	// The size Allocate or Truncate set survives or not as a whole; if a
	// Truncate survives, lost blocks read as zeros past it.
	length, limit := n.mu.syncedSize, n.mu.syncedSize
	if n.mu.resized && c.chance() {
		length, limit = size, n.mu.cutTo
	}
	length = max(length, reach)

	// Past max(len(data), the saved synced blocks) everything reads as
	// zeros and stays unmaterialized.
	matEnd := int64(len(n.mu.data))
	for b, orig := range n.mu.orig {
		matEnd = max(matEnd, b*memBlockSize+int64(len(orig)))
	}
	matEnd = min(matEnd, length)
	out := make([]byte, matEnd)
	copy(out, n.mu.data)
	if matEnd > size {
		// A Truncate the crash undid: the synced bytes it cut.
		n.syncedLocked(out[size:], size, limit)
	}
	for _, b := range dirty {
		start := b * memBlockSize
		if end := min(start+memBlockSize, size, matEnd); lost[b] && start < end {
			n.syncedLocked(out[start:end], start, limit)
		}
	}
	cn.mu.data = out
	cn.mu.size = length
	cn.syncLocked()
	return cn
}

// tear applies TornLastWrite to cn, the clone of n, for the write of
// length bytes at off made when n's sync epoch was epoch.
func (c *crasher) tear(n, cn *memNode, off, length int64, epoch uint64) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.syncEpoch != epoch || off+length > int64(len(n.mu.data)) {
		return // synced since: durable, not torn; or cut since
	}
	sectors := (length-1)/tornSectorSize + 1
	keep := int64(c.rng.IntN(int(sectors))) * tornSectorSize
	cn.materializeLocked(off + length)
	cn.mu.size = max(cn.mu.size, off+length)
	copy(cn.mu.data[off:off+keep], n.mu.data[off:off+keep])
	tail := cn.mu.data[off+keep : off+length]
	if c.rng.IntN(2) == 0 {
		clear(tail)
	} else {
		for i := range tail {
			tail[i] = byte(c.rng.Uint32())
		}
	}
	cn.syncLocked()
}

// String describes the options, for test logs.
func (o CrashOptions) String() string {
	return fmt.Sprintf("unsynced=%d%% torn=%t", o.UnsyncedDataPercent, o.TornLastWrite)
}
