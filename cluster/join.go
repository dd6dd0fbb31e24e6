package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/resp"
)

// joinTimeout bounds a join's exchange with the member it asks.
const joinTimeout = 10 * time.Second

// askJoin asks the member at addr (a client address) to add node me to
// its cluster (CLUSTER TEMPEST-JOIN) and returns the cluster's layout.
// With a password, AUTH comes first: a joining node is started with the
// cluster's --requirepass.
func askJoin(addr string, me NodeInfo, password string) (*Layout, error) {
	c, err := net.DialTimeout("tcp", addr, joinTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(joinTimeout))
	var req []byte
	if password != "" {
		req = resp.AppendCommand(req, "AUTH", password)
	}
	req = resp.AppendCommand(req, "CLUSTER", "TEMPEST-JOIN", me.ID, me.Addr, me.Bus)
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	if password != "" {
		if v, err := readReply(r); err != nil {
			return nil, err
		} else if v.Kind != '+' {
			return nil, fmt.Errorf("%w: cluster: %s refused the password: %s", tempest.ErrInvalidArgument, addr, v.Str)
		}
	}
	v, err := readReply(r)
	switch {
	case err != nil:
		return nil, err
	case v.Kind == '-':
		return nil, fmt.Errorf("%w: cluster: %s refused the join: %s", tempest.ErrInvalidArgument, addr, v.Str)
	case v.Kind != '$' || v.Null:
		return nil, fmt.Errorf("cluster: %s answered the join with %q", addr, v.Encode())
	}
	var l Layout
	if err := json.Unmarshal([]byte(v.Str), &l); err != nil {
		return nil, fmt.Errorf("cluster: %s answered the join with a bad layout: %v", addr, err)
	}
	return &l, l.Validate()
}

// readReply reads and parses one reply.
func readReply(r *bufio.Reader) (resp.Value, error) {
	raw, err := resp.Read(r)
	if err != nil {
		return resp.Value{}, err
	}
	v, _, err := resp.Parse(raw)
	return v, err
}
