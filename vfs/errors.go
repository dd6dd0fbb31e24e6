package vfs

import "github.com/tempestdb/tempest/internal/base"

// ErrLocked is returned by FS.Lock when the lock is already held.
var ErrLocked = base.ErrLocked
