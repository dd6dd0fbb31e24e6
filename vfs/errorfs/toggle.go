package errorfs

import "sync/atomic"

// ToggleInjector consults another injector only while enabled. It starts
// disabled; Enable makes "fail from now on" tests simple:
//
//	t := errorfs.Toggle(errorfs.Always(errorfs.ErrInjected, errorfs.WriteOps))
//	fs := errorfs.Wrap(inner, t)
//	... // set up
//	t.Enable()
type ToggleInjector struct {
	inner   Injector
	enabled atomic.Bool
}

// Toggle returns a disabled ToggleInjector around inner.
func Toggle(inner Injector) *ToggleInjector { return &ToggleInjector{inner: inner} }

// Enable starts consulting the inner injector.
func (t *ToggleInjector) Enable() { t.enabled.Store(true) }

// Disable stops consulting the inner injector.
func (t *ToggleInjector) Disable() { t.enabled.Store(false) }

// Enabled reports whether t is enabled.
func (t *ToggleInjector) Enabled() bool { return t.enabled.Load() }

// MaybeError implements Injector.
func (t *ToggleInjector) MaybeError(op Op) error {
	if !t.enabled.Load() {
		return nil
	}
	return t.inner.MaybeError(op)
}
