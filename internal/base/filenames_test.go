package base

import "testing"

// TestFilenames: names round-trip, only canonical spellings parse, and a
// name of one type never parses as another.
func TestFilenames(t *testing.T) {
	for _, num := range []FileNum{1, 12, 999999, 1000000, 1 << 40} {
		for _, ft := range []FileType{FileTypeWAL, FileTypeSST} {
			name := MakeFilename(ft, num)
			if got, ok := ParseFilename(ft, name); !ok || got != num {
				t.Fatalf("ParseFilename(%q) = %d, %v", name, got, ok)
			}
			if _, ok := ParseFilename(1-ft, name); ok {
				t.Fatalf("%q parses as the other type", name)
			}
		}
		j := MakeJournalFilename(ManifestPrefix, uint64(num))
		if got, ok := ParseJournalFilename(ManifestPrefix, j); !ok || got != uint64(num) {
			t.Fatalf("ParseJournalFilename(%q) = %d, %v", j, got, ok)
		}
	}
	for _, bad := range []string{"12.sst", "0000012.sst", "+00012.sst", "000012.sst.tmp", ".sst", "00001a.sst"} {
		if _, ok := ParseFilename(FileTypeSST, bad); ok {
			t.Errorf("%q parses", bad)
		}
	}
	for _, bad := range []string{"manifest-12", "manifest-0000012", "manifest--00012", "manifest-000012.tmp", "manifests-000012"} {
		if _, ok := ParseJournalFilename(ManifestPrefix, bad); ok {
			t.Errorf("%q parses", bad)
		}
	}
}
