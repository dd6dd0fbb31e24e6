package sstable

import "sync"

// bufPool recycles byte buffers: the buffers compressed blocks are read
// into, read-ahead windows and writers' write buffers, which flushes,
// compactions and scans would otherwise allocate afresh for every block,
// iterator or table. Buffers of more than maxCap bytes are left to the
// collector, so that one huge block does not stay pinned.
type bufPool struct {
	pool   sync.Pool
	maxCap int
}

// get returns a buffer of len n: a pooled one if it is large enough, else
// a new one of capacity max(n, newCap).
func (p *bufPool) get(n, newCap int) *[]byte {
	if bp, ok := p.pool.Get().(*[]byte); ok && cap(*bp) >= n {
		*bp = (*bp)[:n]
		return bp
	}
	b := make([]byte, n, max(n, newCap))
	return &b
}

// put gives back a buffer from get.
func (p *bufPool) put(bp *[]byte) {
	if cap(*bp) > 0 && cap(*bp) <= p.maxCap {
		p.pool.Put(bp)
	}
}
