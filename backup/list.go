package backup

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// List returns the backups in repo, oldest first. A damaged metadata file
// fails it with ErrCorruption naming the file. A repository that does not
// exist holds no backups.
func (o Options) List(repo string) ([]Info, error) {
	r := o.repo(repo)
	metas, err := r.readAll()
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(metas))
	for i, m := range metas {
		out[i] = m.info()
	}
	return out, nil
}

// readAll reads every metadata file, sorted by ID.
func (r repoDirs) readAll() ([]*backupMeta, error) {
	names, err := r.fs.List(r.meta)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var metas []*backupMeta
	for _, n := range names {
		id, err := strconv.ParseUint(n, 10, 64)
		if err != nil || strings.HasSuffix(n, ".tmp") {
			continue // a metadata temp file: not a backup
		}
		m, err := r.readMeta(id)
		if err != nil {
			return nil, err
		}
		metas = append(metas, m)
	}
	slices.SortFunc(metas, func(a, b *backupMeta) int { return cmp.Compare(a.id, b.id) })
	return metas, nil
}

// readMeta reads backup id's metadata; a missing backup is
// ErrInvalidArgument.
func (r repoDirs) readMeta(id uint64) (*backupMeta, error) {
	name := r.metaPath(id)
	data, err := vfs.ReadFile(r.fs, name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, base.InvalidArgumentf("backup: no backup %d in %s", id, r.root)
	} else if err != nil {
		return nil, err
	}
	m, err := decodeMeta(name, data)
	if err == nil && m.id != id {
		err = base.Corruptionf(name, 0, "backup metadata names ID %d", m.id)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}
