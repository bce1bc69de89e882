package report

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/fixtures"
)

// Cost is what a run's hardware costs to rent, and what its work costs at the
// measured throughput. The per-unit figures follow AWS's formula in its Neuron
// benchmark tables: cost per 1M = (1e6 / throughput per second) · (USD per
// hour / 3600).
type Cost struct {
	// USDPerHour is the price of the hardware behind the run: the per-chip price
	// times Chips.
	USDPerHour                float64 `json:"usd_per_hour"`
	USDPerMillionOutputTokens float64 `json:"usd_per_million_output_tokens,omitempty"`
	USDPerMillionRequests     float64 `json:"usd_per_million_requests,omitempty"`
	USDPerChipHour            float64 `json:"usd_per_chip_hour"`
	Chips                     int     `json:"chips"`
	// Basis, Source and Date say where the price comes from: the embedded
	// price table (fixtures/prices.json) or "--price" for a user's override.
	Basis      string `json:"basis,omitempty"`
	Source     string `json:"source"`
	Date       string `json:"date,omitempty"`
	Assumption bool   `json:"assumption,omitempty"`
	// Devices and DevicesBasis say what a merged run's price adds up (set by
	// Merge, empty on a single run): how many distinct devices its shards ran
	// on, and in words which were priced once (an endpoint shared by shards)
	// and which added. Chips is then the chips of all those devices.
	Devices      int    `json:"devices,omitempty"`
	DevicesBasis string `json:"devices_basis,omitempty"`
}

// PerMillion is AWS's cost formula: the dollars that one million units cost at
// perSecond units per second on hardware that rents for usdPerHour. It is 0
// when nothing was done.
func PerMillion(usdPerHour, perSecond float64) float64 {
	if perSecond <= 0 {
		return 0
	}
	return (1e6 / perSecond) * (usdPerHour / 3600)
}

// Prices says what each chip costs per hour: the embedded table, with a user's
// overrides on top.
type Prices struct {
	Table fixtures.PriceTable
	// Overrides are USD per chip-hour by backend id (sim:inf2?chips=12, nvml:0,
	// http://host/v1) or profile id (inf2); a backend id wins.
	Overrides map[string]float64
}

// DefaultPrices is the embedded table with no overrides.
func DefaultPrices() Prices { return Prices{Table: fixtures.Prices()} }

// ParsePriceFlags reads --price values of the form ID=USD_PER_HOUR into p's
// overrides. The error names the bad value and the form wanted.
func (p *Prices) ParsePriceFlags(values []string) error {
	for _, v := range values {
		id, usd, ok := strings.Cut(v, "=")
		// A backend id may itself hold '=' (sim:inf2?chips=12): split at the last.
		if i := strings.LastIndex(v, "="); ok && i > 0 {
			id, usd = v[:i], v[i+1:]
		}
		f, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(usd), "$"), 64)
		if !ok || id == "" || err != nil || f < 0 {
			return fmt.Errorf("--price %q: want ID=USD_PER_CHIP_HOUR, e.g. h100-sxm=4.92 or sim:inf2?chips=12=0.76", v)
		}
		if p.Overrides == nil {
			p.Overrides = map[string]float64{}
		}
		p.Overrides[id] = f
	}
	return nil
}

// CostOf prices a run: its per-chip price (override, else the table) times its
// chips, and AWS's formula over its throughput. Where there is no price the
// error says why; it is a *fixtures.NoPriceError when the table has none.
func (p Prices) CostOf(run *Run) (c Cost, err error) {
	chips := run.Backend.Info.Chips
	if chips < 1 {
		chips = 1
	}
	profile := run.Backend.Info.Profile
	c.Chips = chips
	if usd, found := p.Overrides[run.Backend.ID]; found {
		c.USDPerChipHour, c.Source, c.Basis = usd, "--price", "given by the user for "+run.Backend.ID
	} else if usd, found := p.Overrides[profile]; found && profile != "" {
		c.USDPerChipHour, c.Source, c.Basis = usd, "--price", "given by the user for profile "+profile
	} else if profile == "" {
		return Cost{}, fmt.Errorf("%s has no profile to price: give --price %s=USD", run.Backend.ID, run.Backend.ID)
	} else {
		pr, err := p.Table.Lookup(profile)
		if err != nil {
			return Cost{}, err
		}
		c.USDPerChipHour, c.Basis, c.Date, c.Assumption = pr.USDPerChipHour, pr.Basis, pr.Date, pr.Assumption
		c.Source = "fixtures/prices.json: " + pr.Source
	}
	c.USDPerHour = c.USDPerChipHour * float64(chips)
	c.USDPerMillionOutputTokens = PerMillion(c.USDPerHour, run.Throughput.OutputTokensPerS)
	c.USDPerMillionRequests = PerMillion(c.USDPerHour, run.Throughput.RequestsPerS)
	return c, nil
}

// AddCosts sets the Cost of every run it can price and returns, for those it
// cannot, one note each saying why (statistical doubts and missing prices are
// notes, not failures). Overrides naming no run in r are reported too, so a
// typo in --price does not pass silently.
//
// Profiles the table leaves unpriced for one reason share one note (the four
// laptop NPUs of the default run: one line, not four).
func (p Prices) AddCosts(r *Report) (notes []string) {
	used := map[string]bool{}
	var whys []string                 // unpriced reasons, in run order
	unpriced := map[string][]string{} // reason: profiles, quoted
	for i := range r.Runs {
		run := &r.Runs[i]
		c, err := p.CostOf(run)
		if err != nil {
			run.Cost = nil
			var np *fixtures.NoPriceError
			if errors.As(err, &np) && np.Why != "" {
				q := strconv.Quote(np.Profile)
				if !slices.Contains(unpriced[np.Why], q) {
					if len(unpriced[np.Why]) == 0 {
						whys = append(whys, np.Why)
					}
					unpriced[np.Why] = append(unpriced[np.Why], q)
				}
				continue
			}
			if n := err.Error(); !slices.Contains(notes, n) { // a sweep's every point: one note
				notes = append(notes, n)
			}
			continue
		}
		if old := run.Cost; old != nil && old.Devices > 0 {
			// A merged run re-priced: backend.info.chips already counts all
			// its devices; keep saying what they are.
			c.Devices, c.DevicesBasis = old.Devices, old.DevicesBasis
		}
		run.Cost = &c
		used[run.Backend.ID], used[run.Backend.Info.Profile] = true, true
	}
	for _, why := range whys {
		notes = append(notes, fmt.Sprintf("no price for %s: %s", strings.Join(unpriced[why], ", "), why))
	}
	var unused []string
	for id := range p.Overrides {
		if !used[id] {
			unused = append(unused, id)
		}
	}
	sort.Strings(unused)
	for _, id := range unused {
		notes = append(notes, fmt.Sprintf("--price %s matches no run (backend ids and profiles in the report are valid)", id))
	}
	return notes
}
