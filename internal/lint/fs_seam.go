package lint

import (
	"go/ast"
	"strings"
)

// osFileFuncs are the os functions that touch files or directories.
var osFileFuncs = map[string]bool{
	"Open": true, "OpenFile": true, "Create": true, "CreateTemp": true,
	"Remove": true, "RemoveAll": true, "Rename": true, "Link": true, "Symlink": true,
	"Mkdir": true, "MkdirAll": true, "MkdirTemp": true, "ReadDir": true,
	"ReadFile": true, "WriteFile": true, "Stat": true, "Lstat": true,
	"Truncate": true, "Chmod": true, "Chown": true, "Chtimes": true, "DirFS": true,
	"NewFile": true,
}

// syscallPackages are the packages whose every call bypasses vfs.
var syscallPackages = []string{"syscall", "golang.org/x/sys/unix", "golang.org/x/sys/windows"}

// fsSeamExempt are the directories and files that may reach the OS: the
// seam itself, the command line (which reads the user's files by name),
// the benchmark harness, anonymous memory, and the descriptor limit.
var fsSeamExempt = []string{
	"vfs/", "tool/", "cmd/", "benchmark/", "internal/lint/",
	"internal/manual/", "open_files_unix.go",
}

// FSSeam reports engine code that reaches files other than through vfs.
func FSSeam(root string) ([]Violation, error) {
	files, err := sourceFiles(root)
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, f := range files {
		if exempt(f.rel, fsSeamExempt) {
			continue
		}
		out = append(out, fsSeamFile(f)...)
	}
	return out, nil
}

func fsSeamFile(f goFile) []Violation {
	osName := f.importName("os")
	sys := map[string]string{}
	for _, p := range syscallPackages {
		if n := f.importName(p); n != "" {
			sys[n] = p
		}
	}
	var out []Violation
	ast.Inspect(f.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		switch {
		case osName != "" && x.Name == osName && osFileFuncs[sel.Sel.Name]:
			out = append(out, Violation{"fsSeam", f.pos(call), "os." + sel.Sel.Name + " outside vfs: use a vfs.FS"})
		case sys[x.Name] != "":
			out = append(out, Violation{"fsSeam", f.pos(call), sys[x.Name] + "." + sel.Sel.Name + " outside vfs"})
		}
		return true
	})
	return out
}

func exempt(rel string, list []string) bool {
	for _, e := range list {
		if rel == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(rel, e)) {
			return true
		}
	}
	return false
}
