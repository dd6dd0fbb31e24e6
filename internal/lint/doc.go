// Package lint holds the repository's lint rules, run as tests of the
// default suite (lint_test.go): staticcheck at a pinned version, and
// rules of the project's own:
//
//   - fsSeam: engine packages reach files only through vfs. No call of
//     an os file function, or of syscall or golang.org/x/sys/unix,
//     outside vfs and an allow-list (anonymous memory in internal/manual,
//     the descriptor limit in open_files_unix.go).
//   - panics: no panic outside an invariant check. A panic must sit under
//     a condition on invariants.Enabled, in a function that returns early
//     unless invariants.Enabled, or carry a "lint:panic <why>" comment on
//     its line or the one above (a programmer error at construction, as
//     regexp.MustCompile has).
//   - funcLength: no function of non-test code is longer than
//     MaxFuncLines lines.
//   - envVars: every TEMPEST_* environment variable named in docs/ or
//     the README is used in code, and every one code uses is named in
//     docs/.
//   - lockDocs: a DB method named ...Locked (which, alone, means d.mu)
//     that uses the state of d.commit or d.alloc says in its doc which
//     lock it requires.
//   - designLayout: the table of the Packages section of docs/design.md
//     lists every package of the module, and only those.
//
// Each rule is a function over a repository tree, so that the tests can
// run it on planted violations as well as on the repository.
package lint
