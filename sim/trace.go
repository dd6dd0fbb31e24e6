package sim

import (
	"fmt"
	"strings"
)

// tracef appends a line to the run's trace: every step, its operation and
// its outcome, every injected fault and every crash. Two runs of one seed
// must produce byte-identical traces.
func (s *Sim) tracef(format string, args ...any) {
	fmt.Fprintf(&s.trace, format, args...)
	s.trace.WriteByte('\n')
}

// traceTail returns the last n lines of the trace.
func (s *Sim) traceTail(n int) string {
	lines := strings.Split(strings.TrimSuffix(s.trace.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// errString renders an error for the trace; nil is "ok".
func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
