package errorfs

import "fmt"

// OpKind classifies an operation.
type OpKind uint8

const (
	OpCreate   OpKind = iota // FS.Create
	OpOpen                   // FS.Open, FS.OpenForAppend
	OpOpenDir                // FS.OpenDir
	OpRemove                 // FS.Remove
	OpRename                 // FS.Rename
	OpMkdirAll               // FS.MkdirAll
	OpList                   // FS.List
	OpStat                   // FS.Stat, File.Size
	OpLock                   // FS.Lock, FS.LockShared
	OpRead                   // File.ReadAt
	OpWrite                  // File.Write, File.WriteAt
	OpSync                   // File.Sync, on files and directories
	OpClose                  // File.Close, and closing a lock
	numOpKinds
)

var opKindNames = [numOpKinds]string{
	OpCreate:   "create",
	OpOpen:     "open",
	OpOpenDir:  "opendir",
	OpRemove:   "remove",
	OpRename:   "rename",
	OpMkdirAll: "mkdirall",
	OpList:     "list",
	OpStat:     "stat",
	OpLock:     "lock",
	OpRead:     "read",
	OpWrite:    "write",
	OpSync:     "sync",
	OpClose:    "close",
}

func (k OpKind) String() string {
	if k < numOpKinds {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// IsWrite reports whether k changes persistent state: create, remove,
// rename, mkdir, write and sync.
func (k OpKind) IsWrite() bool {
	switch k {
	case OpCreate, OpRemove, OpRename, OpMkdirAll, OpWrite, OpSync:
		return true
	}
	return false
}

// Op describes one operation offered to an Injector.
type Op struct {
	Kind OpKind
	// Path is the file or directory operated on; for OpRename, the old
	// name.
	Path string
	// NewPath is the new name of an OpRename, empty otherwise.
	NewPath string
	// Offset is where an OpRead or OpWrite starts (for File.Write, the
	// handle's append position); 0 for other kinds.
	Offset int64
}

func (op Op) String() string {
	switch op.Kind {
	case OpRename:
		return fmt.Sprintf("rename %s -> %s", op.Path, op.NewPath)
	case OpRead, OpWrite:
		return fmt.Sprintf("%s %s @%d", op.Kind, op.Path, op.Offset)
	}
	return fmt.Sprintf("%s %s", op.Kind, op.Path)
}
