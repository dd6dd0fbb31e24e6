package redistest

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/resp"
)

// Step is one line of a scripted session: a command, and the
// normalization applied to both servers' replies before comparing them.
//
// A line may begin with a normalization, applied only where the two
// servers legitimately differ:
//
//	@hello  HELLO's map (alone or in EXEC's array): the values of server,
//	        version and id are blanked
//	@int    an integer reply's value is blanked (CLIENT ID)
//	@ttl    a positive integer is rounded to a multiple of 10 (TTL: the
//	        seconds left may tick between the two servers on a slow
//	        machine; -1 and -2 stay exact)
//	@sort   an array's elements are sorted (KEYS: Redis returns hash order)
//	@pairs  a map's (RESP2: flat array's) pairs are sorted by key (CONFIG
//	        GET of several parameters: Redis returns hash order)
//	@scan   SCAN's key array is sorted (its cursor must match: it is 0 when
//	        COUNT covers every key, in both)
//	@info   only INFO's lines named after @info (comma-separated, e.g.
//	        @info=cluster_enabled,db0) are kept, and db0's avg_ttl is
//	        blanked
type Step struct {
	How  string
	Args []string
}

// Lines parses a session: one command a line, a '...' argument may hold
// spaces; empty lines are skipped.
func Lines(t testing.TB, session string) []Step {
	var out []Step
	for _, line := range strings.Split(session, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		args := SplitArgs(t, line)
		how := ""
		if strings.HasPrefix(args[0], "@") {
			how, args = args[0], args[1:]
		}
		out = append(out, Step{How: how, Args: args})
	}
	return out
}

// SplitArgs splits on spaces; '...' quotes an argument.
func SplitArgs(t testing.TB, line string) []string {
	var args []string
	for i := 0; i < len(line); {
		switch {
		case line[i] == ' ':
			i++
		case line[i] == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unbalanced quote: %s", line)
			}
			args = append(args, line[i+1:i+1+j])
			i += j + 2
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			args = append(args, line[i:i+j])
			i += j
		}
	}
	return args
}

// Normalize applies a step's normalization to a raw reply.
func Normalize(t testing.TB, how string, raw []byte) []byte {
	if how == "" {
		return raw
	}
	v, _, err := resp.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	name, arg, _ := strings.Cut(how, "=")
	switch name {
	case "@sort":
		sortElems(&v)
	case "@scan":
		if len(v.Elems) == 2 {
			sortElems(&v.Elems[1])
		}
	case "@pairs":
		sortPairs(&v)
	case "@ttl":
		if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil && v.Kind == ':' && n > 0 {
			v.Str = strconv.FormatInt((n+5)/10*10, 10)
		}
	case "@int":
		if v.Kind == ':' {
			v.Str = "N"
		}
	case "@hello":
		blankHello(&v)
	case "@info":
		keepInfo(&v, strings.Split(arg, ","))
	default:
		t.Fatalf("unknown normalization %s", how)
	}
	return v.Encode()
}

// sortElems sorts an aggregate's elements by their encoding.
func sortElems(v *resp.Value) {
	sort.Slice(v.Elems, func(i, j int) bool { return bytes.Compare(v.Elems[i].Encode(), v.Elems[j].Encode()) < 0 })
}

func sortPairs(v *resp.Value) {
	var pairs []resp.Value
	for i := 0; i+1 < len(v.Elems); i += 2 {
		pairs = append(pairs, resp.Value{Kind: '*', Elems: v.Elems[i : i+2]})
	}
	p := resp.Value{Elems: pairs}
	sortElems(&p)
	v.Elems = v.Elems[:0:0]
	for _, e := range p.Elems {
		v.Elems = append(v.Elems, e.Elems...)
	}
}

// blankHello blanks the server, version and id values of every HELLO
// reply in v (one inside EXEC's array too).
func blankHello(v *resp.Value) {
	for i := range v.Elems {
		blankHello(&v.Elems[i])
	}
	if len(v.Elems) < 2 || v.Elems[0].Str != "server" {
		return
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		switch v.Elems[i].Str {
		case "server", "version":
			v.Elems[i+1].Str = "X"
		case "id":
			v.Elems[i+1].Str = "N"
		}
	}
}

// keepInfo keeps only the lines of an INFO reply whose field is one of
// fields.
func keepInfo(v *resp.Value, fields []string) {
	text := v.Str
	if v.Kind == '=' {
		text = strings.TrimPrefix(text, "txt:")
	}
	var out []string
	for _, line := range strings.Split(text, "\r\n") {
		k, val, ok := strings.Cut(line, ":")
		if !ok || !contains(fields, k) {
			continue
		}
		if k == "db0" {
			val, _, _ = strings.Cut(val, ",avg_ttl=")
		}
		out = append(out, k+":"+val)
	}
	v.Str = strings.Join(out, "\r\n")
	if v.Kind == '=' {
		v.Str = "txt:" + v.Str
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// Compare runs steps on two connections, the reference (a real
// redis-server) and the one tested, and reports every reply that
// differs after normalization; it returns how many did.
func Compare(t testing.TB, label string, steps []Step, ref, got *Client) int {
	t.Helper()
	fails := 0
	for _, st := range steps {
		want := Normalize(t, st.How, ref.Do(st.Args...))
		have := Normalize(t, st.How, got.Do(st.Args...))
		if !bytes.Equal(want, have) {
			fails++
			t.Errorf("%s %q:\n redis-server: %q\n tempest:      %q", label, st.Args, want, have)
		}
	}
	return fails
}

// CompareClients runs a session of several clients against both
// servers: each line begins with the name of the client that sends it
// (then, optionally, a normalization). ref and got map the names to
// connections to the reference and to the server tested. It reports
// every reply that differs and returns how many did.
func CompareClients(t testing.TB, session string, ref, got map[string]*Client) int {
	t.Helper()
	fails := 0
	for _, line := range strings.Split(strings.TrimSpace(session), "\n") {
		who, rest, _ := strings.Cut(line, " ")
		steps := Lines(t, rest)
		fails += Compare(t, "client "+who, steps, ref[who], got[who])
	}
	return fails
}
