package sim

import (
	"errors"
	"os"
	"regexp"
	"strings"

	"github.com/tempestdb/tempest"
)

// knownBug is an engine bug the simulator can report in its figures
// instead of failing the run, so that it keeps finding other bugs. Every
// bug listed here is fixed, so by default each is a failure again (a
// regression); TEMPEST_SIM_LENIENT=1 counts them instead.
type knownBug struct {
	name  string
	match func(err error) bool
}

var knownBugs = []knownBug{{
	// open.go, checkManifest: an error from Stat on a recorded SST (EIO,
	// not only ENOENT) becomes a CorruptionError built with %v, so an I/O
	// error is reported as ErrCorruption and its cause is lost.
	name: "open: Stat error on a recorded SST reported as corruption",
	match: func(err error) bool {
		return errors.Is(err, tempest.ErrCorruption) &&
			strings.Contains(err.Error(), "SST recorded in the manifest is missing") &&
			strings.Contains(err.Error(), "errorfs: injected")
	},
}}

var strictKnownBugs = os.Getenv("TEMPEST_SIM_LENIENT") == ""

// knownBugFor returns the known bug err shows, if any.
func (s *Sim) knownBugFor(err error) (string, bool) {
	if strictKnownBugs {
		return "", false
	}
	for _, b := range knownBugs {
		if b.match(err) {
			s.stats.KnownBugs[b.name]++
			s.tracef("  known bug: %s", b.name)
			return b.name, true
		}
	}
	return "", false
}

// lostManifestBug: journal/journal.go (Open, create) and rotate.go: the
// journal never syncs the manifest directory when it opens a file. When
// the directory sync that should make a new manifest file's name durable
// fails (at creation of manifest-000000, or at rotation step 4), the file
// stays; the next Open finds it and uses it, and nothing syncs the
// directory again unless removing older files succeeds (creation leaves
// none; a failed List skips the removal). A power loss then drops the
// name: the manifest disappears (Open starts an empty one and deletes
// every SST as an orphan: synced data lost silently) or reverts to the
// previous file (stale state; Open fails on a WAL deleted since).
const lostManifestBug = "journal: a manifest file whose directory sync failed is used without syncing the directory; a power loss loses or reverts the manifest"

// knownLostManifest is called when a crash image lost the newest manifest
// file after a sync of the manifest directory failed: the known bug. The
// lost manifest takes the live files and leases with it (file and
// sequence numbers go back), so the run ends there.
func (s *Sim) knownLostManifest() bool {
	if strictKnownBugs {
		return false
	}
	s.stats.KnownBugs[lostManifestBug]++
	s.tracef("  known bug: %s", lostManifestBug)
	return true
}

// tornWALHeaderBug: wal/reader.go, Replay: a WAL whose creation was
// interrupted by a power loss can hold a torn header: exactly HeaderSize
// bytes of garbage (a torn sector reads as old disk content). Create
// syncs the header before any record is written, so such a file never
// held an acknowledged record, but Replay only treats a short or all-zero
// header as "never created" and reports any other wrong magic as
// corruption: the DB cannot be opened after a plain power loss.
const tornWALHeaderBug = "wal: a torn header of a just-created WAL is reported as corruption"

var corruptionPath = regexp.MustCompile(`corruption in (\S+) at offset 0: invalid magic number`)

// knownTornWALHeader reports whether a failed open is the known bug: the
// WAL it names is at most a header long.
func (s *Sim) knownTornWALHeader(err error) bool {
	if strictKnownBugs || !errors.Is(err, tempest.ErrCorruption) {
		return false
	}
	m := corruptionPath.FindStringSubmatch(err.Error())
	if m == nil || fileType(m[1]) != "wal" {
		return false
	}
	if data, rerr := s.mem.ReadFile(m[1]); rerr != nil || len(data) > 16 {
		return false
	}
	s.stats.KnownBugs[tornWALHeaderBug]++
	s.tracef("  known bug: %s", tornWALHeaderBug)
	return true
}

// snapshotAtBug: snapshot.go (NewSnapshotAt) with compaction.go (the
// horizon): a compaction keeps only the newest version of a key below each
// open snapshot and below the present, but NewSnapshotAt refuses only
// tokens below the earliest open snapshot. A token between two snapshots
// is accepted after the versions it saw were dropped, and the snapshot
// reads stale data.
const snapshotAtBug = "NewSnapshotAt accepts a token whose versions compaction dropped; the snapshot reads stale data"

// errStaleToken reports a read at a token snapshot that snapshotAtBug
// made stale; the simulator drops that snapshot.
var errStaleToken = errors.New("sim: stale read at a token snapshot (known bug)")

func (s *Sim) knownSnapshotAt() bool {
	if strictKnownBugs {
		return false
	}
	s.stats.KnownBugs[snapshotAtBug]++
	s.tracef("  known bug: %s", snapshotAtBug)
	return true
}
