package cluster

import (
	"fmt"
	"testing"
)

func TestCRC16Vector(t *testing.T) {
	// The check value of CRC-16/XMODEM, also quoted by the Redis Cluster
	// specification's reference implementation.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
}

func TestKeySlotKnownValues(t *testing.T) {
	// Values of CLUSTER KEYSLOT on redis-server (the Redis documentation's
	// examples and well-known slots of short keys).
	cases := map[string]int{
		"123456789":            12739,
		"foo":                  12182,
		"bar":                  5061,
		"hello":                866,
		"somekey":              11058,
		"foo{hash_tag}":        2515,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"{}foo":                KeySlot([]byte("{}foo")),
	}
	for k, want := range cases {
		if got := KeySlot([]byte(k)); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", k, got, want)
		}
	}
	// Hash tag rules of the specification.
	same := [][2]string{
		{"{user1000}.following", "user1000"},
		{"foo{bar}{zap}", "bar"},
		{"foo{}{bar}", "foo{}{bar}"},
		{"foo{{bar}}zap", "{bar"},
		{"foo{bar", "foo{bar"},
	}
	for _, p := range same {
		if KeySlot([]byte(p[0])) != int(crc16([]byte(p[1]))%SlotCount) {
			t.Errorf("KeySlot(%q) does not hash %q", p[0], p[1])
		}
	}
}

func TestPlacementEven(t *testing.T) {
	for _, tc := range []struct{ nodes, shards, replicas int }{
		{3, 3, 3}, {6, 6, 3}, {5, 7, 2}, {1, 1, 1}, {4, 16384, 3},
	} {
		l := Layout{Shards: tc.shards, Replicas: tc.replicas}
		for i := range tc.nodes {
			l.Nodes = append(l.Nodes, NodeInfo{ID: fmt.Sprint("n", i), Addr: "a", Bus: "b"})
		}
		if err := l.Validate(); err != nil {
			t.Fatal(err)
		}
		// Every slot in exactly one shard; shards contiguous and even.
		prevEnd := 0
		for s := range tc.shards {
			first, end := l.SlotRange(s)
			if first != prevEnd || end-first < SlotCount/tc.shards || end-first > SlotCount/tc.shards+1 {
				t.Fatalf("%+v: shard %d slots [%d,%d)", tc, s, first, end)
			}
			prevEnd = end
			for _, slot := range []int{first, end - 1} {
				if got := l.ShardOfSlot(slot); got != s {
					t.Fatalf("%+v: ShardOfSlot(%d) = %d, want %d", tc, slot, got, s)
				}
			}
		}
		if prevEnd != SlotCount {
			t.Fatalf("%+v: slots end at %d", tc, prevEnd)
		}
		// Each shard on R distinct nodes; each node's load within one of
		// the mean.
		load := make([]int, tc.nodes)
		for s := range tc.shards {
			seen := map[int]bool{}
			for _, i := range l.ShardNodes(s) {
				if seen[i] {
					t.Fatalf("%+v: shard %d twice on node %d", tc, s, i)
				}
				seen[i] = true
				load[i]++
			}
		}
		lo := tc.shards * tc.replicas / tc.nodes
		for i, n := range load {
			if n < lo || n > lo+1 || len(l.NodeShards(i)) != n {
				t.Fatalf("%+v: node %d holds %d shards (mean %d)", tc, i, n, lo)
			}
		}
	}
}

func TestLayoutValidate(t *testing.T) {
	good := Layout{Nodes: []NodeInfo{{ID: "a", Addr: "x", Bus: "y"}}, Shards: 1, Replicas: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Layout{
		{Shards: 1, Replicas: 1},
		{Nodes: good.Nodes, Shards: 0, Replicas: 1},
		{Nodes: good.Nodes, Shards: 1, Replicas: 2},
		{Nodes: []NodeInfo{{ID: "a", Addr: "x", Bus: "y"}, {ID: "a", Addr: "z", Bus: "w"}}, Shards: 1, Replicas: 1},
		{Nodes: good.Nodes, Shards: 1, Replicas: 1, Placed: [][]string{}},
		{Nodes: good.Nodes, Shards: 1, Replicas: 1, Placed: [][]string{{}}},
		{Nodes: good.Nodes, Shards: 1, Replicas: 1, Placed: [][]string{{"b"}}},
		{Nodes: good.Nodes, Shards: 1, Replicas: 1, Placed: [][]string{{"a", "a"}}},
		{Nodes: []NodeInfo{{ID: "a", Addr: "x", Bus: "y", Retired: true}}, Shards: 1, Replicas: 1, Placed: [][]string{{"a"}}},
	}
	for _, l := range bad {
		if l.Validate() == nil {
			t.Errorf("%+v validated", l)
		}
	}
}
