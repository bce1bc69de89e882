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
