package tempest

import (
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// fileRefs counts, for every SST and blob file, the readStates whose
// version names it (a blob file is named through the SSTs that reference
// it, once per SST). A file removed from the manifest (an SST by a
// compaction, a blob file once no live SST names it) is obsolete; it is
// deleted once no readState names it, so no read ever loses a file it is
// using. Never held together with d.mu taken after it.
type fileRefs struct {
	d  *DB
	mu struct {
		sync.Mutex
		refs     map[base.FileNum]int
		obsolete map[base.FileNum]manifest.FileKind
	}
}

func (f *fileRefs) init(d *DB) {
	f.d = d
	f.mu.refs = make(map[base.FileNum]int)
	f.mu.obsolete = make(map[base.FileNum]manifest.FileKind)
}

func (f *fileRefs) refVersion(v *manifest.Version) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, files := range v.Levels {
		for _, m := range files {
			f.mu.refs[m.FileNum]++
			for _, r := range m.BlobRefs {
				f.mu.refs[r.FileNum]++
			}
		}
	}
}

// unrefLocked drops one reference to num and adds it to dead, by kind,
// if it was the last to an obsolete file.
func (f *fileRefs) unrefLocked(num base.FileNum, dead map[manifest.FileKind][]base.FileNum) {
	n := f.mu.refs[num] - 1
	if n > 0 {
		f.mu.refs[num] = n
		return
	}
	delete(f.mu.refs, num)
	if kind, ok := f.mu.obsolete[num]; ok {
		delete(f.mu.obsolete, num)
		dead[kind] = append(dead[kind], num)
	}
}

// deleteDead deletes the files unrefLocked and markObsolete found dead:
// SSTs first, then the blob files they named.
func (f *fileRefs) deleteDead(dead map[manifest.FileKind][]base.FileNum) {
	if len(dead[manifest.KindTable]) > 0 {
		f.d.deleteFiles(manifest.KindTable, dead[manifest.KindTable])
	}
	if len(dead[manifest.KindBlob]) > 0 {
		f.d.deleteFiles(manifest.KindBlob, dead[manifest.KindBlob])
	}
}

func (f *fileRefs) unrefVersion(v *manifest.Version) {
	dead := make(map[manifest.FileKind][]base.FileNum)
	f.mu.Lock()
	for _, files := range v.Levels {
		for _, m := range files {
			f.unrefLocked(m.FileNum, dead)
			for _, r := range m.BlobRefs {
				f.unrefLocked(r.FileNum, dead)
			}
		}
	}
	f.mu.Unlock()
	f.deleteDead(dead)
}

// markObsolete records files of kind the manifest no longer names. Files
// no readState names any more are deleted now; the others when released.
func (f *fileRefs) markObsolete(kind manifest.FileKind, nums []base.FileNum) {
	if len(nums) == 0 {
		return
	}
	dead := make(map[manifest.FileKind][]base.FileNum)
	f.mu.Lock()
	for _, n := range nums {
		if f.mu.refs[n] == 0 {
			dead[kind] = append(dead[kind], n)
		} else {
			f.mu.obsolete[n] = kind
		}
	}
	f.mu.Unlock()
	f.deleteDead(dead)
}
