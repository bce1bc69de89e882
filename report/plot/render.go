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

// Size is the drawing size of one panel; panels stack vertically. The
// legend sits in a column of its own to the right of each panel's plot
// area, so it never covers a curve.
const panelW, panelH, legendW = 10 * vg.Inch, 4.5 * vg.Inch, 2.6 * vg.Inch

// palette keeps MaxSeries series apart on white: Okabe-Ito's colour-blind
// safe eight (yellow left out, too pale on white) and eight of Paul Tol's
// muted and dark qualitative colours, in an order that puts the most
// distinct first. Each series also gets its own glyph (glyphs), so two
// series are told apart even where colours are hard to tell.
func palette() []color.RGBA {
	return []color.RGBA{
		{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
		{230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255}, {136, 34, 85, 255},
		{51, 34, 136, 255}, {153, 153, 51, 255}, {68, 170, 153, 255}, {170, 68, 153, 255},
		{102, 17, 0, 255}, {136, 136, 136, 255}, {17, 119, 51, 255}, {221, 204, 119, 255},
	}
}

// glyphs are the point shapes series cycle through, offset from the
// palette's cycle so colour and shape together stay unique far past it.
func glyphs() []draw.GlyphDrawer {
	return []draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
		draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{},
	}
}

// Palette returns the series colours, for tests and for other renderers
// (the HTML report's bar charts) that draw the same series.
func Palette() []color.RGBA { return palette() }

// Render draws every panel, stacked, as a PNG or an SVG image.
func (d Data) Render(w io.Writer, format string) error {
	if len(d.Panels) == 0 {
		return fmt.Errorf("nothing to plot: the reports hold no latency histograms, sweep or telemetry")
	}
	// A series keeps its colour and glyph in every panel: the same backend
	// reads the same across the latency, frontier and sweep panels.
	slot := map[string]int{}
	for _, k := range d.keys {
		slot[k] = len(slot)
	}
	for _, p := range d.Panels {
		for _, s := range p.Series {
			if _, ok := slot[s.key()]; !ok {
				slot[s.key()] = len(slot)
			}
		}
	}
	var plots [][]*plot.Plot
	var legends []plot.Legend
	for _, p := range d.Panels {
		pl, leg, err := p.plot(slot)
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{pl})
		legends = append(legends, leg)
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
	plotArea := draw.Crop(dc, 0, -legendW, 0, 0)
	legendArea := draw.Crop(dc, wd-legendW, 0, 0, 0)
	canvases := plot.Align(plots, t, plotArea)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
		lc := t.At(legendArea, 0, i)
		// Below the title's line, level with the top of the plot area.
		lc = draw.Crop(lc, vg.Points(6), 0, 0, -vg.Points(24))
		legends[i].Draw(lc)
	}
	_, err := c.WriteTo(w)
	return err
}

// legendText shortens a legend entry to what its column holds, in the
// middle: a backend's URL loses its path, the load at the end stays.
func legendText(s string) string {
	const most = 34
	if r := []rune(s); len(r) > most {
		return string(r[:most/2-1]) + "…" + string(r[len(r)-most/2:])
	}
	return s
}

func (p Panel) plot(slot map[string]int) (*plot.Plot, plot.Legend, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font.Size = vg.Points(12)
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(9)
	leg.ThumbnailWidth = vg.Points(18)
	pl.Add(plotter.NewGrid())
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = logTicks{}
	}
	if p.LogX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = logTicks{}
	}
	if p.XNines {
		pl.X.Tick.Marker = ninesTicks{}
		pl.X.Min = 0
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	nth := map[string]int{} // series of one key in this panel: a sweep's loads
	for _, s := range p.Series {
		i := slot[s.key()]
		k := nth[s.key()]
		nth[s.key()]++
		var xys plotter.XYs
		var labels []string
		for _, pt := range s.Points {
			if (p.LogY && pt.Y <= 0) || (p.LogX && pt.X <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
			labels = append(labels, pt.Label)
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, leg, fmt.Errorf("%s: %s: %w", p.Title, s.Label, err)
		}
		col := palette()[i%len(palette())]
		line.Color = col
		line.Width = vg.Points(1.6)
		// One backend keeps its colour; its loads (a sweep's CDFs) differ by
		// dash and glyph.
		line.Dashes = dashes(i/len(palette()) + k)
		points.Color = col
		points.Shape = glyphs()[(i+k)%len(glyphs())]
		points.Radius = vg.Points(2.2)
		if len(xys) > 40 {
			points.Radius = 0 // a dense series reads better as a line
		}
		pl.Add(line, points)
		leg.Add(legendText(s.Label), line, points)
		// Points that are not answers are crossed out, so a reader sees at a
		// glance where the curve stops meaning anything.
		var missed plotter.XYs
		for _, pt := range s.Points {
			if pt.Missed && !(p.LogY && pt.Y <= 0) && !(p.LogX && pt.X <= 0) {
				missed = append(missed, plotter.XY{X: pt.X, Y: pt.Y})
			}
		}
		if len(missed) > 0 {
			sc, err := plotter.NewScatter(missed)
			if err != nil {
				return nil, leg, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{176, 0, 32, 255}, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
			pl.Add(sc)
		}
		if hasLabels(labels) {
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
			if err != nil {
				return nil, leg, err
			}
			for k := range l.TextStyle {
				l.TextStyle[k].Color = col
				l.TextStyle[k].Font.Size = vg.Points(7)
			}
			l.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(3)}
			pl.Add(l)
		}
	}
	for k, h := range p.HLines {
		if math.IsInf(xmin, 0) {
			break
		}
		lo, hi := xmin, xmax
		if lo == hi {
			lo, hi = lo*0.9, hi*1.1
		}
		line, err := plotter.NewLine(plotter.XYs{{X: lo, Y: h.Y}, {X: hi, Y: h.Y}})
		if err != nil {
			return nil, leg, err
		}
		line.Color = color.RGBA{176, 0, 32, 255}
		line.Width = vg.Points(1.2)
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(3 + 2*float64(k))}
		pl.Add(line)
		leg.Add(legendText(h.Label), line)
		// The bound stays in view even when every point is far below it.
		pl.Y.Max = math.Max(pl.Y.Max, h.Y*1.05)
	}
	return pl, leg, nil
}

func hasLabels(ls []string) bool {
	for _, l := range ls {
		if l != "" {
			return true
		}
	}
	return false
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
	labelled := 0
	for _, t := range ts {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		// Too narrow a range to hold two of 1, 2 and 5 of a decade (every
		// user served alike): plain ticks, so the axis has numbers.
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	return ts
}

func (s Series) key() string {
	if s.Key != "" {
		return s.Key
	}
	return s.Label
}

// Only keeps the panels keep says to keep, for drawing apart (a page that
// places each panel in its own section): the series keep the colours they
// have in the whole.
func (d Data) Only(keep func(Panel) bool) Data {
	out := Data{keys: d.keys}
	if out.keys == nil {
		seen := map[string]bool{}
		for _, p := range d.Panels {
			for _, s := range p.Series {
				if !seen[s.key()] {
					seen[s.key()] = true
					out.keys = append(out.keys, s.key())
				}
			}
		}
	}
	for _, p := range d.Panels {
		if keep(p) {
			out.Panels = append(out.Panels, p)
		}
	}
	return out
}
