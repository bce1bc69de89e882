package nvml_test

import (
	"fmt"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/nvml"
)

func ExampleMatchProfile() {
	for _, name := range []string{"NVIDIA H100 80GB HBM3", "NVIDIA A100-PCIE-40GB", "NVIDIA H100 NVL"} {
		id, exact := nvml.MatchProfile(name, 0)
		fmt.Printf("%-22s → %q exact=%v\n", name, id, exact)
	}
	// Output:
	// NVIDIA H100 80GB HBM3  → "h100-sxm" exact=true
	// NVIDIA A100-PCIE-40GB  → "a100-40gb" exact=false
	// NVIDIA H100 NVL        → "" exact=false
}

// fan is a stand-in GPU: any accel.Telemetry can be sampled.
type fan struct{ watts float64 }

func (f *fan) Sample(s *accel.Sample) error {
	f.watts += 10
	s.PowerW, s.Valid = f.watts, accel.FieldPower
	return nil
}

func ExampleSampler() {
	s, err := nvml.NewSampler(time.Millisecond, 0, nvml.Source{Name: "fan:0", T: &fan{watts: 100}})
	if err != nil {
		panic(err)
	}
	s.Start() // reads once now, then every millisecond
	time.Sleep(20 * time.Millisecond)
	series := s.Stop() // reads a last time
	sr := series[0]
	fmt.Println(sr.Name, "first", sr.Samples[0].PowerW, "W; more than 2 readings:", len(sr.Samples) > 2, "ended:", sr.Ended)
	// Output: fan:0 first 110 W; more than 2 readings: true ended: <nil>
}
