package lint

import (
	"fmt"
	"go/ast"
	"strings"
)

// otherLocks are the DB's mutexes other than d.mu, by the field that
// holds each.
var otherLocks = []string{"commit", "alloc"}

// LockDocs reports methods of the root package's DB named ...Locked that
// use the state of another lock than d.mu (d.commit, d.alloc) without
// saying in their doc comment which lock they require ("d.commit.mu"):
// by the convention, ...Locked alone means d.mu.
func LockDocs(root string) ([]Violation, error) {
	files, err := sourceFiles(root)
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, f := range files {
		if strings.Contains(f.rel, "/") {
			continue // the root package only
		}
		for _, decl := range f.file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Body == nil || !strings.HasSuffix(fd.Name.Name, "Locked") || !isDBReceiver(fd) {
				continue
			}
			doc := fd.Doc.Text()
			for _, lock := range otherLocks {
				name := "d." + lock + ".mu"
				if usesField(fd.Body, lock) && !strings.Contains(doc, name) {
					out = append(out, Violation{"lockDocs", f.pos(fd), fmt.Sprintf("%s uses d.%s but its doc does not say it requires %s", fd.Name.Name, lock, name)})
				}
			}
		}
	}
	return out, nil
}

func isDBReceiver(fd *ast.FuncDecl) bool {
	star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "DB"
}

// usesField reports whether body selects d.<field>.
func usesField(body *ast.BlockStmt, field string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == field {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "d" {
				found = true
			}
		}
		return !found
	})
	return found
}
