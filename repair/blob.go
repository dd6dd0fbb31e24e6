package repair

import (
	"errors"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/vfs"
)

// blobFiles reads separated values from the blob files of the source's
// sst directory, opening each file once. A file is judged by its own
// footer, not by the (perhaps damaged) manifest.
type blobFiles struct {
	fs      vfs.FS
	dir     string
	readers map[base.FileNum]*blob.Reader
	failed  map[base.FileNum]error
}

func newBlobFiles(fs vfs.FS, dir string) *blobFiles {
	return &blobFiles{fs: fs, dir: dir, readers: make(map[base.FileNum]*blob.Reader), failed: make(map[base.FileNum]error)}
}

// path returns the path of blob file num.
func (b *blobFiles) path(num base.FileNum) string {
	return b.fs.PathJoin(b.dir, base.MakeFilename(base.FileTypeBlob, num))
}

// read returns the value the encoded handle h names and the blob file's
// path, or the error that keeps it from being read.
func (b *blobFiles) read(h []byte) ([]byte, string, error) {
	handle, err := blob.DecodeHandle(h, b.dir)
	if err != nil {
		return nil, b.dir, err
	}
	path := b.path(handle.FileNum)
	r, err := b.reader(handle.FileNum)
	if err != nil {
		return nil, path, err
	}
	v, err := r.Read(handle, nil)
	return v, path, err
}

func (b *blobFiles) reader(num base.FileNum) (*blob.Reader, error) {
	if r, ok := b.readers[num]; ok {
		return r, nil
	}
	if err, ok := b.failed[num]; ok {
		return nil, err
	}
	r, err := b.open(num)
	if err != nil {
		b.failed[num] = err
		return nil, err
	}
	b.readers[num] = r
	return r, nil
}

func (b *blobFiles) open(num base.FileNum) (*blob.Reader, error) {
	f, err := b.fs.Open(b.path(num))
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, err
	}
	return blob.Open(f, b.path(num), uint64(size))
}

// close closes every reader.
func (b *blobFiles) close() error {
	var err error
	for _, r := range b.readers {
		err = errors.Join(err, r.Close())
	}
	return err
}

// isBlobFile reports whether name is a blob file's name: SSTs' siblings,
// read through handles, not listed as unknown.
func isBlobFile(name string) bool {
	_, ok := base.ParseFilename(base.FileTypeBlob, name)
	return ok
}
