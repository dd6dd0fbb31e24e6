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
// and blob readers: the LOCK file, two WALs and two manifests (while each
// rotates), two directory handles (syncs), the output of a flush and
// that of each concurrent compaction, and as many blob file outputs.
func (o *Options) nonTableFiles() int {
	n := 8 + o.MaxConcurrentCompactions
	if o.ValueSeparationThreshold >= 0 {
		n += 1 + o.MaxConcurrentCompactions
	}
	return n
}

// readerFiles is how many table and blob readers the DB keeps open.
func (o *Options) readerFiles() int {
	return max(o.MaxOpenFiles-o.nonTableFiles(), minTableReaders)
}

// blobCacheSize is how many blob readers the blob cache keeps open: an
// eighth of the readers' share, at least 1 (0 when values are never
// separated).
func (o *Options) blobCacheSize() int {
	if o.ValueSeparationThreshold < 0 {
		return 0
	}
	return max(o.readerFiles()/8, 1)
}

// tableCacheSize is how many table readers the table cache keeps open:
// the readers' share minus the blob cache's.
func (o *Options) tableCacheSize() int {
	return max(o.readerFiles()-o.blobCacheSize(), minTableReaders)
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
