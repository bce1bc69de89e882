package accel_test

import (
	"errors"
	"fmt"

	"github.com/inferbench/inferbench/accel"
)

// A backend spec names what to measure: a scheme and a target, with options
// after '?' (a URL keeps its own query).
func ExampleParseSpec() {
	for _, s := range []string{"sim:inf2?chips=12", "nvml:0", "http://host:8000/v1", "noop"} {
		sp, err := accel.ParseSpec(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("scheme %s, target %s, params %v\n", sp.Scheme, sp.Target, sp.Params)
	}
	// Output:
	// scheme sim, target inf2, params map[chips:[12]]
	// scheme nvml, target 0, params map[]
	// scheme http, target http://host:8000/v1, params map[]
	// scheme noop, target , params map[]
}

// A backend classifies its errors, and the report counts them by class; an
// error that carries no class is the device's.
func ExampleClassOf() {
	err := accel.Errorf(accel.ClassTimeout, "no first token after %d s", 30)
	fmt.Println(accel.ClassOf(err), accel.ClassOf(fmt.Errorf("stream: %w", err)))
	fmt.Println(accel.ClassOf(errors.New("cuda: out of memory")), accel.ClassOf(nil) == accel.ClassNone)
	// Output:
	// timeout timeout
	// device true
}
