package peers

import (
	"testing"

	"go.uber.org/goleak"
)

// goleveldb's memdb pool drainer outlives DB.Close by up to a tick.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/syndtr/goleveldb/leveldb.(*DB).mpoolDrain"))
}
