//go:build unix && !linux && !invariants

package manual

// hugePageSize aligns large buffers as on Linux, so that the code paths
// stay alike; there is no huge-page advice to give here.
const hugePageSize = 2 << 20

// adviseHugePages does nothing where transparent huge pages are not
// available.
func adviseHugePages([]byte) {}
