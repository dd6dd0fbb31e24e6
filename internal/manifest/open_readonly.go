package manifest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// OpenReadOnly opens the manifest in dir without writing anything (see
// journal.OpenReadOnly): a torn tail stays where it is, and Apply and
// Rotate fail with an error matching base.ErrReadOnly. A directory without
// a manifest file fails with an error matching os.ErrNotExist. The checks
// are Open's.
func OpenReadOnly(fs vfs.FS, dir string, cmp *base.Comparer) (*Manifest, error) {
	cmp, err := checkComparer(cmp)
	if err != nil {
		return nil, err
	}
	j, err := journal.OpenReadOnly(fs, dir, FilePrefix, newState, Codec{})
	if err != nil {
		return nil, err
	}
	return newManifest(j, cmp)
}
