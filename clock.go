package tempest

import "time"

// Clock tells time. Tests inject a virtual clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the operating system's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
