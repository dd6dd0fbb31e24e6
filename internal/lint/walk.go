package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// Violation is one finding of a rule.
type Violation struct {
	Rule string
	Pos  string // file:line, relative to the repository root
	Msg  string
}

func (v Violation) String() string { return v.Pos + ": " + v.Rule + ": " + v.Msg }

// goFile is one parsed file of non-test code.
type goFile struct {
	rel  string // slash-separated path from the root
	fset *token.FileSet
	file *ast.File
}

// skipDirs are directories the rules do not read: nested modules, which
// have their own dependencies and purposes, and test data.
var skipDirs = map[string]bool{
	".git":            true,
	"testdata":        true,
	"benchmark/peers": true,
	"importer":        true,
}

// sourceFiles parses every non-test Go file under root.
func sourceFiles(root string) ([]goFile, error) {
	var files []goFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipDirs[rel] || skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, goFile{rel: rel, fset: fset, file: f})
		return nil
	})
	return files, err
}

// pos formats n's position in f.
func (f goFile) pos(n ast.Node) string {
	return f.rel + ":" + strconv.Itoa(f.fset.Position(n.Pos()).Line)
}

func (f goFile) line(n ast.Node) int { return f.fset.Position(n.Pos()).Line }

// importName is the name under which f imports path, or "" if it does
// not.
func (f goFile) importName(path string) string {
	for _, im := range f.file.Imports {
		if strings.Trim(im.Path.Value, `"`) != path {
			continue
		}
		if im.Name != nil {
			return im.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}
