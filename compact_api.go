package tempest

import (
	"context"

	"github.com/tempestdb/tempest/internal/compact"
)

// Compact flushes the memtables and then compacts every level's files
// overlapping [start, end] (nil bounds: the whole key space) down the
// tree, level by level, so that afterwards that range lives in the bottom
// levels with shadowed versions and droppable tombstones removed. First
// it removes, anywhere in the tree, the files that range tombstones
// delete wholesale (delete-only compactions), which spares rewriting
// them. Automatic compactions pause while it runs. It returns ctx.Err()
// if ctx ends first (the compaction running at that moment completes).
func (d *DB) Compact(ctx context.Context, start, end []byte) error {
	if err := d.writable(); err != nil {
		return err
	}
	if err := d.Flush(); err != nil {
		return err
	}
	d.mu.Lock()
	d.mu.manualCompactions++
	defer func() {
		d.mu.manualCompactions--
		d.mu.Unlock()
		d.maybeScheduleCompaction()
	}()
	// Wait for automatic compactions to drain.
	for len(d.mu.compactions) > 0 && d.mu.bgErr == nil && !d.mu.closing {
		d.mu.cond.Wait()
	}
	d.mu.Unlock()
	hints := d.deleteHints() // reads tables: not under d.mu
	d.mu.Lock()
	d.runDeleteOnlyLocked(hints)
	for level := 0; level < NumLevels; level++ {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.mu.bgErr != nil {
				return d.mu.bgErr
			}
			if d.mu.closing {
				return ErrClosed
			}
			// Automatic compactions are paused, but another Compact call
			// may be running one: wait for it, so that the pick below
			// sees every file it would share. An ingestion placing its
			// files must see no new compaction: wait for it too.
			if len(d.mu.compactions) > 0 || d.mu.ingesting {
				d.mu.cond.Wait()
				continue
			}
			c := d.picker.PickManual(d.mu.readState.version, level, start, end, d.mu.compactions)
			if c == nil || (level == NumLevels-1 && c.OutputLevel == level && !hasGarbage(c)) {
				break
			}
			d.startCompactionLocked(c)
			d.mu.Unlock()
			d.runCompaction(c)
			d.bg.Done()
			d.mu.Lock()
			if c.StartLevel == c.OutputLevel {
				break // compacted the level into itself: one pass is enough
			}
		}
	}
	return d.mu.bgErr
}

// hasGarbage reports whether compacting the bottom level into itself could
// drop anything: some file holds tombstones.
func hasGarbage(c *compact.Compaction) bool {
	for _, f := range c.Inputs {
		if f.DeletionCount > 0 {
			return true
		}
	}
	return false
}
