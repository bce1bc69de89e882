package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Formats lists the image formats Render writes.
func Formats() []string { return []string{"png", "svg"} }

// Size is the drawing size of one panel; panels stack vertically.
var panelW, panelH = 8 * vg.Inch, 4.5 * vg.Inch

// palette is a colour-blind-safe set (Okabe-Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255}, {240, 228, 66, 255},
}

// Render draws every panel, stacked, as a PNG or an SVG image.
func (d Data) Render(w io.Writer, format string) error {
	if len(d.Panels) == 0 {
		return fmt.Errorf("nothing to plot: the reports hold no latency histograms, sweep or telemetry")
	}
	var plots [][]*plot.Plot
	for _, p := range d.Panels {
		pl, err := p.plot()
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{pl})
	}
	wd, ht := panelW, panelH*vg.Length(len(plots))
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wd, ht), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		c = vgsvg.New(wd, ht)
	default:
		return fmt.Errorf("format %q: want png or svg", format)
	}
	dc := draw.New(c)
	t := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadX: vg.Points(10), PadY: vg.Points(18),
		PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	canvases := plot.Align(plots, t, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := c.WriteTo(w)
	return err
}

func (p Panel) plot() (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font.Size = vg.Points(13)
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	// Latency CDFs rise to the right: their legend goes bottom right, out of
	// the way; sweeps and timelines keep theirs top left.
	pl.Legend.Top = !p.XNines
	pl.Legend.Left = !p.XNines
	pl.Add(plotter.NewGrid())
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = logTicks{}
	}
	if p.XNines {
		pl.X.Tick.Marker = ninesTicks{}
		pl.X.Min = 0
	}
	for i, s := range p.Series {
		var xys plotter.XYs
		for _, pt := range s.Points {
			if p.LogY && pt.Y <= 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p.Title, s.Label, err)
		}
		col := palette[i%len(palette)]
		line.Color = col
		line.Width = vg.Points(1.6)
		line.Dashes = dashes(i / len(palette))
		points.Color = col
		points.Radius = vg.Points(1.5)
		if len(xys) > 40 {
			points.Radius = 0 // a dense series reads better as a line
		}
		pl.Add(line, points)
		pl.Legend.Add(s.Label, line)
	}
	return pl, nil
}

func dashes(round int) []vg.Length {
	if round == 0 {
		return nil
	}
	return []vg.Length{vg.Points(float64(2 + 2*round)), vg.Points(2)}
}

// ninesTicks labels an axis in nines as percentiles: 0 → 0%, 1 → 90%, 2 → 99%.
type ninesTicks struct{}

func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for x := 0.0; x <= math.Ceil(hi); x++ {
		q := 100 * (1 - math.Pow(10, -x))
		ts = append(ts, plot.Tick{Value: x, Label: strconv.FormatFloat(q, 'f', -1, 64) + "%"})
		if x+math.Log10(2) <= hi { // p50, p95, p99.5...: minor, unlabelled except p50
			l := ""
			if x == 0 {
				l = "50%"
			}
			ts = append(ts, plot.Tick{Value: x + math.Log10(2), Label: l})
		}
	}
	return ts
}

// logTicks labels a log axis at 1, 2 and 5 of each decade, with plain numbers.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 {
		lo = hi / 1e3
	}
	var ts []plot.Tick
	for dec := math.Floor(math.Log10(lo)); dec <= math.Ceil(math.Log10(hi)); dec++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, dec)
			if v < lo/1.01 || v > hi*1.01 {
				ts = append(ts, plot.Tick{Value: v})
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	return ts
}
