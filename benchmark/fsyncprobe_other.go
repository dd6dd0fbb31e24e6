//go:build !linux

package benchmark

import "os"

// datasyncMethod names the probe's sync call.
const datasyncMethod = "fsync"

// datasync makes f durable with File.Sync, the call Tempest's WAL makes
// outside Linux.
func datasync(f *os.File) error { return f.Sync() }
