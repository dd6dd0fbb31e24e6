package lint

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository's root, two levels up.
const repoRoot = "../.."

// rules are the project's own rules.
var rules = map[string]func(root string) ([]Violation, error){
	"fsSeam":       FSSeam,
	"panics":       Panics,
	"funcLength":   FuncLength,
	"envVars":      EnvVars,
	"designLayout": DesignLayout,
	"lockDocs":     LockDocs,
}

// TestRepository runs every rule of the project on the repository.
func TestRepository(t *testing.T) {
	for name, rule := range rules {
		t.Run(name, func(t *testing.T) {
			vs, err := rule(repoRoot)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				t.Error(v)
			}
		})
	}
}

// staticcheckVersion is the pinned staticcheck release.
const staticcheckVersion = "honnef.co/go/tools/cmd/staticcheck@v0.8.2"

// staticcheck runs the pinned staticcheck on ./... in dir.
func staticcheck(t *testing.T, dir string) (string, error) {
	t.Helper()
	c := exec.Command("go", "run", staticcheckVersion, "./...")
	c.Dir = dir
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.String(), err
}

// TestStaticcheck runs the pinned staticcheck on the repository's module
// (with its default checks and the repository's staticcheck.conf).
func TestStaticcheck(t *testing.T) {
	if out, err := staticcheck(t, repoRoot); err != nil {
		t.Fatalf("staticcheck: %v\n%s", err, out)
	}
}

// plant writes files (path → content) into a fresh tree and returns its
// root.
func plant(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestRulesCatchPlanted plants, for each rule, one violation and its
// permitted variants, and requires the rule to report exactly the
// violations.
func TestRulesCatchPlanted(t *testing.T) {
	// long is MaxFuncLines+1 lines long, fits MaxFuncLines.
	long := "package p\n\nfunc long() {\n" + strings.Repeat("\t_ = 1\n", MaxFuncLines-1) + "}\n\nfunc fits() {\n" + strings.Repeat("\t_ = 1\n", MaxFuncLines-2) + "}\n"
	// The variables' names are built, so that this file names neither.
	documented, stale, hidden := "TEMPEST_"+"DOCUMENTED", "TEMPEST_"+"STALE", "TEMPEST_"+"HIDDEN"
	cases := []struct {
		rule  string
		files map[string]string
		want  []string // file:line of each violation
	}{
		{"fsSeam", map[string]string{
			"wal/w.go":   "package wal\n\nimport \"os\"\n\nfunc f() { os.Remove(\"x\") }\n",
			"wal/s.go":   "package wal\n\nimport \"syscall\"\n\nfunc g() { _ = syscall.Fsync(1) }\n",
			"wal/ok.go":  "package wal\n\nimport \"os\"\n\nfunc h() string { return os.Getenv(\"X\") }\n",
			"vfs/v.go":   "package vfs\n\nimport \"os\"\n\nfunc f() { os.Remove(\"x\") }\n",
			"tool/t.go":  "package tool\n\nimport \"os\"\n\nfunc f() { os.Remove(\"x\") }\n",
			"x_test.go":  "package p\n\nimport \"os\"\n\nfunc f() { os.Remove(\"x\") }\n",
			"named/n.go": "package n\n\nimport xos \"os\"\n\nfunc f() { xos.Rename(\"a\", \"b\") }\n",
		}, []string{"named/n.go:5", "wal/s.go:5", "wal/w.go:5"}},
		{"panics", map[string]string{
			"p.go": "package p\n\nfunc f() { panic(\"x\") }\n" +
				"\nfunc g() {\n\tif invariants.Enabled {\n\t\tpanic(\"ok\")\n\t}\n}\n" +
				"\nfunc h() {\n\tif !invariants.Enabled {\n\t\treturn\n\t}\n\tpanic(\"ok\")\n}\n" +
				"\nfunc i() {\n\t// lint:panic a programmer error\n\tpanic(\"ok\")\n}\n" +
				"\nfunc j(n int) {\n\tswitch {\n\tcase n < 0 && invariants.Enabled:\n\t\tpanic(\"ok\")\n\t}\n\tpanic(\"no\")\n}\n",
		}, []string{"p.go:3", "p.go:28"}},
		{"funcLength", map[string]string{"p.go": long}, []string{"p.go:3"}},
		{"designLayout", map[string]string{
			"docs/design.md": "# D\n\n## Packages\n\n| package | owns |\n|---|---|\n| `wal` | logs |\n| `gone` | nothing |\n\n## Other\n\n| `other` | not the table |\n",
			"wal/w.go":       "package wal\n",
			"sst/s.go":       "package sst\n",
			"other/o.go":     "package other\n",
			"root.go":        "package root\n",
		}, []string{"docs/design.md:8", "other/o.go:1", "sst/s.go:1"}},
		{"lockDocs", map[string]string{
			"db.go": "package tempest\n\ntype DB struct{ commit, alloc struct{ n int } }\n\n" +
				"// aLocked needs d.commit.mu.\nfunc (d *DB) aLocked() { d.commit.n++ }\n\n" +
				"// bLocked says nothing.\nfunc (d *DB) bLocked() { d.alloc.n++ }\n\n" +
				"func (d *DB) cLocked() {}\n\nfunc (d *DB) plain() { d.alloc.n++ }\n",
			"sub/x.go": "package sub\n\ntype DB struct{ alloc int }\n\nfunc (d *DB) xLocked() { d.alloc++ }\n",
		}, []string{"db.go:9"}},
		{"envVars", map[string]string{
			"docs/testing.md": documented + " and " + stale + "\n",
			"x_test.go":       "package p\n\nvar a = \"" + documented + "\"\nvar b = \"" + hidden + "\"\n",
		}, []string{"docs/testing.md:1", "x_test.go:4"}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			vs, err := rules[c.rule](plant(t, c.files))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Pos)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("%s reported %v, want %v:\n%v", c.rule, got, c.want, vs)
			}
		})
	}
}

// TestStaticcheckCatchesPlanted: the pinned staticcheck fails a module
// holding an unused function (U1000).
func TestStaticcheckCatchesPlanted(t *testing.T) {
	root := plant(t, map[string]string{
		"go.mod": "module planted\n\ngo 1.26\n",
		"p.go":   "package p\n\nfunc unused() {}\n",
	})
	out, err := staticcheck(t, root)
	if err == nil || !strings.Contains(out, "U1000") {
		t.Fatalf("staticcheck on a planted U1000: %v\n%s", err, out)
	}
}
