package vfs

import (
	"fmt"
	"io"
	"math"
)

// ReadFile returns the whole contents of the named file. The allocation is
// the file's size, never a length field inside it, so a damaged file
// cannot make it allocate more than the file holds. Errors wrap the
// file system's (errors.Is(err, os.ErrNotExist) holds for a missing file).
func ReadFile(fs FS, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("size of %s: %w", name, err)
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, fmt.Errorf("%s: size %d is too large to read into memory", name, size)
	}
	data := make([]byte, int(size))
	n, err := f.ReadAt(data, 0)
	switch {
	case n == len(data):
		err = nil
	case err == nil:
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}
