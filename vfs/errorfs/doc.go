// Package errorfs wraps a vfs.FS to inject faults.
//
// Every FS and File operation is described by an Op and offered to an
// Injector before it reaches the wrapped FS. If the Injector returns an
// error, the operation fails with an *InjectedError wrapping it and the
// wrapped FS is not called, with two exceptions:
//   - a failed Close still closes the wrapped file (or releases the wrapped
//     lock), as close(2) releases the descriptor even when it fails;
//   - a failed Write or WriteAt writes nothing, unless the FS was built
//     WithPartialWrites, in which case a seeded random prefix shorter than
//     the buffer is written first and its length returned.
//
// A failed Sync does not call the wrapped Sync, so a vfs.MemFS underneath
// does not mark the data durable, and a later crash loses it.
//
// A file implements vfs.MappableFile exactly when the file it wraps does
// (wrap an FS whose files are not mappable to make a caller keep to
// File.Write). The operations of its Mapping are offered too, with
// Op.Mapped set: Allocate (OpAllocate), Store (OpWrite; a failure is
// reported as a memory fault, matching vfs.ErrMappingFault as well as the
// injected error, and with WithPartialWrites may store a prefix), Sync
// (OpSync) and Truncate (OpTruncate). Map and Unmap are not operations.
//
// Injectors compose: OnIndex fails the n-th matching operation (run a
// script once with index -1 to count them, then once per index), Probability
// fails at random with a seed, ByPath by file name, Latency delays, Toggle
// switches another injector on and off, and Any and If combine them.
package errorfs
