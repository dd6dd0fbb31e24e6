package cluster

import (
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
)

// TestDefinitelyNotApplied: only the errors raft returns before it
// appends an entry say a write was not applied; the others leave its
// outcome unknown.
func TestDefinitelyNotApplied(t *testing.T) {
	for err, want := range map[error]bool{
		raft.ErrNotLeader:                            true,
		raft.ErrEnqueueTimeout:                       true,
		raft.ErrLeadershipTransferInProgress:         true,
		fmt.Errorf("wrapped: %w", raft.ErrNotLeader): true,
		raft.ErrLeadershipLost:                       false,
		raft.ErrRaftShutdown:                         false,
		errAwaitTimeout:                              false,
	} {
		if got := definitelyNotApplied(err); got != want {
			t.Errorf("definitelyNotApplied(%v) = %v, want %v", err, got, want)
		}
	}
}
