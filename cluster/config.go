package cluster

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest"
)

// ParseMembers parses the --cluster flag: "id=addr/bus,id=addr/bus,...".
func ParseMembers(s string) ([]NodeInfo, error) {
	var out []NodeInfo
	for _, part := range strings.Split(s, ",") {
		id, rest, ok1 := strings.Cut(strings.TrimSpace(part), "=")
		addr, bus, ok2 := strings.Cut(rest, "/")
		if !ok1 || !ok2 || id == "" || addr == "" || bus == "" {
			return nil, fmt.Errorf("%w: cluster: member %q is not id=addr/bus", tempest.ErrInvalidArgument, part)
		}
		out = append(out, NodeInfo{ID: id, Addr: addr, Bus: bus})
	}
	return out, nil
}
