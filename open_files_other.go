//go:build !unix

package tempest

// processFileLimit reports that the process has no descriptor limit to
// fit in (Windows handles have none that matters here).
func processFileLimit() (int, bool) { return 0, false }
