package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tempestdb/tempest"
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
	var req strings.Builder
	if password != "" {
		writeCommand(&req, "AUTH", password)
	}
	writeCommand(&req, "CLUSTER", "TEMPEST-JOIN", me.ID, me.Addr, me.Bus)
	if _, err := io.WriteString(c, req.String()); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	if password != "" {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line != "+OK\r\n" {
			return nil, fmt.Errorf("%w: cluster: %s refused the password: %s", tempest.ErrInvalidArgument, addr, strings.TrimSpace(line))
		}
	}
	return readJoinReply(r, addr)
}

// writeCommand appends a command's RESP encoding to b.
func writeCommand(b *strings.Builder, args ...string) {
	fmt.Fprintf(b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(b, "$%d\r\n%s\r\n", len(a), a)
	}
}

// readJoinReply reads the member's answer to CLUSTER TEMPEST-JOIN: the
// layout as JSON, or an error.
func readJoinReply(r *bufio.Reader, addr string) (*Layout, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if strings.HasPrefix(line, "-") {
		return nil, fmt.Errorf("%w: cluster: %s refused the join: %s", tempest.ErrInvalidArgument, addr, line[1:])
	}
	size, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
	if !strings.HasPrefix(line, "$") || err != nil || size < 0 || size > 1<<24 {
		return nil, fmt.Errorf("cluster: %s answered the join with %q", addr, line)
	}
	b := make([]byte, size+2)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	var l Layout
	if err := json.Unmarshal(b[:size], &l); err != nil {
		return nil, fmt.Errorf("cluster: %s answered the join with a bad layout: %v", addr, err)
	}
	return &l, l.Validate()
}
