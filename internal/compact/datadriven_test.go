package compact

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// The datadriven tests in testdata/*.txt are sequences of blocks:
//
//	command arg=value ...
//	input lines (optional)
//	----
//	expected output lines
//	(blank line)
//
// Lines starting with # between blocks are comments. Commands:
//
//	define [cmp=suffix] [l0-threshold=N] [l0-stop=N] [lbase=SIZE]
//	       [multiplier=N] [target=SIZE] [max-compaction=SIZE]
//	       [density=F] [min-entries=N]
//	    Describes the LSM, one level per line: "L0: 1:[a#10-c#12] 2:[b-d]
//	    size=2MiB". A file is num:[smallest-largest]; a key is user#seq or
//	    user#seq,DEL (seq defaults to 1, kind to SET; user#max,RANGEDEL is
//	    an exclusive sentinel, whose seqnum does not count toward the
//	    file's seqnum range). Attributes after a
//	    file apply to it: size=SIZE (default 1MiB), entries=N, dels=N,
//	    seqs=LO-HI (default: from the keys). cmp=suffix uses
//	    base.FixedSuffixComparer(1). Clears the compactions in progress
//	    unless keep is given (they name files by number, so a new LSM
//	    holding the same files, as after more flushes, keeps them busy).
//	    Prints the LSM.
//	info
//	    Prints the base level, and each level's size, target and score.
//	pick [snapshot=SEQ] [hold]
//	    Prints Pick's choice (PickAt with snapshot=), or nil; hold keeps it
//	    as in progress for the next commands.
//	pick-all
//	    Picks and holds until nil, printing each choice.
//	pick-manual level=N [start=KEY] [end=KEY] [hold]
//	    Prints PickManual's choice.
//	pick-delete-only [snapshots=SEQ,SEQ...] [hold]
//	    Prints PickDeleteOnly's choice given the open snapshots and the
//	    hints on the input lines, one a line: "[start,end)#seq in=FILE".
//	pick-read [hold]
//	    Prints PickRead's choice.
//	release
//	    Forgets the compactions in progress.
//
// Sizes take a unit: B, KiB, MiB, GiB (or K, M, G). Run with -rewrite to
// regenerate the expected output.
func TestDataDriven(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) { runDataDriven(t, path) })
	}
}

type ddBlock struct {
	line    int // of the command
	cmd     string
	input   []string
	want    []string
	comment []string // lines before the command
}

func parseBlocks(t *testing.T, path string) []ddBlock {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var blocks []ddBlock
	var comment []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			comment = append(comment, l)
			continue
		}
		blk := ddBlock{line: i + 1, cmd: l, comment: comment}
		comment = nil
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			blk.input = append(blk.input, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: no ---- after the command", path, blk.line)
		}
		for i++; i < len(lines) && lines[i] != ""; i++ {
			blk.want = append(blk.want, lines[i])
		}
		blocks = append(blocks, blk)
	}
	return blocks
}

func runDataDriven(t *testing.T, path string) {
	blocks := parseBlocks(t, path)
	d := &ddState{}
	var out strings.Builder
	for _, blk := range blocks {
		got := d.run(blk.cmd, blk.input)
		if !*rewriteFlag && strings.Join(blk.want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, blk.line, blk.cmd,
				strings.Join(got, "\n"), strings.Join(blk.want, "\n"))
		}
		for _, l := range blk.comment {
			out.WriteString(l + "\n")
		}
		out.WriteString(blk.cmd + "\n")
		for _, l := range blk.input {
			out.WriteString(l + "\n")
		}
		out.WriteString("----\n")
		for _, l := range got {
			out.WriteString(l + "\n")
		}
		out.WriteString("\n")
	}
	if *rewriteFlag {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ddState is the state of one datadriven file.
type ddState struct {
	p          *Picker
	cmp        *base.Comparer
	v          *manifest.Version
	inProgress []*Compaction
}

func (d *ddState) run(cmdLine string, input []string) []string {
	fields := strings.Fields(cmdLine)
	args := make(map[string]string)
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		args[k] = v
	}
	_, hold := args["hold"]
	if fields[0] != "define" && d.v == nil {
		return []string{"error: no LSM defined"}
	}
	switch fields[0] {
	case "define":
		out, err := d.define(args, input)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		return out
	case "info":
		return d.info()
	case "pick":
		snap := base.SeqNumMax
		if s, ok := args["snapshot"]; ok {
			snap = base.SeqNum(mustUint(s))
		}
		return d.show(d.p.PickAt(d.v, d.inProgress, snap), hold)
	case "pick-all":
		var out []string
		for {
			c := d.p.Pick(d.v, d.inProgress)
			if c == nil {
				return append(out, "nil")
			}
			out = append(out, d.show(c, true)...)
		}
	case "pick-manual":
		var start, end []byte
		if s, ok := args["start"]; ok {
			start = []byte(s)
		}
		if s, ok := args["end"]; ok {
			end = []byte(s)
		}
		return d.show(d.p.PickManual(d.v, int(mustUint(args["level"])), start, end, d.inProgress), hold)
	case "pick-delete-only":
		hints, err := parseHints(input)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		var snaps []base.SeqNum
		if s, ok := args["snapshots"]; ok && s != "" {
			for _, x := range strings.Split(s, ",") {
				snaps = append(snaps, base.SeqNum(mustUint(x)))
			}
		}
		return d.show(d.p.PickDeleteOnly(d.v, d.inProgress, hints, snaps), hold)
	case "pick-read":
		return d.show(d.p.PickRead(d.v, d.inProgress), hold)
	case "release":
		d.inProgress = nil
		return []string{"ok"}
	}
	return []string{"unknown command " + fields[0]}
}

func (d *ddState) show(c *Compaction, hold bool) []string {
	if c == nil {
		return []string{"nil"}
	}
	if hold {
		d.inProgress = append(d.inProgress, c)
	}
	return []string{c.String()}
}

func (d *ddState) define(args map[string]string, input []string) ([]string, error) {
	d.cmp = base.DefaultComparer
	if args["cmp"] == "suffix" {
		d.cmp = base.FixedSuffixComparer(1)
	}
	var o Options
	for k, v := range args {
		switch k {
		case "cmp", "keep":
		case "l0-threshold":
			o.L0CompactionThreshold = int(mustUint(v))
		case "l0-stop":
			o.L0StopWritesThreshold = int(mustUint(v))
		case "lbase":
			o.LBaseMaxBytes = mustSize(v)
		case "multiplier":
			o.LevelMultiplier = int(mustUint(v))
		case "target":
			o.TargetFileSize = mustSize(v)
		case "max-compaction":
			o.MaxCompactionBytes = mustSize(v)
		case "density":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, err
			}
			o.TombstoneDensity = f
		case "min-entries":
			o.MinTombstoneFileEntries = mustUint(v)
		default:
			return nil, fmt.Errorf("unknown define argument %q", k)
		}
	}
	d.p = NewPicker(d.cmp, o)
	if _, keep := args["keep"]; !keep {
		d.inProgress = nil
	}
	d.v = nil
	files, err := parseLSM(input)
	if err != nil {
		return nil, err
	}
	v, err := manifest.NewVersion(d.cmp, files)
	if err != nil {
		return nil, err
	}
	d.v = v
	return formatLSM(d.cmp, v), nil
}

// parseLSM parses "Ln: file attr... file ..." lines.
func parseLSM(lines []string) ([]*manifest.FileMetadata, error) {
	var files []*manifest.FileMetadata
	for _, line := range lines {
		head, rest, ok := strings.Cut(line, ":")
		level, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(head), "L"))
		if !ok || err != nil || !strings.HasPrefix(strings.TrimSpace(head), "L") {
			return nil, fmt.Errorf("bad level line %q", line)
		}
		var f *manifest.FileMetadata
		for _, tok := range strings.Fields(rest) {
			if strings.Contains(tok, ":[") {
				if f, err = parseFile(tok, level); err != nil {
					return nil, err
				}
				files = append(files, f)
				continue
			}
			if f == nil {
				return nil, fmt.Errorf("attribute %q before any file", tok)
			}
			if err := setAttr(f, tok); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// parseFile parses num:[smallest-largest].
func parseFile(tok string, level int) (*manifest.FileMetadata, error) {
	numStr, rng, _ := strings.Cut(tok, ":[")
	num, err := strconv.ParseUint(numStr, 10, 64)
	if err != nil || !strings.HasSuffix(rng, "]") {
		return nil, fmt.Errorf("bad file %q", tok)
	}
	lo, hi, ok := strings.Cut(strings.TrimSuffix(rng, "]"), "-")
	if !ok {
		return nil, fmt.Errorf("bad file range %q", tok)
	}
	f := &manifest.FileMetadata{FileNum: base.FileNum(num), Level: level, Size: 1 << 20}
	if f.Smallest, err = parseKey(lo); err != nil {
		return nil, err
	}
	if f.Largest, err = parseKey(hi); err != nil {
		return nil, err
	}
	f.SmallestSeq, f.LargestSeq = keySeqs(f)
	return f, nil
}

// keySeqs returns the seqnum range of f's bounds, leaving out an exclusive
// sentinel: the default of the seqs attribute.
func keySeqs(f *manifest.FileMetadata) (lo, hi base.SeqNum) {
	lo, hi = f.Smallest.SeqNum(), f.Smallest.SeqNum()
	if !f.Largest.IsExclusiveSentinel() {
		lo, hi = min(lo, f.Largest.SeqNum()), max(hi, f.Largest.SeqNum())
	}
	return lo, hi
}

// parseHints parses "[start,end)#seq in=FILE" lines.
func parseHints(lines []string) ([]DeleteHint, error) {
	var hints []DeleteHint
	for _, line := range lines {
		rng, file, ok := strings.Cut(strings.TrimSpace(line), " in=")
		span, seq, ok2 := strings.Cut(rng, ")#")
		start, end, ok3 := strings.Cut(strings.TrimPrefix(span, "["), ",")
		if !ok || !ok2 || !ok3 || !strings.HasPrefix(span, "[") {
			return nil, fmt.Errorf("bad hint %q", line)
		}
		hints = append(hints, DeleteHint{
			Start: []byte(start), End: []byte(end),
			Seq: base.SeqNum(mustUint(seq)), File: base.FileNum(mustUint(file)),
		})
	}
	return hints, nil
}

// parseKey parses user[#seq[,DEL]].
func parseKey(s string) (base.InternalKey, error) {
	user, rest, _ := strings.Cut(s, "#")
	seq, kind := uint64(1), base.KindSet
	if rest != "" {
		seqStr, kindStr, _ := strings.Cut(rest, ",")
		var err error
		if seqStr == "max" {
			seq = uint64(base.SeqNumMax)
		} else if seq, err = strconv.ParseUint(seqStr, 10, 64); err != nil {
			return base.InternalKey{}, fmt.Errorf("bad key %q", s)
		}
		switch kindStr {
		case "", "SET":
		case "DEL":
			kind = base.KindDelete
		case "RANGEDEL":
			kind = base.KindRangeDelete
		default:
			return base.InternalKey{}, fmt.Errorf("bad kind in %q", s)
		}
	}
	return base.MakeInternalKey([]byte(user), base.SeqNum(seq), kind), nil
}

func setAttr(f *manifest.FileMetadata, tok string) error {
	k, v, _ := strings.Cut(tok, "=")
	switch k {
	case "size":
		f.Size = mustSize(v)
	case "entries":
		f.EntryCount = mustUint(v)
	case "dels":
		f.DeletionCount = mustUint(v)
	case "seqs":
		lo, hi, _ := strings.Cut(v, "-")
		f.SmallestSeq, f.LargestSeq = base.SeqNum(mustUint(lo)), base.SeqNum(mustUint(hi))
	default:
		return fmt.Errorf("unknown file attribute %q", tok)
	}
	return nil
}

// formatLSM prints v in the define syntax, levels in order.
func formatLSM(cmp *base.Comparer, v *manifest.Version) []string {
	var out []string
	for level, files := range v.Levels {
		if len(files) == 0 {
			continue
		}
		parts := []string{fmt.Sprintf("L%d:", level)}
		for _, f := range files {
			s := fmt.Sprintf("%d:[%s-%s]", uint64(f.FileNum), fmtKey(f.Smallest), fmtKey(f.Largest))
			if f.Size != 1<<20 {
				s += " size=" + FormatBytes(f.Size)
			}
			if lo, hi := keySeqs(f); f.SmallestSeq != lo || f.LargestSeq != hi {
				s += fmt.Sprintf(" seqs=%d-%d", uint64(f.SmallestSeq), uint64(f.LargestSeq))
			}
			if f.EntryCount != 0 || f.DeletionCount != 0 {
				s += fmt.Sprintf(" entries=%d dels=%d", f.EntryCount, f.DeletionCount)
			}
			parts = append(parts, s)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if len(out) == 0 {
		out = append(out, "(empty)")
	}
	return out
}

func fmtKey(k base.InternalKey) string {
	if k.IsExclusiveSentinel() {
		return fmt.Sprintf("%s#max,RANGEDEL", k.UserKey)
	}
	s := fmt.Sprintf("%s#%d", k.UserKey, uint64(k.SeqNum()))
	switch k.Kind() {
	case base.KindDelete:
		s += ",DEL"
	case base.KindRangeDelete:
		s += ",RANGEDEL"
	}
	return s
}

func (d *ddState) info() []string {
	li := d.p.Info(d.v, d.inProgress)
	out := []string{fmt.Sprintf("base=L%d l0-files=%d stop-writes=%t", li.BaseLevel, li.L0Files, li.StopWrites)}
	for level := 0; level < NumLevels; level++ {
		if li.Bytes[level] == 0 && (level != 0 && level < li.BaseLevel) {
			continue
		}
		s := fmt.Sprintf("L%d: bytes=%s target=%s score=%.2f", level, FormatBytes(li.Bytes[level]),
			FormatBytes(li.MaxBytes[level]), li.Scores[level])
		if li.CompactingBytes[level] > 0 {
			s += " compacting=" + FormatBytes(li.CompactingBytes[level])
		}
		out = append(out, s)
	}
	return out
}

func mustUint(s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("bad number %q", s))
	}
	return n
}

// mustSize parses a size such as 64MiB, 2M or 700.
func mustSize(s string) uint64 {
	units := map[string]uint64{"": 1, "B": 1, "K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20, "G": 1 << 30, "GiB": 1 << 30}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	mult, ok := units[s[i:]]
	f, err := strconv.ParseFloat(s[:i], 64)
	if !ok || err != nil {
		panic(fmt.Sprintf("bad size %q", s))
	}
	return uint64(f * float64(mult))
}

// sortedNums returns the file numbers of files, sorted.
func sortedNums(files []*manifest.FileMetadata) []uint64 {
	out := make([]uint64, len(files))
	for i, f := range files {
		out[i] = uint64(f.FileNum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
