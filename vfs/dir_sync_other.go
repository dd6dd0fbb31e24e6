//go:build !windows

package vfs

import "os"

// syncDir fsyncs the directory so that the entries created, removed or
// renamed in it become durable.
func syncDir(f *os.File) error { return f.Sync() }
