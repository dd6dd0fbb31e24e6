package tempest

// Descriptor budget (see Options.MaxOpenFiles and docs/decisions.md).
const (
	// MinMaxOpenFiles is the smallest MaxOpenFiles an Options may set.
	MinMaxOpenFiles = 16
	// processFileReserve is how many descriptors below the process's
	// limit (RLIMIT_NOFILE) MaxOpenFiles is clamped to, left to the rest
	// of the process: standard streams, the Go runtime's poller, the
	// application's own files and sockets.
	processFileReserve = 16
	// minTableReaders is the fewest readers the table cache keeps open
	// when MaxOpenFiles leaves less room beside the DB's other files.
	minTableReaders = 4
)

// nonTableFiles is the most descriptors a DB holds besides its table
// readers: the LOCK file, two WALs and two manifests (while each
// rotates), two directory handles (syncs), the output of a flush and
// that of each concurrent compaction.
func (o *Options) nonTableFiles() int { return 8 + o.MaxConcurrentCompactions }

// tableCacheSize is how many table readers the table cache keeps open.
func (o *Options) tableCacheSize() int {
	return max(o.MaxOpenFiles-o.nonTableFiles(), minTableReaders)
}

// clampMaxOpenFiles lowers MaxOpenFiles to the process's descriptor limit
// minus processFileReserve (and not below MinMaxOpenFiles), logging once
// if it does. Where there is no such limit it changes nothing.
func (o *Options) clampMaxOpenFiles() {
	limit, ok := processFileLimit()
	if !ok {
		return
	}
	allowed := max(limit-processFileReserve, MinMaxOpenFiles)
	if o.MaxOpenFiles <= allowed {
		return
	}
	o.Logger.Warn("tempest: MaxOpenFiles lowered to fit the process's file descriptor limit",
		"MaxOpenFiles", o.MaxOpenFiles, "limit", limit, "lowered to", allowed)
	o.MaxOpenFiles = allowed
}
