package sstable

import "github.com/tempestdb/tempest/internal/cache"

// blockAlloc says where a decoded block's buffer comes from: the Go heap
// (blocks the Reader keeps for its life, such as the index, and data
// blocks that bypass the cache), or the block cache's manually managed
// memory (data blocks handed to cache.Set, which frees them once the
// cache and every Handle are done).
type blockAlloc bool

const (
	heapAlloc  blockAlloc = false
	cacheAlloc blockAlloc = true
)

func (a blockAlloc) alloc(n int) []byte {
	if a == cacheAlloc {
		return cache.Alloc(n)
	}
	return make([]byte, n)
}

// free gives back a buffer from alloc that will not be used (the heap's
// are left to the collector).
func (a blockAlloc) free(b []byte) {
	if a == cacheAlloc {
		cache.Free(b)
	}
}
