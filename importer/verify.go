package importer

import (
	"bytes"
	"fmt"

	"github.com/tempestdb/tempest"
)

// Verify reads src and db side by side and checks, key by key, that db
// holds every key of src with src's value. With exact, db must hold no
// other key either. It returns the number of keys compared; a difference
// is an error matching ErrMismatch that names the first differing key.
func Verify(src Source, db *tempest.DB, exact bool) (int64, error) {
	it, err := db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	ok := it.First()
	extra := func(until []byte) error {
		for ; ok && (until == nil || bytes.Compare(it.Key(), until) < 0); ok = it.Next() {
			if exact {
				return fmt.Errorf("%w: key %q is not in the source", ErrMismatch, it.Key())
			}
		}
		return nil
	}
	err = src.Scan(func(key, value []byte) error {
		if err := extra(key); err != nil {
			return err
		}
		switch {
		case !ok || !bytes.Equal(it.Key(), key):
			return fmt.Errorf("%w: key %q is missing", ErrMismatch, key)
		case !bytes.Equal(it.Value(), value):
			return fmt.Errorf("%w: key %q has a %d-byte value, the source %d bytes", ErrMismatch, key, len(it.Value()), len(value))
		}
		n++
		ok = it.Next()
		return nil
	})
	if err == nil {
		err = extra(nil)
	}
	if err == nil {
		err = it.Error()
	}
	return n, err
}
