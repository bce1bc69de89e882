package oracle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
)

// An oracle in real time: 20 ms to the first token and 5 ms per token
// after it, so three tokens take 30 ms; every fourth request fails.
func Example() {
	b, _ := oracle.New(oracle.Config{TTFT: 20 * time.Millisecond, TPOT: 5 * time.Millisecond, FailEvery: 4})
	req := accel.Request{Seq: 0, OutputTokens: 3}
	var res accel.Result
	err := b.Infer(context.Background(), &req, &res)
	fmt.Println(err, res.OutputTokens, res.Latency >= 30*time.Millisecond)

	req.Seq = 3
	res.Reset()
	fmt.Println(b.Infer(context.Background(), &req, &res))
	fmt.Printf("%+v\n", b.Stats())
	// Output:
	// <nil> 3 true
	// http_5xx: oracle: request 3 fails by design (every 4-th)
	// {Calls:2 Completed:1 Failed:1 Canceled:0 MaxInFlight:1}
}

// burst issues n requests at t=0 and prints each completion.
type burst struct{ n, sent int }

func (d *burst) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	if d.sent == d.n {
		return 0, accel.NextEnd
	}
	*req = accel.Request{Seq: uint64(d.sent), OutputTokens: 2}
	d.sent++
	return 0, accel.NextReady
}

func (d *burst) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	fmt.Printf("request %d: arrived %v, first token %v, done %v\n", req.Seq, arrived, res.TTFT, finished)
}

// In virtual time, with two slots, three requests that all arrive at 0
// take 10 ms each (8 ms to the first token, 2 ms to the second); the third
// waits for a slot. A stall of 5 ms at the end of every 15 ms freezes it
// from 10 ms to 15 ms, so it finishes at 25 ms, not 20.
func ExampleBackend_Drive() {
	b, _ := oracle.New(oracle.Config{
		TTFT: 8 * time.Millisecond, TPOT: 2 * time.Millisecond, Slots: 2,
		Stall: oracle.Stall{Every: 15 * time.Millisecond, For: 5 * time.Millisecond},
	})
	_ = b.Drive(context.Background(), &burst{n: 3})
	// Output:
	// request 0: arrived 0s, first token 8ms, done 10ms
	// request 1: arrived 0s, first token 8ms, done 10ms
	// request 2: arrived 0s, first token 23ms, done 25ms
}
