// Package importer copies another engine's database into Tempest: it
// reads a goleveldb, Pebble or Badger database with that engine's own
// library, writes its live keys as sorted SSTs, and ingests them into a
// Tempest DB in one atomic step (tempest.DB.Ingest).
//
// It is a module of its own (github.com/tempestdb/tempest/importer), so
// that users of the tempest library never download the other engines.
// cmd/tempest-import is its command line.
//
// # What is copied
//
// Each source key's newest live value, as that engine's iterator yields
// it: deleted and expired keys are not copied, and neither is history
// (older versions, snapshots). Keys are copied byte for byte; the
// destination's Comparer must order keys bytewise, as the three sources
// do (tempest.DefaultComparer). A source with a custom comparer or merge
// operator is refused by its own library when opened.
//
// # Atomicity and space
//
// The SSTs are written to a temporary directory beside the destination
// (on the same file system, so that Ingest links them rather than copy)
// and removed once ingested. The import is one Ingest: after a crash, the
// destination holds either all of the source or none of it. A crash can
// leave the temporary directory, named ".<dest>.import-*", behind; it is
// never reused, and can be removed.
package importer
