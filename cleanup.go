package tempest

// deleteOrphanTables removes SST files the manifest does not reference:
// outputs of flushes or compactions whose manifest edit never became
// durable, and inputs whose deletion a crash interrupted.
//
// It runs only after recovery succeeded, which established that no
// manifest edit was lost in a way that loses data: every recorded file
// exists with its recorded size, and the oldest unflushed WAL exists, so
// whatever an orphan holds is also held by a live file or a WAL that was
// just replayed and flushed.
func (d *DB) deleteOrphanTables() {
	names, err := d.fs.List(d.dirs.sst)
	if err != nil {
		d.opts.Logger.Warn("tempest: listing SST directory", "err", err)
		return
	}
	live := make(map[uint64]bool)
	for _, f := range d.manifest.Files() {
		live[uint64(f.FileNum)] = true
	}
	for _, name := range names {
		num, ok := parseSSTFileName(name)
		if !ok || live[uint64(num)] {
			continue
		}
		d.opts.Logger.Info("tempest: removing orphan SST", "file", name)
		if err := d.fs.Remove(d.fs.PathJoin(d.dirs.sst, name)); err != nil {
			d.opts.Logger.Warn("tempest: removing orphan SST", "file", name, "err", err)
		}
	}
}
