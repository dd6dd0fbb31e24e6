package cluster

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

func itoa(n int) string { return strconv.Itoa(n) }

// noResendHook keeps go-redis's ClusterClient from sending a write again
// once a try of it may have applied: the client retries a command after
// a connection error or a timeout (on the same node, then another),
// which would apply a write twice. Redirects (MOVED, TRYAGAIN,
// CLUSTERDOWN) say the write was not applied, so those are still
// followed.
type noResendHook struct{}

var maybeApplied sync.Map // redis.Cmder -> true

func (noResendHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (noResendHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if _, ok := maybeApplied.Load(cmd); ok {
			err := errNotResent
			cmd.SetErr(err)
			return err
		}
		err := next(ctx, cmd)
		if err != nil && err != redis.Nil && !notApplied(err) {
			maybeApplied.Store(cmd, true)
		}
		return err
	}
}

func (noResendHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// notApplied reports whether a reply error says the command did nothing.
func notApplied(err error) bool {
	s := err.Error()
	for _, p := range []string{"MOVED ", "ASK ", "TRYAGAIN ", "CLUSTERDOWN ", "CROSSSLOT "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

type resendError struct{}

func (resendError) Error() string { return "ERR not resent: the first try may have applied" }

var errNotResent error = resendError{}
