package sim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// FitSource is the source a fitted figure carries in profiles.json.
func FitSource(r *FitResult, k Knob, date string) string {
	return fmt.Sprintf("fit: %s over %d cases of families %s in fixtures/calibration*.json, from DESIGN.md's typical figure: squared log error, then absolute log error capped at ln 1.5 a case (accel/sim.Fit; `go test ./accel/sim -run TestFittedProfiles -update`, %s)",
		k.Name(), r.Cases, strings.Join(r.Families, ", "), date)
}

// UpdateProfilesJSON writes a fit's values, and their sources, into the
// profiles file data (its one-line-per-profile layout kept): each knob's
// field in every profile it covers. A profile-level knob's field in the
// other profiles of its platform, which no measurement informs, becomes the
// mean of the platform's fits, said to be an assumption.
func UpdateProfilesJSON(data []byte, r *FitResult, date string) ([]byte, error) {
	lines := strings.Split(string(data), "\n")
	idRe := regexp.MustCompile(`^\s*\{"id": "([^"]+)"`)
	type edit struct {
		value  float64
		source string
	}
	edits := map[string]map[string]edit{} // profile → field → edit
	set := func(id, field string, e edit) {
		if edits[id] == nil {
			edits[id] = map[string]edit{}
		}
		edits[id][field] = e
	}
	perProfile := map[string][]float64{} // platform/field → profile fits
	fitted := map[string]bool{}          // id/field
	skipped := map[string]bool{}
	for _, n := range r.Skipped {
		skipped[n] = true
	}
	for i, k := range r.Knobs {
		src := FitSource(r, k, date)
		if skipped[k.Name()] {
			src = "assumption: DESIGN.md's typical figure (the fit's prior); no embedded measurement depends on it"
		}
		for _, p := range Profiles() {
			if k.covers(p) {
				set(p.ID, k.Field, edit{r.Values[i], src})
				fitted[p.ID+"/"+k.Field] = true
				if k.Profile != "" {
					perProfile[p.Platform+"/"+k.Field] = append(perProfile[p.Platform+"/"+k.Field], r.Values[i])
				}
			}
		}
	}
	for key, vs := range perProfile {
		plat, field, _ := strings.Cut(key, "/")
		mean := 0.0
		for _, v := range vs {
			mean += v
		}
		mean = round3(mean / float64(len(vs)))
		for _, p := range Profiles() {
			if p.Platform == plat && !fitted[p.ID+"/"+field] {
				set(p.ID, field, edit{mean, fmt.Sprintf("assumption: no measurement of this chip; the mean of its platform's fitted %s (%s)", field, date)})
			}
		}
	}
	for i := 0; i < len(lines); i++ {
		m := idRe.FindStringSubmatch(lines[i])
		if m == nil || i+1 >= len(lines) {
			continue
		}
		for field, e := range edits[m[1]] {
			var err error
			if lines[i], err = replaceValue(lines[i], field, strconv.FormatFloat(e.value, 'g', -1, 64)); err != nil {
				return nil, fmt.Errorf("profile %s: %w", m[1], err)
			}
			q, err := json.Marshal(e.source) // JSON's escapes, not Go's
			if err != nil {
				return nil, err
			}
			if lines[i+1], err = replaceValue(lines[i+1], field, string(q)); err != nil {
				return nil, fmt.Errorf("profile %s sources: %w", m[1], err)
			}
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// replaceValue replaces the value of "field" in a one-line JSON object.
func replaceValue(line, field, value string) (string, error) {
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(field) + `": ("(?:[^"\\]|\\.)*"|[-0-9.eE+]+|true|false)`)
	loc := re.FindStringSubmatchIndex(line)
	if loc == nil {
		return line, fmt.Errorf("no %q field", field)
	}
	return line[:loc[2]] + value + line[loc[3]:], nil
}
