package tempest

// Options returns a copy of the options the DB runs with, every default
// filled in: what a nil or partial Options at Open came to.
func (d *DB) Options() Options { return *d.opts }
