package tool

import (
	"bytes"
	"fmt"
	"os"
)

// writeHTMLFile writes the page that write produces to path, whole or not
// at all: a failed write leaves no page behind.
func writeHTMLFile(path string, write func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		os.Remove(path)
		return fmt.Errorf("--html: %w", err)
	}
	return nil
}
