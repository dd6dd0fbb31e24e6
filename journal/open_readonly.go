package journal

import (
	"fmt"
	"os"

	"github.com/tempestdb/tempest/vfs"
)

// OpenReadOnly replays the newest journal file of prefix in dir into
// initial() as Open does, but writes nothing: it creates no directory or
// file, keeps no file open, does not rotate after a torn tail (the tail
// is only reported in ReplayInfo), removes nothing and syncs nothing.
// Append and Rotate fail with an error matching base.ErrReadOnly. A
// directory holding no journal file of the prefix is an error matching
// os.ErrNotExist: there is nothing to read, and nothing may be created.
func OpenReadOnly[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E]) (*Journal[T, E], error) {
	j, err := newJournal(fs, dir, prefix, initial, codec, Config{})
	if err != nil {
		return nil, err
	}
	j.readOnly = true
	chosen, count, err := j.findNewest()
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, fmt.Errorf("journal: no %s file in %s: %w", prefix, dir, os.ErrNotExist)
	}
	if _, err := j.load(chosen); err != nil {
		return nil, err
	}
	return j, nil
}
