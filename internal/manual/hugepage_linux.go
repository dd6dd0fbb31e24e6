//go:build linux && !invariants

package manual

import "syscall"

// hugePageSize is the size of a transparent huge page on the platforms
// Go supports (2 MiB on amd64, and on arm64 with 4 KiB base pages).
const hugePageSize = 2 << 20

// adviseHugePages asks for transparent huge pages on b (MADV_HUGEPAGE).
// It is advice: where the kernel has them disabled, or refuses, b keeps
// base pages.
func adviseHugePages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
