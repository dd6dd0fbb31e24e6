package lint

import (
	"fmt"
	"go/ast"
)

// MaxFuncLines is the longest a function of non-test code may be, from
// its signature to its closing brace.
const MaxFuncLines = 100

// FuncLength reports functions longer than MaxFuncLines.
func FuncLength(root string) ([]Violation, error) {
	files, err := sourceFiles(root)
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, f := range files {
		ast.Inspect(f.file, func(n ast.Node) bool {
			var body *ast.BlockStmt
			switch n := n.(type) {
			case *ast.FuncDecl:
				body = n.Body
			case *ast.FuncLit:
				body = n.Body
			default:
				return true
			}
			if body == nil {
				return true
			}
			lines := f.fset.Position(n.End()).Line - f.line(n) + 1
			if lines > MaxFuncLines {
				out = append(out, Violation{"funcLength", f.pos(n), fmt.Sprintf("function of %d lines, over %d: split it", lines, MaxFuncLines)})
			}
			return true
		})
	}
	return out, nil
}
