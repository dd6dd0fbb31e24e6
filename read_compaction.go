package tempest

import (
	"slices"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Read-triggered compactions move L0 into the base level before L0 is due
// by score, when reads have paid enough for its files.
//
// Every iterator seek (SeekGE, SeekLT, First, Last) positions itself in
// each L0 file, and flushed files usually span the whole key space: each
// L0 file is one more block loaded per seek. Score-based picking waits for
// L0CompactionThreshold files, which write-heavy workloads reach soon; a
// workload that mostly reads can keep one to three files in L0 for good
// and pay for them on every seek. So seeks are counted against the L0
// files they pass through: each file may be sought
// max(size/Options.ReadCompactionBytesPerSeek,
// Options.ReadCompactionMinSeeks) times (64 and 10,000 by default). When
// the seeks on the current L0 use up the sum of its files' allowances,
// the reader asks for a compaction, and the next time the picker finds
// nothing due by score it picks L0 → base level (compact.PickRead).
//
// The allowance prices one seek, a block read and decoded that the
// compaction would save (a few microseconds), against the bytes the
// compaction rewrites (the L0 file and the base level data it overlaps,
// at tens of nanoseconds a byte): one seek per 64 bytes of L0 by default.
// A negative ReadCompactionMinSeeks, or DisableAutomaticCompactions, turns
// the counting off. Gets are not counted: bloom filters let them skip L0
// files that lack their key (the rare Get whose entry a range tombstone
// covers seeks an iterator, and that seek counts).
//
// The count lives with the readState and carries over to the next one
// while L0 holds the same files; a change to L0 (a flush, a compaction)
// starts it afresh.

// l0SeekCounter counts the seeks through the L0 files of its readState's
// version.
type l0SeekCounter struct {
	budget int64        // seeks × files allowed before asking
	state  *l0SeekState // shared by readStates with the same L0; nil: not counting
}

type l0SeekState struct {
	used  atomic.Int64 // seeks × files so far
	asked atomic.Bool  // a compaction was asked for
}

// init sets c up for L0 files l0, carrying on prev's count if its L0 is
// the same.
func (c *l0SeekCounter) init(o *Options, l0 []*manifest.FileMetadata, prev *readState) {
	if len(l0) == 0 || o.ReadCompactionMinSeeks < 0 || o.DisableAutomaticCompactions {
		return
	}
	if prev != nil && slices.Equal(prev.version.Levels[0], l0) {
		*c = prev.seeks
		return
	}
	for _, f := range l0 {
		c.budget += max(int64(f.Size)/int64(o.ReadCompactionBytesPerSeek), int64(o.ReadCompactionMinSeeks))
	}
	c.state = new(l0SeekState)
}

// noteSeek counts one iterator seek through rs's L0 files, and asks for a
// read-triggered compaction when they have been sought enough.
func (rs *readState) noteSeek() {
	c := &rs.seeks
	if c.state == nil || c.state.asked.Load() {
		return
	}
	l0 := rs.version.Levels[0]
	if c.state.used.Add(int64(len(l0))) >= c.budget && c.state.asked.CompareAndSwap(false, true) {
		rs.d.askReadCompaction(l0)
	}
}

// askReadCompaction records that seeks paid for the L0 files l0, and
// schedules compactions through the Scheduler, so that the reader's seek
// does not pay for picking (which reads the live files' range
// tombstones). An iterator on an older readState may ask for an L0 that
// has since gone down: its request is ignored, so that it does not
// replace one pending for the current L0.
func (d *DB) askReadCompaction(l0 []*manifest.FileMetadata) {
	d.mu.Lock()
	if d.mu.closing || !anyIn(l0, d.mu.readState.version.Levels[0]) {
		d.mu.Unlock()
		return
	}
	d.mu.readCompaction = l0
	d.bg.Add(1)
	d.mu.Unlock()
	d.schedule(d.maybeScheduleCompaction)
}

// pickReadLocked returns the read-triggered compaction asked for, if one
// was and L0 still holds a file it was asked for, or nil.
func (d *DB) pickReadLocked(v *manifest.Version) *compact.Compaction {
	asked := d.mu.readCompaction
	if asked == nil {
		return nil
	}
	if !anyIn(asked, v.Levels[0]) {
		d.mu.readCompaction = nil // those files have gone down already
		return nil
	}
	c := d.picker.PickRead(v, d.mu.compactions)
	if c != nil {
		d.mu.readCompaction = nil
		d.counters.readCompactions.Add(1)
	}
	return c
}

// anyIn reports whether some file of a is in b.
func anyIn(a, b []*manifest.FileMetadata) bool {
	for _, f := range a {
		for _, g := range b {
			if f == g {
				return true
			}
		}
	}
	return false
}
