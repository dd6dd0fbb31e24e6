//go:build !amd64 || purego

package crc

// useCLMUL is false: only amd64 has the folding path.
var useCLMUL = false

func update(crc uint64, p []byte) uint64 { return updateTable(crc, p) }
