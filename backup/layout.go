package backup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/vfs"
)

// repoDirs names the parts of a repository (see the package doc).
type repoDirs struct {
	fs                               vfs.FS
	root, meta, private, shared, tmp string
	progress                         func(bytes int64) // Options.Progress
}

// done reports a file of n bytes done to the progress callback.
func (r repoDirs) done(n int64) {
	if r.progress != nil {
		r.progress(n)
	}
}

func makeRepoDirs(fs vfs.FS, repo string) repoDirs {
	return repoDirs{
		fs:      fs,
		root:    repo,
		meta:    fs.PathJoin(repo, "meta"),
		private: fs.PathJoin(repo, "private"),
		shared:  fs.PathJoin(repo, "shared"),
		tmp:     fs.PathJoin(repo, "tmp"),
	}
}

func (r repoDirs) lockPath() string { return r.fs.PathJoin(r.root, "LOCK") }

func (r repoDirs) metaPath(id uint64) string {
	return r.fs.PathJoin(r.meta, strconv.FormatUint(id, 10))
}

func (r repoDirs) privateDir(id uint64) string {
	return r.fs.PathJoin(r.private, strconv.FormatUint(id, 10))
}

// storedPath is where the repository keeps f.
func (r repoDirs) storedPath(id uint64, f fileEntry) string {
	if f.shared {
		return r.fs.PathJoin(r.shared, sharedName(f))
	}
	return r.fs.PathJoin(r.privateDir(id), f.path)
}

// sharedName keys a shared SST or blob file by its name in the DB, its
// size and its checksum: file numbers are per DB, so the name alone does
// not identify a file. The suffix (".sst", ".blob") is kept.
func sharedName(f fileEntry) string {
	base := f.path[strings.LastIndexByte(f.path, '/')+1:]
	ext := base[strings.LastIndexByte(base, '.'):]
	base = strings.TrimSuffix(base, ext)
	return fmt.Sprintf("%s_%d_%016x%s", base, f.size, f.checksum, ext)
}

// mkdirs creates the repository's directories.
func (r repoDirs) mkdirs() error {
	for _, d := range []string{r.meta, r.private, r.shared, r.tmp} {
		if err := r.fs.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return vfs.SyncDir(r.fs, r.root)
}
