package accel

import (
	"context"
	"time"
)

// arrivalKey is the context key for a request's arrival.
type arrivalKey struct{}

// WithArrival returns ctx carrying when the request reached this host. A
// server sets it from the kernel's receive stamp of the request's last
// bytes; a backend that keeps device time (a simulated device served in real
// time) then starts the request's clock there, not when Infer was called,
// which on an idle machine is up to milliseconds later and is the server
// process's wake-up, not the device's.
func WithArrival(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, arrivalKey{}, t)
}

// Arrival returns the arrival ctx carries, or now when it carries none.
func Arrival(ctx context.Context) time.Time {
	if t, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}
