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
	OpWrite                  // File.Write, File.WriteAt, vfs.Mapping.Store
	OpSync                   // File.Sync, on files and directories; vfs.Mapping.Sync
	OpClose                  // File.Close, and closing a lock
	OpAllocate               // vfs.Mapping.Allocate
	OpTruncate               // vfs.Mapping.Truncate
	OpLink                   // vfs.Linker.Link
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
	OpAllocate: "allocate",
	OpTruncate: "truncate",
	OpLink:     "link",
}

func (k OpKind) String() string {
	if k < numOpKinds {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// IsWrite reports whether k changes persistent state: create, remove,
// rename, mkdir, write, sync, allocate, truncate and link.
func (k OpKind) IsWrite() bool {
	switch k {
	case OpCreate, OpRemove, OpRename, OpMkdirAll, OpWrite, OpSync, OpAllocate, OpTruncate, OpLink:
		return true
	}
	return false
}

// Op describes one operation offered to an Injector.
type Op struct {
	Kind OpKind
	// Path is the file or directory operated on; for OpRename and
	// OpLink, the old name.
	Path string
	// NewPath is the new name of an OpRename or OpLink, empty otherwise.
	NewPath string
	// Offset is where an OpRead or OpWrite starts (for File.Write, the
	// handle's append position), the size an OpAllocate or OpTruncate
	// sets; 0 for other kinds.
	Offset int64
	// Mapped marks the operations of a vfs.Mapping: Store (an OpWrite),
	// Sync (an OpSync), Allocate and Truncate.
	Mapped bool
}

func (op Op) String() string {
	switch {
	case op.Kind == OpRename, op.Kind == OpLink:
		return fmt.Sprintf("%s %s -> %s", op.Kind, op.Path, op.NewPath)
	case op.Kind == OpWrite && op.Mapped:
		return fmt.Sprintf("store %s @%d", op.Path, op.Offset)
	case op.Kind == OpSync && op.Mapped:
		return fmt.Sprintf("mapped sync %s", op.Path)
	case op.Kind == OpRead, op.Kind == OpWrite:
		return fmt.Sprintf("%s %s @%d", op.Kind, op.Path, op.Offset)
	case op.Kind == OpAllocate, op.Kind == OpTruncate:
		return fmt.Sprintf("%s %s to %d", op.Kind, op.Path, op.Offset)
	}
	return fmt.Sprintf("%s %s", op.Kind, op.Path)
}
