//go:build !linux

package wal

// runCrashChild returns: the process crash test runs on linux only.
func runCrashChild() {}
