package cluster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/sstable"
)

// receiveStream reads a stream of format 1 (fsm_snapshot.go), which
// nodes wrote before format 2 and may still hold in their snapshot
// stores, into one SST at path, ready for the same ingest as format 2:
// the applied record, then the data. Format 1 has no checksum: damage is
// caught only where it breaks the framing or the key order.
//
// A stream whose head is format 2's magic with a byte changed is
// damage, not format 1: a format 1 head is an applied index, whose high
// byte is never 0xFF and whose low 7 bytes are never the magic's.
//
// It returns the applied index the stream names.
func receiveStream(br *bufio.Reader, db *tempest.DB, prefix []byte, path string) (uint64, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, cutShort(err)
	}
	if hdr[0] == snapshotMagic[0] || bytes.Equal(hdr[1:8], snapshotMagic[1:]) {
		return 0, fmt.Errorf("%w: cluster: snapshot stream of a damaged magic %x", tempest.ErrCorruption, hdr[:8])
	}
	applied, _, _ := decodeApplied(hdr[:])
	o := db.Options()
	f, err := o.FS.Create(path)
	if err != nil {
		return 0, err
	}
	w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: o.Comparer, FileName: path})
	if err := copyStream(br, w, prefix, hdr[:]); err != nil {
		w.Abort()
		return 0, err
	}
	_, err = w.Finish()
	return applied, err
}

// copyStream writes the applied record hdr and the key/value pairs of a
// format 1 stream to w, as the keys of the shard of prefix. The stream's
// keys come in order, as the iterator that wrote them read them; w
// refuses any other order.
func copyStream(br *bufio.Reader, w *sstable.Writer, prefix, hdr []byte) error {
	if err := w.Set(withSub(prefix, subApplied), hdr); err != nil {
		return err
	}
	for {
		k, err := readChunk(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := readChunk(br)
		if err != nil {
			return cutShort(err)
		}
		if err := w.Set(withSub(prefix, subData, k...), v); err != nil {
			return fmt.Errorf("%w: cluster: snapshot stream: %v", tempest.ErrCorruption, err)
		}
	}
}

// readChunk reads a uvarint length and that many bytes; io.EOF only
// before the length.
func readChunk(br *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, cutShort(err)
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("%w: cluster: snapshot record of %d bytes", tempest.ErrCorruption, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, cutShort(err)
	}
	return b, nil
}
