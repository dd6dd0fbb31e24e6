package manual

import "math/bits"

// Size classes of slab slots: for sizes in (2^k, 2^(k+1)] the classes are
// 2^k + j·2^(k-4) for j = 1..16, sixteen per power of two, so rounding up
// wastes at most 6.25% (a 4 KiB data block a little over its target size
// takes a 4352-byte slot). Sizes up to minClassSize share the smallest
// class.
const (
	minClassSize = 256
	// maxSlabSize is the largest size served from slabs; larger buffers
	// are mapped alone.
	maxSlabSize   = 64 << 10
	classesPerPow = 16
	classShift    = 4 // log2(classesPerPow)
)

// numClasses is the number of slab classes: classSize(numClasses-1) ==
// maxSlabSize.
var numClasses = classOf(maxSlabSize) + 1

// classOf returns the class of the smallest slot that holds n bytes
// (0 < n <= maxSlabSize).
func classOf(n int) int {
	if n <= minClassSize {
		return 0
	}
	k := bits.Len(uint(n-1)) - 1 // 2^k < n <= 2^(k+1)
	step := 1 << (k - classShift)
	j := (n - (1 << k) + step - 1) / step // 1..classesPerPow
	minK := bits.Len(uint(minClassSize)) - 1
	return (k-minK)*classesPerPow + j
}

// classSize returns the slot size of class c.
func classSize(c int) int {
	if c == 0 {
		return minClassSize
	}
	minK := bits.Len(uint(minClassSize)) - 1
	k := minK + (c-1)/classesPerPow
	j := (c-1)%classesPerPow + 1
	return 1<<k + j<<(k-classShift)
}
