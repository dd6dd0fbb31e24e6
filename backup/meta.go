package backup

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// metaMagic is the first line of a metadata file (format in doc.go).
const metaMagic = "tempest-backup 1"

// fileEntry is one file of a backup.
type fileEntry struct {
	path     string
	size     int64
	checksum uint64 // XXH3-64 of the whole file
	shared   bool
}

// backupMeta is the content of one metadata file.
type backupMeta struct {
	id    uint64
	time  time.Time
	seq   uint64
	dirs  []string
	files []fileEntry
}

func (m *backupMeta) info() Info {
	in := Info{ID: m.id, Time: m.time, Seq: m.seq, Files: len(m.files)}
	for _, f := range m.files {
		in.Bytes += f.size
	}
	return in
}

func (m *backupMeta) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nid %d\ntime %d\nseq %d\n", metaMagic, m.id, m.time.UnixNano(), m.seq)
	for _, d := range m.dirs {
		fmt.Fprintf(&b, "dir %s\n", d)
	}
	for _, f := range m.files {
		kind := "private"
		if f.shared {
			kind = "shared"
		}
		fmt.Fprintf(&b, "file %s %d %016x %s\n", f.path, f.size, f.checksum, kind)
	}
	fmt.Fprintf(&b, "crc %016x\n", crc.Checksum(b.Bytes()))
	return b.Bytes()
}

// decodeMeta parses a metadata file; any damage is ErrCorruption naming
// name.
func decodeMeta(name string, data []byte) (*backupMeta, error) {
	body, sum, ok := splitCRC(data)
	if !ok || crc.Checksum(body) != sum {
		return nil, base.Corruptionf(name, 0, "backup metadata checksum mismatch")
	}
	m := &backupMeta{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		if err := m.parseLine(line, sc.Text()); err != nil {
			return nil, base.Corruptionf(name, 0, "backup metadata line %d: %v", line+1, err)
		}
		line++
	}
	if line < 4 {
		return nil, base.Corruptionf(name, 0, "backup metadata truncated")
	}
	return m, nil
}

// splitCRC splits data into the bytes before its last line, which must be
// "crc <hex>\n", and that checksum.
func splitCRC(data []byte) (body []byte, sum uint64, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, 0, false
	}
	i := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	last := string(data[i : len(data)-1])
	hex, found := strings.CutPrefix(last, "crc ")
	if !found {
		return nil, 0, false
	}
	sum, err := strconv.ParseUint(hex, 16, 64)
	return data[:i], sum, err == nil
}

func (m *backupMeta) parseLine(n int, line string) (err error) {
	f := strings.Fields(line)
	want := [...]string{0: "tempest-backup", 1: "id", 2: "time", 3: "seq"}
	if n < len(want) {
		if len(f) != 2 || f[0] != want[n] {
			return fmt.Errorf("want %q record", want[n])
		}
	}
	switch {
	case n == 0:
		if line != metaMagic {
			return fmt.Errorf("unknown format %q", line)
		}
	case n == 1:
		m.id, err = strconv.ParseUint(f[1], 10, 64)
	case n == 2:
		var ns int64
		ns, err = strconv.ParseInt(f[1], 10, 64)
		m.time = time.Unix(0, ns)
	case n == 3:
		m.seq, err = strconv.ParseUint(f[1], 10, 64)
	case len(f) == 2 && f[0] == "dir":
		m.dirs = append(m.dirs, f[1])
	case len(f) == 5 && f[0] == "file":
		return m.parseFile(f[1:])
	default:
		return fmt.Errorf("unknown record %q", line)
	}
	return err
}

func (m *backupMeta) parseFile(f []string) error {
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || size < 0 {
		return fmt.Errorf("bad size %q", f[1])
	}
	sum, err := strconv.ParseUint(f[2], 16, 64)
	if err != nil {
		return fmt.Errorf("bad checksum %q", f[2])
	}
	if f[3] != "shared" && f[3] != "private" {
		return fmt.Errorf("bad kind %q", f[3])
	}
	if !validRelPath(f[0]) {
		return fmt.Errorf("bad path %q", f[0])
	}
	m.files = append(m.files, fileEntry{path: f[0], size: size, checksum: sum, shared: f[3] == "shared"})
	return nil
}

// validRelPath accepts a relative '/'-separated path without "." or ".."
// elements, so that a damaged or hostile metadata file cannot name a file
// outside the restore destination.
func validRelPath(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == "" || e == "." || e == ".." || strings.ContainsRune(e, '\\') {
			return false
		}
	}
	return true
}
