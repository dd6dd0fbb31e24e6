package journal

import (
	"fmt"
	"os"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Load replays the journal of prefix in dir without writing anything: it
// reads the newest file with a valid header, as Open does, and stops at a
// torn tail without rotating. It creates and removes nothing, so it works
// on a directory it may not write. The journal it returns serves the state
// (Data, View, ReplayInfo); Append and Rotate fail with an error matching
// base.ErrReadOnly. If dir holds no journal file the error matches
// os.ErrNotExist; damage matches base.ErrCorruption, as for Open.
func Load[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E]) (*Journal[T, E], error) {
	j := &Journal[T, E]{fs: fs, dir: dir, prefix: prefix, codec: codec, cfg: Config{}.withDefaults(), state: initial()}
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	nums := journalNums(prefix, names)
	if len(nums) == 0 {
		return nil, fmt.Errorf("journal: no %q file in %s: %w", prefix, dir, os.ErrNotExist)
	}
	num, err := j.newestValid(nums)
	if err != nil {
		return nil, err
	}
	data, err := readAll(fs, j.path(num))
	if err != nil {
		return nil, err
	}
	res, err := replayEdits(j.path(num), data, codec, j.state.Apply)
	j.info.FileNum, j.info.Edits = num, res.edits
	if err != nil {
		return nil, err
	}
	if res.torn {
		j.info.TornTail, j.info.TornOffset, j.info.TornReason = true, res.end, res.problem.String()
	}
	j.mu.fileNum, j.mu.pos = num, res.end
	j.mu.err = base.MarkReadOnly(fmt.Errorf("journal %s: loaded read-only", j.path(num)))
	return j, nil
}

// journalNums returns the numbers of the journal files among names,
// newest first.
func journalNums(prefix string, names []string) []uint64 {
	var nums []uint64
	for _, name := range names {
		if n, ok := parseFilename(prefix, name); ok {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(a, b int) bool { return nums[a] > nums[b] })
	return nums
}

// newestValid returns the first of nums (newest first) whose file has a
// valid header. Newer files with an invalid header are rotations that
// never completed: they are listed in info.Skipped. If none is valid the
// journal is corrupt: it never silently starts empty.
func (j *Journal[T, E]) newestValid(nums []uint64) (uint64, error) {
	for _, n := range nums {
		ok, err := j.hasValidHeader(n)
		if err != nil {
			return 0, err
		}
		if ok {
			return n, nil
		}
		j.info.Skipped = append(j.info.Skipped, makeFilename(j.prefix, n))
	}
	return 0, base.Corruptionf(j.path(nums[0]), 0,
		"none of the %d journal files of prefix %q has a valid header", len(nums), j.prefix)
}
