//go:build !linux

package wal

import "testing"

// mmapSupported is true where Writers map OS files.
const mmapSupported = false

func hookSyscalls(testing.TB, *faultFS, bool) {}
