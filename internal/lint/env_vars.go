package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var envVarRE = regexp.MustCompile(`TEMPEST_[A-Z0-9_]*[A-Z0-9]`)

// EnvVars reports TEMPEST_* variables named in docs/ or README.md that
// no code uses, and those code uses (Go files, tests included, and
// scripts/) that docs/ and README.md never name.
func EnvVars(root string) ([]Violation, error) {
	docs, err := envNames(root, func(rel string) bool {
		return rel == "README.md" || (strings.HasPrefix(rel, "docs/") && strings.HasSuffix(rel, ".md"))
	})
	if err != nil {
		return nil, err
	}
	code, err := envNames(root, func(rel string) bool {
		return strings.HasSuffix(rel, ".go") || strings.HasPrefix(rel, "scripts/") || strings.HasPrefix(rel, ".ci/")
	})
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, name := range sortedKeys(docs) {
		if _, ok := code[name]; !ok {
			out = append(out, Violation{"envVars", docs[name], fmt.Sprintf("%s is documented but no code reads it", name)})
		}
	}
	for _, name := range sortedKeys(code) {
		if _, ok := docs[name]; !ok {
			out = append(out, Violation{"envVars", code[name], fmt.Sprintf("%s is used but docs/ never names it", name)})
		}
	}
	return out, nil
}

// envNames maps each TEMPEST_* name in the files match selects to the
// first place it appears.
func envNames(root string, match func(rel string) bool) (map[string]string, error) {
	names := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !match(rel) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, name := range envVarRE.FindAllString(line, -1) {
				if _, ok := names[name]; !ok {
					names[name] = fmt.Sprintf("%s:%d", rel, i+1)
				}
			}
		}
		return nil
	})
	return names, err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
