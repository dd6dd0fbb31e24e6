package memtable

import (
	"sync/atomic"
	"unsafe"

	"github.com/tempestdb/tempest/internal/base"
)

const (
	// maxHeight is the tallest tower. With p = 1/e it serves e^20 (485
	// million) entries.
	maxHeight = 20

	// maxNodeSize is the size of the node struct with a full tower.
	maxNodeSize = int(unsafe.Sizeof(node{}))

	// towerOffset is where the tower starts inside a node.
	towerOffset = int(unsafe.Offsetof(node{}.tower))
)

// node is the overlay of one skiplist node in the arena (see doc.go for the
// byte layout). Only the first towerOffset+4*height bytes belong to the
// node: a node must never be copied by value, and tower entries at or above
// height must never be touched.
//
// keyOffset, keyLen, valueLen, height and trailer are immutable once the
// node is published and may be read plainly. prev and tower are links:
// always accessed atomically.
type node struct {
	keyOffset uint32
	keyLen    uint32
	valueLen  uint32
	height    uint32
	trailer   base.Trailer
	prev      uint32
	tower     [maxHeight]uint32
	_         uint32 // pads the full struct to a multiple of 8 on every platform
}

// The full node size is the same on 32- and 64-bit platforms and keeps the
// sentinels (allocated at full size) 8-byte aligned.
var _ [0]struct{} = [maxNodeSize % arenaAlign]struct{}{}

// nodeSize is the number of arena bytes a node of height h occupies,
// excluding its key and value.
func nodeSize(h uint32) uint64 { return uint64(towerOffset) + 4*uint64(h) }

func (n *node) next(level int) uint32 { return atomic.LoadUint32(&n.tower[level]) }

func (n *node) setNext(level int, off uint32) { atomic.StoreUint32(&n.tower[level], off) }

func (n *node) prevOff() uint32 { return atomic.LoadUint32(&n.prev) }

func (n *node) setPrev(off uint32) { atomic.StoreUint32(&n.prev, off) }
