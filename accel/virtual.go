package accel

import (
	"context"
	"time"
)

// Virtual is implemented by backends that run in virtual time. Instead of calling
// Infer from many goroutines and sleeping, the load generator hands the backend a
// Driver, and the backend's discrete-event engine asks it for arrivals and reports
// completions, all on one goroutine, with no wall-clock waits. Same seed, same plan:
// byte-identical results on any machine.
type Virtual interface {
	Backend
	// Drive serves the driver's requests in virtual time until the driver says
	// NextEnd and every request issued has completed, or ctx is done.
	Drive(ctx context.Context, d Driver) error
}

// Clock is implemented by backends that can serve either way, in virtual
// time through Drive or in wall-clock time through Infer, and are told which
// when opened (Options.Realtime). It is how such a backend says which it was
// opened for, so no wrapper has to hide its Drive.
type Clock interface {
	// VirtualTime reports whether the backend runs in virtual time.
	VirtualTime() bool
}

// AsVirtual returns b's virtual-time side when b runs in virtual time: it
// implements Virtual and, if it is a Clock, was opened for virtual time. The
// load generator asks this, not whether b has a Drive method.
func AsVirtual(b Backend) (Virtual, bool) {
	v, ok := b.(Virtual)
	if !ok {
		return nil, false
	}
	if c, ok := b.(Clock); ok && !c.VirtualTime() {
		return nil, false
	}
	return v, true
}

// NextStatus tells a virtual engine what the driver has for it.
type NextStatus int

// What Driver.Next can answer.
const (
	NextReady NextStatus = iota // a request arrives at the returned time
	NextWait                    // nothing until a request completes (closed loop)
	NextEnd                     // no more requests
)

// Driver is the load generator's side of a virtual-time run.
type Driver interface {
	// Next fills req with the next request and returns its arrival time (since the
	// start of the run; never before now). The engine calls it again after each
	// NextReady, and after each completion while it last said NextWait.
	Next(now time.Duration, req *Request) (at time.Duration, status NextStatus)
	// Done reports that the request that arrived at arrived finished at finished;
	// res holds its TTFT and latency measured from arrival.
	Done(req *Request, res *Result, arrived, finished time.Duration)
}
