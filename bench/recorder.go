package bench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 ns to 1 hour at 3 significant digits (0.1% resolution),
// about 270 KB each. Values outside are clamped to the bounds and counted, never
// dropped.
const (
	histMin     = 1
	histMax     = int64(time.Hour)
	histSigFigs = 3
)

// newHist returns an empty histogram with the harness's bounds.
func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histSigFigs) }

// Recorder is one worker's measurements. Each worker owns one, sized up front, so
// recording takes no lock and allocates nothing; recorders merge at the end.
type Recorder struct {
	Latency *hdrhistogram.Histogram // from scheduled time (open loop) or send (closed)
	Service *hdrhistogram.Histogram // from actual send
	Lag     *hdrhistogram.Histogram // send − scheduled (open loop)
	TTFT    *hdrhistogram.Histogram
	// TTFO is the time to the first token of the answer itself, after any
	// reasoning (accel.Result.TTFO); TTFT where the backend does not tell.
	TTFO *hdrhistogram.Histogram
	TPOT *hdrhistogram.Histogram // (latency − TTFT) / (tokens − 1), per request
	ITL  *hdrhistogram.Histogram // every inter-token gap
	// TurnTTFT is TTFT by a session's turn index (Sessions; nil without).
	TurnTTFT []*hdrhistogram.Histogram
	// Timeline is a replay's requests over time (nil for other scenarios).
	Timeline *Timeline

	Clamped int64 // values outside the histogram bounds, recorded at the bound
}

// NewRecorder allocates a recorder's histograms.
func NewRecorder() *Recorder {
	return &Recorder{
		Latency: newHist(), Service: newHist(), Lag: newHist(),
		TTFT: newHist(), TTFO: newHist(), TPOT: newHist(), ITL: newHist(),
	}
}

// record adds d to h, clamping it into range.
func (r *Recorder) record(h *hdrhistogram.Histogram, d time.Duration) {
	v := int64(d)
	if v < histMin {
		v = histMin
		if d < 0 {
			r.Clamped++
		}
	} else if v > histMax {
		v = histMax
		r.Clamped++
	}
	_ = h.RecordValue(v) // in range by construction
}

// RecordGap records an inter-token gap; a Recorder is the accel.GapRecorder a
// worker hands its backend.
func (r *Recorder) RecordGap(d time.Duration) { r.record(r.ITL, d) }

// Merge adds o's counts into r.
func (r *Recorder) Merge(o *Recorder) {
	r.Latency.Merge(o.Latency)
	r.Service.Merge(o.Service)
	r.Lag.Merge(o.Lag)
	r.TTFT.Merge(o.TTFT)
	r.TTFO.Merge(o.TTFO)
	r.TPOT.Merge(o.TPOT)
	r.ITL.Merge(o.ITL)
	for i, h := range o.TurnTTFT {
		if i < len(r.TurnTTFT) {
			r.TurnTTFT[i].Merge(h)
		}
	}
	r.Timeline.merge(o.Timeline)
	r.Clamped += o.Clamped
}

// reset empties every histogram, keeping their memory.
func (r *Recorder) reset() {
	r.Latency.Reset()
	r.Service.Reset()
	r.Lag.Reset()
	r.TTFT.Reset()
	r.TTFO.Reset()
	r.TPOT.Reset()
	r.ITL.Reset()
	for _, h := range r.TurnTTFT {
		h.Reset()
	}
	if r.Timeline != nil {
		r.Timeline.Buckets, r.Timeline.Width = r.Timeline.Buckets[:0], time.Second
	}
	r.Clamped = 0
}
