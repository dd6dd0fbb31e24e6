//go:build windows

package vfs

import "os"

// syncDir is a no-op: windows cannot fsync a directory handle, and NTFS
// journals directory changes itself.
func syncDir(*os.File) error { return nil }
