package benchmark

import "fmt"

// set writes main-space key number n with a fresh value.
func (w *worker) set(n uint64) error {
	r := w.r
	w.key = r.keys.main(w.key, n)
	v := r.values.value(w.rng)
	if err := r.eng.Set(w.key, v, r.sync); err != nil {
		return err
	}
	r.live.add(n)
	w.userBytes += int64(len(w.key) + len(v))
	return nil
}

// setBatch writes n uniformly random main-space keys with fresh values
// in one batch.
func (w *worker) setBatch(n int) error {
	r := w.r
	ks := r.opts.KeySize
	if len(w.arena) < n*ks {
		w.arena = make([]byte, n*ks)
	}
	w.batch.Reset()
	nums := make([]uint64, 0, n)
	for j := range n {
		num := w.uniformKey()
		key := r.keys.main(w.arena[j*ks:j*ks:(j+1)*ks], num)
		v := r.values.value(w.rng)
		w.batch.Set(key, v)
		w.userBytes += int64(len(key) + len(v))
		nums = append(nums, num)
	}
	if err := r.eng.Apply(&w.batch, r.sync); err != nil {
		return err
	}
	for _, num := range nums {
		r.live.add(num)
	}
	return nil
}

// delete removes main-space key number n.
func (w *worker) delete(n uint64) error {
	r := w.r
	w.key = r.keys.main(w.key, n)
	if err := r.eng.Delete(w.key, r.sync); err != nil {
		return err
	}
	r.live.remove(n)
	w.userBytes += int64(len(w.key))
	return nil
}

// get reads key and reports whether it was found.
func (w *worker) get(key []byte) (bool, error) {
	v, found, err := w.r.eng.Get(key, w.buf)
	if cap(v) > cap(w.buf) {
		w.buf = v[:0]
	}
	if found && len(v) != w.r.opts.ValueSize {
		return found, fmt.Errorf("%w: value of %d bytes for key %x, want %d", errMismatch, len(v), key, w.r.opts.ValueSize)
	}
	return found, err
}

// getMain reads main-space key number n.
func (w *worker) getMain(n uint64) (bool, error) {
	w.key = w.r.keys.main(w.key, n)
	return w.get(w.key)
}

// mustGetMain reads main-space key number n, which must exist.
func (w *worker) mustGetMain(n uint64) error {
	found, err := w.getMain(n)
	if err == nil && !found {
		err = fmt.Errorf("%w: key number %d not found", errMismatch, n)
	}
	return err
}

// uniformKey picks a loaded key number uniformly.
func (w *worker) uniformKey() uint64 { return w.rng.Uint64N(w.r.num) }
