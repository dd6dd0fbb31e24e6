package manifest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// Blob files in the manifest state. Invariants, enforced by Check:
//   - blob files and blob references need FormatV5;
//   - an added blob file is below NextFileNum (after the edit), not live
//     (as a blob file or an SST) and not obsolete;
//   - every reference of an added SST names a blob file live after the
//     edit;
//   - a removed blob file is live and no SST live after the edit names
//     it; one that is still named is never removed, and one no SST names
//     is removed by the edit that drops its last reference (the engine's
//     edits name it; see UnreferencedBlobs);
//   - a blob file made obsolete is not live after the edit.

// blobState is the part of state about blob files.
type blobState struct {
	blobs map[base.FileNum]BlobFile
	// blobRefs counts, per blob file, the live SSTs that name it.
	blobRefs map[base.FileNum]int
}

// refDelta returns how e changes the count of live SSTs naming each blob
// file.
func (s *state) refDelta(e *Edit) map[base.FileNum]int {
	delta := make(map[base.FileNum]int)
	for _, r := range e.Removed {
		if f, ok := s.files[r.FileNum]; ok {
			for _, b := range f.BlobRefs {
				delta[b.FileNum]--
			}
		}
	}
	for i := range e.Added {
		for _, b := range e.Added[i].BlobRefs {
			delta[b.FileNum]++
		}
	}
	return delta
}

// checkBlobs checks e's blob records given NextFileNum after e.
func (s *state) checkBlobs(e *Edit, next base.FileNum) error {
	if max(s.formatVersion(), e.FormatVersion) < FormatV5 && (len(e.AddedBlobs) > 0 || len(e.RemovedBlobs) > 0 || e.hasBlobRefs()) {
		return invariantf("blob files need format version %d", FormatV5)
	}
	added := make(map[base.FileNum]bool, len(e.AddedBlobs))
	for _, b := range e.AddedBlobs {
		_, live := s.blobs[b.FileNum]
		_, obs := s.obsolete[b.FileNum]
		_, sst := s.files[b.FileNum]
		switch {
		case b.FileNum >= next:
			return invariantf("added blob file %s is not below NextFileNum %s", b.FileNum, next)
		case live || obs || sst || added[b.FileNum] || e.adds(b.FileNum):
			return invariantf("adds blob file %s, which is in use, obsolete or added twice", b.FileNum)
		}
		added[b.FileNum] = true
	}
	delta := s.refDelta(e)
	removed := make(map[base.FileNum]bool, len(e.RemovedBlobs))
	for _, n := range e.RemovedBlobs {
		_, live := s.blobs[n]
		switch {
		case !live || removed[n]:
			return invariantf("removes blob file %s, which is not live (or is named twice)", n)
		case s.blobRefs[n]+delta[n] > 0:
			return invariantf("removes blob file %s, which live SSTs still name", n)
		}
		removed[n] = true
	}
	for i := range e.Added {
		for _, r := range e.Added[i].BlobRefs {
			if _, live := s.blobs[r.FileNum]; (!live || removed[r.FileNum]) && !added[r.FileNum] {
				return invariantf("added file %s names blob file %s, which is not live", e.Added[i].FileNum, r.FileNum)
			}
		}
	}
	for _, o := range e.Obsolete {
		if _, live := s.blobs[o.FileNum]; o.Kind == KindBlob && (live && !removed[o.FileNum] || added[o.FileNum]) {
			return invariantf("blob file %s made obsolete while live", o.FileNum)
		}
	}
	return nil
}

func (e *Edit) hasBlobRefs() bool {
	for i := range e.Added {
		if len(e.Added[i].BlobRefs) > 0 {
			return true
		}
	}
	return false
}

// applyBlobs applies the blob records of a checked edit; the SSTs it
// removes are still in s.files.
func (s *state) applyBlobs(e *Edit) {
	for n, d := range s.refDelta(e) {
		if c := s.blobRefs[n] + d; c > 0 {
			s.blobRefs[n] = c
		} else {
			delete(s.blobRefs, n)
		}
	}
	for _, b := range e.AddedBlobs {
		s.blobs[b.FileNum] = b
	}
	for _, n := range e.RemovedBlobs {
		delete(s.blobs, n)
	}
}

// sortedBlobs returns the live blob files ordered by file number.
func (s *state) sortedBlobs() []BlobFile {
	out := make([]BlobFile, 0, len(s.blobs))
	for _, b := range s.blobs {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FileNum < out[j].FileNum })
	return out
}

// BlobFiles returns the live blob files ordered by file number.
func (m *Manifest) BlobFiles() []BlobFile {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.j.Data().sortedBlobs()
}

// BlobFile returns live blob file num.
func (m *Manifest) BlobFile(num base.FileNum) (BlobFile, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.mu.j.Data().blobs[num]
	return b, ok
}

// UnreferencedBlobs returns the live blob files that no SST would name
// once e is applied, and that e does not already remove: those e must
// remove. The caller serializes it with Apply.
func (m *Manifest) UnreferencedBlobs(e *Edit) []base.FileNum {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.mu.j.Data()
	gone := make(map[base.FileNum]bool, len(e.RemovedBlobs))
	for _, n := range e.RemovedBlobs {
		gone[n] = true
	}
	var out []base.FileNum
	for n, d := range s.refDelta(e) {
		if _, live := s.blobs[n]; live && !gone[n] && s.blobRefs[n]+d <= 0 {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// BlobLiveBytes returns, for every live blob file, the decoded bytes of
// its values that live SSTs name.
func (m *Manifest) BlobLiveBytes() map[base.FileNum]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.mu.j.Data()
	out := make(map[base.FileNum]uint64, len(s.blobs))
	for n := range s.blobs {
		out[n] = 0
	}
	for _, f := range s.files {
		for _, r := range f.BlobRefs {
			out[r.FileNum] += r.Bytes
		}
	}
	return out
}
