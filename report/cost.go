package report

import (
	"fmt"
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
// chips, and AWS's formula over its throughput. ok is false where there is no
// price; why then says why.
func (p Prices) CostOf(run *Run) (c Cost, ok bool, why string) {
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
		return Cost{}, false, fmt.Sprintf("%s has no profile to price: give --price %s=USD", run.Backend.ID, run.Backend.ID)
	} else {
		pr, err := p.Table.Lookup(profile)
		if err != nil {
			return Cost{}, false, err.Error()
		}
		c.USDPerChipHour, c.Basis, c.Date, c.Assumption = pr.USDPerChipHour, pr.Basis, pr.Date, pr.Assumption
		c.Source = "fixtures/prices.json: " + pr.Source
	}
	c.USDPerHour = c.USDPerChipHour * float64(chips)
	c.USDPerMillionOutputTokens = PerMillion(c.USDPerHour, run.Throughput.OutputTokensPerS)
	c.USDPerMillionRequests = PerMillion(c.USDPerHour, run.Throughput.RequestsPerS)
	return c, true, ""
}

// AddCosts sets the Cost of every run it can price and returns, for those it
// cannot, one note each saying why (statistical doubts and missing prices are
// notes, not failures). Overrides naming no run in r are reported too, so a
// typo in --price does not pass silently.
func (p Prices) AddCosts(r *Report) (notes []string) {
	used := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		c, ok, why := p.CostOf(run)
		if !ok {
			run.Cost = nil
			notes = append(notes, why)
			continue
		}
		run.Cost = &c
		used[run.Backend.ID], used[run.Backend.Info.Profile] = true, true
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
