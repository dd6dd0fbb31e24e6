package benchmark

import (
	"fmt"
	"time"
)

// Settling: after a load, an adapter flushes and then waits until the
// engine runs no compaction. An engine may report none running for a
// moment between one compaction and the next it picks (a picker that runs
// after the finished compaction's cleanup), and a measurement started in
// that moment would share the machine with a compaction that belongs to
// the load. WaitQuiet therefore asks for settleQuietPolls zero readings in
// a row, settlePoll apart, and gives the same wait to every engine.
const (
	settlePoll       = 10 * time.Millisecond
	settleQuietPolls = 5
	settleTimeout    = time.Minute
)

// WaitQuiet waits until inProgress reports 0 compactions
// settleQuietPolls times in a row, or fails after settleTimeout. name
// names the engine in the error.
func WaitQuiet(name string, inProgress func() int) error {
	quiet := 0
	for deadline := time.Now().Add(settleTimeout); time.Now().Before(deadline); time.Sleep(settlePoll) {
		if inProgress() != 0 {
			quiet = 0
			continue
		}
		if quiet++; quiet == settleQuietPolls {
			return nil
		}
	}
	return fmt.Errorf("%s: compactions still running after %v", name, settleTimeout)
}
