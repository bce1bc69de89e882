package nvml

import (
	"context"
	"errors"
	"fmt"

	"github.com/inferbench/inferbench/accel"
)

// Opener opens `nvml:<index|uuid>` backends: the GPU is watched through NVML
// while the load goes to an inference endpoint served from it. The endpoint
// and what opens it are typed fields, set once by the program: nvml:N is a
// wrapper composed over an endpoint backend, not a backend kind that reads
// another kind's settings.
type Opener struct {
	// Endpoint is the spec of the inference server on the GPU that takes the
	// load (the CLI's --endpoint), e.g. http://localhost:8000/v1.
	Endpoint string
	// OpenEndpoint opens Endpoint with the run's Options: the program passes
	// the Open of its registry of endpoint kinds (one without nvml, so an
	// endpoint cannot be a GPU itself). Nil means no endpoint kinds are
	// linked in.
	OpenEndpoint func(spec string, o accel.Options) (accel.Backend, error)
	// OpenLib opens NVML; nil means Open, the system's library. Tests pass
	// go-nvml mocks.
	OpenLib func() (*Lib, error)
}

var _ accel.Opener = Opener{}

// Schemes is "nvml".
func (Opener) Schemes() []string { return []string{"nvml"} }

// Targets is nil: which GPUs exist is a question for the machine
// (`inferbench devices`), not a fixed list.
func (Opener) Targets() []string { return nil }

// Open opens the GPU the spec names and the endpoint that serves the load.
// Errors about the spec, a missing endpoint, or NVML being unavailable wrap
// accel.ErrBadSpec: the command as written cannot run on this machine.
func (o Opener) Open(spec accel.Spec, opts accel.Options) (accel.Backend, error) {
	if spec.Target == "" {
		return nil, &accel.SpecError{Spec: spec.Raw, Reason: "no device: want nvml:INDEX or nvml:GPU-UUID (see 'inferbench devices')"}
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		return nil, &accel.SpecError{Spec: spec.Raw, Reason: "no endpoint: an nvml backend watches the GPU while the load goes to an inference server on it; give --endpoint URL (e.g. http://localhost:8000/v1), or watch any run with --telemetry " + spec.Raw}
	}
	if s, err := accel.ParseSpec(endpoint); err == nil && s.Scheme == "nvml" {
		return nil, &accel.SpecError{Spec: spec.Raw, Reason: fmt.Sprintf("endpoint %q is itself an nvml spec: want the URL of an inference server", endpoint)}
	}
	if o.OpenEndpoint == nil {
		return nil, &accel.SpecError{Spec: spec.Raw, Reason: "this build links no endpoint backend to send the load to"}
	}
	lib, gpu, err := o.openGPU(spec)
	if err != nil {
		return nil, err
	}
	in, err := o.OpenEndpoint(endpoint, opts)
	if err != nil {
		lib.Close()
		return nil, fmt.Errorf("%s: endpoint: %w", spec.Raw, err)
	}
	b := &Backend{lib: lib, gpu: gpu, inner: in}
	b.info = gpu.Device().Info(lib.System())
	b.info.ID = spec.Raw
	b.info.Precision = in.Info().Precision
	b.info.Extra["endpoint"] = in.Info().ID
	return b, nil
}

// openGPU opens NVML and the GPU a spec names. A library that cannot start is
// a SpecError carrying the one-line reason.
func (o Opener) openGPU(spec accel.Spec) (*Lib, *GPU, error) {
	open := o.OpenLib
	if open == nil {
		open = Open
	}
	lib, err := open()
	if err != nil {
		var ue *UnavailableError
		if errors.As(err, &ue) {
			return nil, nil, &accel.SpecError{Spec: spec.Raw, Reason: err.Error()}
		}
		return nil, nil, err
	}
	gpu, err := lib.GPU(spec.Target)
	if err != nil {
		lib.Close()
		return nil, nil, err
	}
	return lib, gpu, nil
}

// Backend is a real GPU under an inference endpoint: Infer goes to the
// endpoint, Info names the GPU, Sample reads it.
type Backend struct {
	lib   *Lib
	gpu   *GPU
	inner accel.Backend
	info  accel.Info
}

var (
	_ accel.Backend   = (*Backend)(nil)
	_ accel.Telemetry = (*Backend)(nil)
	_ accel.Observer  = (*Backend)(nil)
)

// Info names the GPU, with the endpoint in Extra["endpoint"].
func (b *Backend) Info() accel.Info { return b.info }

// Infer sends the request to the endpoint.
func (b *Backend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	return b.inner.Infer(ctx, req, res)
}

// Sample reads the GPU.
func (b *Backend) Sample(s *accel.Sample) error { return b.gpu.Sample(s) }

// Sensors is the GPU, which a run that samples telemetry samples with any
// other device it watches.
func (b *Backend) Sensors() []accel.Sensor { return []accel.Sensor{b.gpu} }

// GPU is the device the backend watches.
func (b *Backend) GPU() *GPU { return b.gpu }

// Close closes the endpoint backend and NVML.
func (b *Backend) Close() error {
	return errors.Join(b.inner.Close(), b.lib.Close())
}
