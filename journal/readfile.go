package journal

import (
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/vfs"
)

// ErrTornTail is matched by the error ReadFile returns when the file ends
// in a torn (incomplete) edit. It does not match base.ErrCorruption: a torn
// tail is the normal residue of a crash during an append.
var ErrTornTail = errors.New("journal: torn tail")

// ReadFile decodes the journal file at path without applying its edits, for
// inspection tools. It returns the header and every edit before the first
// problem. A torn tail is reported with an error matching ErrTornTail and
// the offset; an invalid header or mid-file corruption with an error
// matching base.ErrCorruption. edits is valid even when err is not nil.
func ReadFile[E any](fs vfs.FS, path string, codec Codec[E]) (header Header, edits []E, err error) {
	data, err := readAll(fs, path)
	if err != nil {
		return Header{}, nil, err
	}
	header, _, res, err := replayFile(path, data, codec, func(e E) error {
		edits = append(edits, e)
		return nil
	})
	if err != nil {
		return header, edits, err
	}
	if res.torn {
		return header, edits, fmt.Errorf("%w in %s at offset %d: %s", ErrTornTail, path, res.end, res.reason)
	}
	return header, edits, nil
}
