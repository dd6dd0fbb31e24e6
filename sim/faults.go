package sim

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// faultClass is a kind of injected failure. Each seed gives each class
// its own rate, or turns it off.
type faultClass int

const (
	faultReadEIO   faultClass = iota // EIO on ReadAt and on opening a file
	faultWriteEIO                    // EIO on Write and WriteAt; on a mapping's Store (a memory fault), Allocate and Truncate
	faultSyncEIO                     // EIO on Sync, of files, directories and mappings
	faultCreateEIO                   // EIO on Create
	faultNoSpace                     // ENOSPC on Write, Create, Sync and a mapping's Allocate
	faultMetaEIO                     // EIO on Remove, Rename, List, Stat, MkdirAll, OpenDir, Lock, Close
	numFaultClasses
)

var faultClassNames = [numFaultClasses]string{"read", "write", "sync", "create", "nospace", "meta"}

func (c faultClass) String() string { return faultClassNames[c] }

// matches reports whether class c applies to op.
func (c faultClass) matches(op errorfs.Op) bool {
	switch c {
	case faultReadEIO:
		return op.Kind == errorfs.OpRead || op.Kind == errorfs.OpOpen
	case faultWriteEIO:
		return op.Kind == errorfs.OpWrite || op.Kind == errorfs.OpAllocate || op.Kind == errorfs.OpTruncate
	case faultSyncEIO:
		return op.Kind == errorfs.OpSync
	case faultCreateEIO:
		return op.Kind == errorfs.OpCreate
	case faultNoSpace:
		// A store through a mapping cannot run out of space: its space
		// was allocated first.
		return (op.Kind == errorfs.OpWrite && !op.Mapped) || op.Kind == errorfs.OpCreate ||
			op.Kind == errorfs.OpSync || op.Kind == errorfs.OpAllocate
	default:
		switch op.Kind {
		case errorfs.OpRemove, errorfs.OpRename, errorfs.OpList, errorfs.OpStat, errorfs.OpMkdirAll,
			errorfs.OpOpenDir, errorfs.OpLock:
			return true
		case errorfs.OpClose:
			// DB.Close closes the cached SST readers in map order
			// (table_cache.go), so which SST a close fault hits would differ
			// between two runs of a seed.
			return fileType(op.Path) != "sst"
		}
		return false
	}
}

func (c faultClass) err() error {
	if c == faultNoSpace {
		return errorfs.ErrNoSpace
	}
	return errorfs.ErrInjected
}

// crashEvent is a crash image taken just before a write-class operation
// (op is nil for a crash between steps).
type crashEvent struct {
	clone   *vfs.MemFS
	opts    vfs.CrashOptions
	op      *errorfs.Op
	process bool // a process crash: every written byte survived
	why     string
}

// injector is the simulator's errorfs.Injector. It counts write-class
// operations (the crash clock), takes the crash image when an armed crash
// strikes, and injects the seed's faults while enabled. The simulator is
// single-threaded, so it needs no lock.
type injector struct {
	s       *Sim
	rng     *rand.Rand
	enabled bool
	// writeOps counts write-class operations over the whole run.
	writeOps int64
	// crashAt is the writeOps value whose operation a crash precedes; 0
	// when no crash is armed.
	crashAt int64
	// crash is the crash that struck and that the simulator has not yet
	// handled: the process it interrupted is dead.
	crash *crashEvent
	// injected counts injected errors over the whole run.
	injected int64
	crashes  int64
	// mappedOps counts the operations of mappings (Op.Mapped) over the
	// whole run.
	mappedOps int64
	// lastOp is the last operation offered, directory opens aside (a
	// directory sync opens the directory first).
	lastOp errorfs.Op
}

// MaybeError implements errorfs.Injector.
func (inj *injector) MaybeError(op errorfs.Op) error {
	if traceOps && inj.crash == nil {
		inj.s.tracef("    op %s", op)
	}
	if op.Mapped {
		inj.mappedOps++
	}
	prev := inj.lastOp
	if op.Kind != errorfs.OpOpenDir {
		inj.lastOp = op
	}
	if op.Kind.IsWrite() {
		inj.writeOps++
		if inj.crash == nil && inj.writeOps == inj.crashAt {
			inj.takeCrash(&op, "armed", -1)
		}
	}
	if !inj.enabled || inj.crash != nil {
		return nil
	}
	s := inj.s
	for c := faultClass(0); c < numFaultClasses; c++ {
		r := s.cfg.rates[c]
		if r == 0 || !c.matches(op) {
			continue
		}
		if inj.rng.Float64() >= r {
			continue
		}
		inj.injected++
		s.proc.faults++
		if op.Kind == errorfs.OpSync {
			s.proc.syncFaults++
		}
		s.site(opName(op), fileType(op.Path))
		s.tracef("  fault %s: %s: %v", c, op, c.err())
		if op.Path == manifestDir && (op.Kind == errorfs.OpOpenDir || op.Kind == errorfs.OpSync) {
			s.manifestDirRisk = true
		}
		if s.proc.strict == nil && isStrict(op, prev) {
			o := op
			s.proc.strict = &o
		}
		return c.err()
	}
	return nil
}

// takeCrash takes the crash image now, keeping pct percent of the
// unsynced data (-1: the seed's choice).
func (inj *injector) takeCrash(op *errorfs.Op, why string, pct int) {
	s := inj.s
	inj.crashes++
	if pct < 0 {
		pct = s.cfg.unsyncedPct
		if s.cfg.mixedCrash {
			pct = []int{0, 10, 50, 90, 100}[inj.rng.IntN(5)]
		}
	}
	opts := vfs.CrashOptions{
		UnsyncedDataPercent: pct,
		Rand:                rand.New(rand.NewPCG(s.seed, uint64(inj.crashes))),
		TornLastWrite:       pct < 100 && inj.rng.IntN(100) < s.cfg.tornPct,
	}
	ev := &crashEvent{clone: s.mem.CrashClone(opts), opts: opts, op: op, process: pct == 100, why: why}
	inj.crash, inj.crashAt = ev, 0
	where := "between steps"
	if op != nil {
		where = "before " + op.String()
		s.site("crash-"+opName(*op), fileType(op.Path))
	} else {
		s.site("crash", "-")
	}
	s.tracef("  crash (%s) %s, %s", why, where, opts)
}

// traceOps (TEMPEST_SIM_TRACE_OPS=1) adds every file operation to the
// trace, for debugging a replayed seed.
var traceOps = os.Getenv("TEMPEST_SIM_TRACE_OPS") != ""

// opName names op's kind for the fault sites: a mapping's Store and Sync
// are "store" and "msync", apart from File.Write and File.Sync.
func opName(op errorfs.Op) string {
	switch {
	case op.Mapped && op.Kind == errorfs.OpWrite:
		return "store"
	case op.Mapped && op.Kind == errorfs.OpSync:
		return "msync"
	}
	return op.Kind.String()
}

// isStrict reports whether a failure of op (which followed prev) must
// make the DB read-only: a write, sync, allocation or truncation of a WAL
// or SST file, or a write or sync of their directories. (A failed write or
// sync of a manifest file the journal is rotating to is tolerated: the
// journal abandons that file and stays on the current one. So is a failed
// sync of the WAL or SST directory right after obsolete files were removed
// from it: the removals are then not recorded, and the next Open deletes
// the files again. The recovery oracle still checks that nothing is lost.)
func isStrict(op, prev errorfs.Op) bool {
	switch op.Kind {
	case errorfs.OpWrite, errorfs.OpSync, errorfs.OpAllocate, errorfs.OpTruncate:
	default:
		return false
	}
	switch fileType(op.Path) {
	case "wal", "sst":
		return true
	case "dir":
		afterRemovals := prev.Kind == errorfs.OpRemove && strings.HasPrefix(prev.Path, op.Path+"/")
		return (op.Path == walDir || op.Path == sstDir) && !afterRemovals
	}
	return false
}

// The database's paths.
const (
	dbDir       = "/db"
	walDir      = dbDir + "/wal"
	sstDir      = dbDir + "/sst"
	manifestDir = dbDir + "/manifest"
)

// fileType classifies a path for fault-site coverage: wal, sst, manifest,
// dir or lock.
func fileType(p string) string {
	switch {
	case p == dbDir || p == walDir || p == sstDir || p == manifestDir || p == "/" || p == "":
		return "dir"
	case strings.HasSuffix(p, "/LOCK"):
		return "lock"
	case strings.HasPrefix(p, walDir+"/"):
		return "wal"
	case strings.HasPrefix(p, sstDir+"/"):
		return "sst"
	case strings.HasPrefix(p, manifestDir+"/"):
		return "manifest"
	}
	return "other"
}

// site records that a fault or crash struck op kind on file type in the
// current phase.
func (s *Sim) site(kind, ftype string) {
	s.stats.Sites[fmt.Sprintf("%s/%s/%s", kind, ftype, s.phase)]++
}
