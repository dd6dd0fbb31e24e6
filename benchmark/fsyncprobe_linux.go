//go:build linux

package benchmark

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasyncMethod names the probe's sync call.
const datasyncMethod = "fdatasync"

// datasync makes f's data durable, and the metadata needed to read it
// back (its size), as Tempest's WAL does on Linux.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
