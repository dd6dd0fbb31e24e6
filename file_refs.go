package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// fileRefs counts, for every SST, the readStates whose version names it.
// A file removed from the manifest (by a compaction) is obsolete; it is
// deleted once no readState names it, so no read ever loses a file it is
// using. Never held together with d.mu taken after it.
type fileRefs struct {
	d  *DB
	mu struct {
		sync.Mutex
		refs     map[base.FileNum]int
		obsolete map[base.FileNum]bool
	}
}

func (f *fileRefs) init(d *DB) {
	f.d = d
	f.mu.refs = make(map[base.FileNum]int)
	f.mu.obsolete = make(map[base.FileNum]bool)
}

func (f *fileRefs) refVersion(v *manifest.Version) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, files := range v.Levels {
		for _, m := range files {
			f.mu.refs[m.FileNum]++
		}
	}
}

func (f *fileRefs) unrefVersion(v *manifest.Version) {
	var dead []base.FileNum
	f.mu.Lock()
	for _, files := range v.Levels {
		for _, m := range files {
			n := f.mu.refs[m.FileNum] - 1
			if n > 0 {
				f.mu.refs[m.FileNum] = n
				continue
			}
			delete(f.mu.refs, m.FileNum)
			if f.mu.obsolete[m.FileNum] {
				delete(f.mu.obsolete, m.FileNum)
				dead = append(dead, m.FileNum)
			}
		}
	}
	f.mu.Unlock()
	f.d.deleteTables(dead)
}

// markObsolete records files the manifest no longer names. Files no
// readState names any more are deleted now; the others when released.
func (f *fileRefs) markObsolete(nums []base.FileNum) {
	var dead []base.FileNum
	f.mu.Lock()
	for _, n := range nums {
		if f.mu.refs[n] == 0 {
			dead = append(dead, n)
		} else {
			f.mu.obsolete[n] = true
		}
	}
	f.mu.Unlock()
	f.d.deleteTables(dead)
}
