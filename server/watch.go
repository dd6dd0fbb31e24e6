package server

// watchRegistry is WATCH's bookkeeping, as redis-server keeps it: for each
// watched key the clients watching it. A write txn that modifies a key
// marks every client watching it dirty when it commits; EXEC of a dirty
// client aborts. Every method runs with s.wmu held (the Locked suffix is
// left off: the registry has no other lock).
type watchRegistry struct {
	byKey map[string]map[*client]struct{}
}

func newWatchRegistry() *watchRegistry {
	return &watchRegistry{byKey: make(map[string]map[*client]struct{})}
}

// watch records that c watches key; alive says whether the key was live
// then (EXEC aborts if a key alive at WATCH has expired since).
func (w *watchRegistry) watch(c *client, key []byte, alive bool) {
	k := string(key)
	if _, ok := c.watched[k]; ok {
		return
	}
	c.watched[k] = alive
	set := w.byKey[k]
	if set == nil {
		set = make(map[*client]struct{})
		w.byKey[k] = set
	}
	set[c] = struct{}{}
}

// unwatchAll forgets every key c watches and clears its dirty flag.
func (w *watchRegistry) unwatchAll(c *client) {
	for k := range c.watched {
		set := w.byKey[k]
		delete(set, c)
		if len(set) == 0 {
			delete(w.byKey, k)
		}
	}
	clear(c.watched)
	c.dirtyCAS = false
}

// touch marks dirty every client watching one of keys.
func (w *watchRegistry) touch(keys [][]byte) {
	if len(w.byKey) == 0 {
		return
	}
	for _, k := range keys {
		for c := range w.byKey[string(k)] {
			c.dirtyCAS = true
		}
	}
}

// keys returns every watched key.
func (w *watchRegistry) keys() [][]byte {
	out := make([][]byte, 0, len(w.byKey))
	for k := range w.byKey {
		out = append(out, []byte(k))
	}
	return out
}
