package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// childEnv, when set, makes the test binary one cluster node (the
// process-kill test's child): the variable holds a childConfig as JSON.
// The child prints "ready" once it serves and runs until killed.
const childEnv = "TEMPEST_CLUSTER_CHILD"

type childConfig struct {
	Dir    string
	NodeID string  // empty on restart
	Layout *Layout // nil on restart
}

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(clusterChild(v))
	}
	os.Exit(m.Run())
}

func clusterChild(v string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(v), &cc); err != nil {
		fmt.Println("error", err)
		return 2
	}
	n, err := Open(Config{Dir: cc.Dir, NodeID: cc.NodeID, Layout: cc.Layout, Raft: testRaft, DBOptions: smallDB()})
	if err == nil {
		err = n.Listen()
	}
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	fmt.Println("ready")
	select {}
}
