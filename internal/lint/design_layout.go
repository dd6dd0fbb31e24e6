package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// tableRowRE matches a row of a Markdown table whose first cell is one
// backquoted path.
var tableRowRE = regexp.MustCompile("^\\| `([a-z0-9_/.-]+)` \\|")

// DesignLayout reports packages of the module that the "## Packages"
// section of docs/design.md does not list in its table, and rows of that
// table that name no package directory.
func DesignLayout(root string) ([]Violation, error) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		return nil, err
	}
	listed := map[string]int{} // path -> line
	in := false
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = line == "## Packages"
			continue
		}
		if m := tableRowRE.FindStringSubmatch(line); in && m != nil {
			listed[m[1]] = i + 1
		}
	}
	files, err := sourceFiles(root)
	if err != nil {
		return nil, err
	}
	var out []Violation
	seen := map[string]bool{}
	for _, f := range files {
		dir := filepath.ToSlash(filepath.Dir(f.rel))
		if dir == "." || seen[dir] {
			continue // the root package is the text above the table
		}
		seen[dir] = true
		if _, ok := listed[dir]; !ok {
			out = append(out, Violation{"designLayout", f.rel + ":1", fmt.Sprintf("package %s is not in the table of docs/design.md's Packages section", dir)})
		}
	}
	for dir, line := range listed {
		if !seen[dir] {
			out = append(out, Violation{"designLayout", fmt.Sprintf("docs/design.md:%d", line), fmt.Sprintf("%s is listed but holds no package", dir)})
		}
	}
	slices.SortFunc(out, func(a, b Violation) int { return strings.Compare(a.Pos, b.Pos) })
	return out, nil
}
