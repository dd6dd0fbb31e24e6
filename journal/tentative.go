package journal

import "github.com/tempestdb/tempest/vfs"

// A tentative open lets a caller that may still fail leave the directory
// as it found it. OpenTentative replays the newest file like Open, then
// rotates at once to a new file (one past the newest journal file in the
// directory), even without a torn tail, and removes nothing: the replayed
// file is never appended to, and no older, leftover or temporary file is
// removed. If no journal file exists, it creates file 0 as Open does.
//
// So until Commit, the files that existed are untouched, and every file
// the journal created is newer than all of them: a caller that gives up
// closes the journal and removes the files that were not there before,
// and the newest valid file is again the one it replayed. A crash before Commit leaves the new file, with a valid
// header, as the journal's current file; the next Open replays it and
// removes the older ones.
//
// Commit ends the tentative state: it removes the older and leftover
// files, as Open and every rotation do.

// OpenTentative opens the journal of prefix in dir without writing to or
// removing any file that exists (see above).
func OpenTentative[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E], cfg Config) (*Journal[T, E], error) {
	return open(fs, dir, prefix, initial, codec, cfg, true)
}

// Commit ends a tentative open: from now on the journal removes files it
// no longer needs, starting with those older than its current file. It
// does nothing on a journal opened by Open.
func (j *Journal[T, E]) Commit() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.mu.tentative {
		return
	}
	j.mu.tentative = false
	if !j.mu.closed {
		j.removeObsolete()
	}
}
