package lint

import (
	"go/ast"
	"strings"
)

// panicExempt are the trees where panics are not the engine's: the
// command line's cobra wiring and the benchmark harness.
var panicExempt = []string{"cmd/", "benchmark/", "internal/lint/"}

// Panics reports panics outside invariant checks.
func Panics(root string) ([]Violation, error) {
	files, err := sourceFiles(root)
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, f := range files {
		if exempt(f.rel, panicExempt) {
			continue
		}
		out = append(out, panicsFile(f)...)
	}
	return out, nil
}

func panicsFile(f goFile) []Violation {
	allowed := allowedLines(f, "lint:panic")
	var out []Violation
	var stack []ast.Node
	ast.Inspect(f.file, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		call, ok := n.(*ast.CallExpr)
		if !ok || !isBuiltinPanic(call) {
			return true
		}
		line := f.line(call)
		if allowed[line] || allowed[line-1] || underInvariants(stack) {
			return true
		}
		out = append(out, Violation{"panics", f.pos(call), "panic outside an invariant check (guard it with invariants.Enabled, return an error, or justify it with a lint:panic comment)"})
		return true
	})
	return out
}

func isBuiltinPanic(call *ast.CallExpr) bool {
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "panic" && id.Obj == nil // nil: not a local declaration
}

// underInvariants reports whether the innermost node of stack lies under
// a condition on invariants.Enabled, or in a function that begins by
// returning unless invariants.Enabled.
func underInvariants(stack []ast.Node) bool {
	for _, n := range stack {
		switch n := n.(type) {
		case *ast.IfStmt:
			if mentionsInvariants(n.Cond) {
				return true
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				if mentionsInvariants(e) {
					return true
				}
			}
		case *ast.FuncDecl:
			if n.Body != nil && len(n.Body.List) > 0 {
				if first, ok := n.Body.List[0].(*ast.IfStmt); ok && mentionsInvariants(first.Cond) && returns(first.Body) {
					return true
				}
			}
		}
	}
	return false
}

func mentionsInvariants(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Enabled" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "invariants" {
				found = true
			}
		}
		return !found
	})
	return found
}

func returns(b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	_, ok := b.List[len(b.List)-1].(*ast.ReturnStmt)
	return ok
}

// allowedLines are the lines of f that carry a comment starting with
// marker.
func allowedLines(f goFile, marker string) map[int]bool {
	lines := map[int]bool{}
	for _, g := range f.file.Comments {
		for _, c := range g.List {
			if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(c.Text, "//")), marker) {
				lines[f.fset.Position(c.Pos()).Line] = true
			}
		}
	}
	return lines
}
