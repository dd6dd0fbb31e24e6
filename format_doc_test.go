package tempest

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/format.md from the package docs")

// formatDocSources are the files whose package comments document the
// on-disk formats, in the order docs/format.md presents them.
var formatDocSources = []struct{ title, file string }{
	{"Keys and trailers (internal/base)", "internal/base/doc.go"},
	{"Write batches (the WAL record payload)", "batch.go"},
	{"Records of the WAL and the journal (internal/record)", "internal/record/doc.go"},
	{"Write-ahead log (wal)", "wal/doc.go"},
	{"Sorted string tables (sstable)", "sstable/doc.go"},
	{"Blob files (internal/blob)", "internal/blob/doc.go"},
	{"Journal files (journal)", "journal/doc.go"},
	{"Manifest edits (internal/manifest)", "internal/manifest/doc.go"},
	{"Backup repositories (backup)", "backup/doc.go"},
	{"Values of tempest serve and its cluster (server/rediscmd)", "server/rediscmd/value.go"},
	{"Raft logs and stable state (raftstore)", "raftstore/doc.go"},
	{"Cluster nodes (cluster)", "cluster/format.go"},
}

// TestFormatDocUpToDate keeps docs/format.md equal to the format
// documentation written beside the code. Run with -update-docs to
// regenerate it.
func TestFormatDocUpToDate(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Tempest on-disk formats\n\n")
	b.WriteString("Generated from the package documentation beside each implementation\n")
	b.WriteString("(`go test -run TestFormatDocUpToDate -update-docs .` rewrites it; a test\n")
	b.WriteString("fails when it is stale). All integers are little-endian unless stated;\n")
	b.WriteString("every checksum is CRC-64/Jones (`internal/crc`: reflected polynomial\n")
	b.WriteString("0x95AC9329AC4BC9B5, init 0, no final xor; check value of \"123456789\" is\n")
	b.WriteString("0xe9c6d914c4b8d9ca).\n\n")
	b.WriteString("A database directory holds `LOCK`, `manifest/manifest-NNNNNN` (journal\n")
	b.WriteString("files), `wal/NNNNNN.log`, `sst/NNNNNN.sst` and `sst/NNNNNN.blob`.\n")
	for _, s := range formatDocSources {
		src, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n## " + s.title + "\n\n")
		b.WriteString(commentText(string(src)))
	}
	want := b.String()
	if *updateDocs {
		if err := os.WriteFile("docs/format.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("docs/format.md")
	if err != nil || string(got) != want {
		t.Fatalf("docs/format.md is stale: run go test -run TestFormatDocUpToDate -update-docs .")
	}
}

// commentText extracts the format documentation of a Go file: the package
// comment of a doc.go, or the first comment block that documents a format
// (one that contains a drawn layout) elsewhere. Go doc headings become
// level-3 Markdown headings; indented lines stay indented (code blocks).
func commentText(src string) string {
	var out strings.Builder
	in := false
	for _, line := range strings.Split(src, "\n") {
		text, isComment := strings.CutPrefix(line, "//")
		if !isComment {
			if in {
				break
			}
			continue
		}
		in = true
		text = strings.TrimPrefix(text, " ")
		if h, ok := strings.CutPrefix(text, "# "); ok {
			text = "### " + h
		}
		out.WriteString(text + "\n")
	}
	return out.String()
}
