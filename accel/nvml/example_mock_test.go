//go:build linux && cgo

package nvml_test

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh200"

	"github.com/inferbench/inferbench/accel/nvml"
)

// OpenWith takes any nvml.Interface: here go-nvml's mock DGX H200, as the
// tests use it. Open() is the same on the system's libnvidia-ml.so.1.
func ExampleOpenWith() {
	lib, err := nvml.OpenWith(dgxh200.New())
	if err != nil {
		fmt.Println(err) // e.g. "NVML unavailable: libnvidia-ml.so.1 not found: ..."
		return
	}
	defer lib.Close()
	devs, _ := lib.Devices()
	d := devs[0]
	fmt.Println(len(devs), "GPUs;", d.Spec(), d.Name, "→", d.Profile, d.ComputeCapability, d.MemoryBytes>>30, "GiB; driver", lib.System().DriverVersion)
	// Output: 8 GPUs; nvml:0 NVIDIA H200 141GB HBM3e → h200 9.0 141 GiB; driver 550.54.15
}
