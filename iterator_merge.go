package tempest

import "github.com/tempestdb/tempest/internal/base"

// Merge operands in an Iterator. A logical key whose first visible entry
// is a merge operand yields the Merger's fold of the operands of that
// exact user key over the newest visible entry of it below them: a value,
// or nothing (a point tombstone, an entry a range tombstone covers, or no
// entry). Entries of the key a range tombstone covers are all below the
// tombstone, so the fold stops at the first one. A failing merge stops
// the iterator with the error (Error).

// resolveForward yields the fold of the operands of k's user key, the
// entry iter is at, reading forward past them to the entry below.
func (i *Iterator) resolveForward(k base.InternalKey) bool {
	i.fwd.start(i.db.opts.Merger, k.UserKey, i.iter.Value())
	i.key = i.fwd.key
	var below []byte
	for {
		i.iterOK = i.iter.Next()
		if !i.iterOK {
			if i.iter.Error() != nil {
				return i.finish()
			}
			break
		}
		k := i.iter.Key()
		if !i.cmp.Equal(k.UserKey, i.key) {
			break
		}
		if tooNew(k.SeqNum(), i.seq) {
			continue
		}
		if i.rd.covered(k) {
			break // as every older entry of the key
		}
		if k.Kind() == base.KindMerge {
			if err := i.fwd.older(i.iter.Value()); err != nil {
				return i.fail(err)
			}
			continue
		}
		if k.Kind().IsValue() {
			v, err := i.db.resolveValue(k.Kind(), i.iter.Value(), i.blobBuf[:0])
			if err != nil {
				return i.fail(err)
			}
			below = v
			if k.Kind() == base.KindBlobValue {
				i.blobBuf = v
			}
		}
		break
	}
	if err := i.fwd.finish(below); err != nil {
		return i.fail(err)
	}
	i.value, i.handle = i.fwd.val, nil
	i.valid = true
	return true
}

// noteCandidate records k, a visible entry met going backward, in the
// group's candidate: an entry of another user key starts a new one; an
// operand of the same user key goes above the candidate's; a value or
// tombstone of the same key replaces what lies below it.
func (i *Iterator) noteCandidate(k base.InternalKey) {
	same := i.haveCand && i.cmp.Equal(k.UserKey, i.keyBuf)
	i.haveCand = true
	if k.Kind() == base.KindMerge {
		if !same {
			i.keyBuf = append(i.keyBuf[:0], k.UserKey...)
			i.baseKind = base.KindDelete // nothing below
			i.ops = i.ops[:0]
		}
		n := len(i.ops)
		if n < cap(i.ops) {
			i.ops = i.ops[:n+1]
			i.ops[n] = append(i.ops[n][:0], i.iter.Value()...)
		} else {
			i.ops = append(i.ops, append([]byte(nil), i.iter.Value()...))
		}
		return
	}
	i.keyBuf = append(i.keyBuf[:0], k.UserKey...)
	i.baseKind = k.Kind()
	i.valBuf = append(i.valBuf[:0], i.iter.Value()...)
	i.ops = i.ops[:0]
}

// yieldCandidate makes the group's candidate the current entry, folding
// its operands, and reports whether it is one (not a tombstone). A
// failing merge sets i.err.
func (i *Iterator) yieldCandidate() bool {
	if len(i.ops) == 0 && !i.baseKind.IsValue() {
		return false
	}
	i.key = i.keyBuf
	if len(i.ops) == 0 {
		return i.setValue(i.baseKind, i.valBuf)
	}
	var below []byte
	if i.baseKind.IsValue() {
		v, err := i.db.resolveValue(i.baseKind, i.valBuf, i.blobBuf[:0])
		if err != nil {
			return i.fail(err)
		}
		below = v
		if i.baseKind == base.KindBlobValue {
			i.blobBuf = v
		}
	}
	top := len(i.ops) - 1
	i.fwd.start(i.db.opts.Merger, i.keyBuf, i.ops[top])
	for j := top - 1; j >= 0; j-- {
		if err := i.fwd.older(i.ops[j]); err != nil {
			return i.fail(err)
		}
	}
	if err := i.fwd.finish(below); err != nil {
		return i.fail(err)
	}
	i.value, i.handle = i.fwd.val, nil
	i.valid = true
	return true
}

// fail stops the iterator with err.
func (i *Iterator) fail(err error) bool {
	i.valid = false
	i.err = err
	return false
}
