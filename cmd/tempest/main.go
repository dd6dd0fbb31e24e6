// Command tempest inspects, checks and exercises Tempest databases.
package main

import (
	"os"

	"github.com/tempestdb/tempest/tool"
)

func main() {
	os.Exit(tool.Main(os.Args[1:], os.Stdout, os.Stderr))
}
