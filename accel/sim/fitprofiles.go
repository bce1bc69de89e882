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
	st, from := r.StageOf(k), "DESIGN.md's typical figure"
	if k.Second {
		from = "its prior, with the first stage's figures held (the second stage: MoE models and Blackwell chips)"
	}
	return fmt.Sprintf("fit: %s over %d cases of families %s in fixtures/calibration*.json, from %s: squared log error, then absolute log error capped at ln 1.5 a case (accel/sim.Fit; `go test ./accel/sim -run TestFittedProfiles -update`, %s)",
		k.Name(), st.Cases, strings.Join(st.Families, ", "), from, date)
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
	// The MoE figures of a chip no MoE case ran on are borrowed from the
	// nearest measured generation: Blackwell's for a chip with FP4 units,
	// Hopper's for one without.
	for i, k := range r.Knobs {
		if !moeOnlyField(k.Field) || skipped[k.Name()] {
			continue
		}
		for _, p := range Profiles() {
			if fitted[p.ID+"/"+k.Field] || !k.covers(donor(p)) || donorFits(r, k.Field, donor(p)) != i {
				continue
			}
			set(p.ID, k.Field, edit{r.Values[i], fmt.Sprintf("assumption: no mixture-of-experts measurement of this chip; %s's fitted %s (the nearest measured generation%s), borrowed (%s)",
				donor(p).ID, k.Field, map[bool]string{true: ", with FP4 units", false: ""}[p.FP4], date)})
		}
	}
	for key, vs := range perProfile {
		plat, field, _ := strings.Cut(key, "/")
		if moeOnlyField(field) {
			continue
		}
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
			if lines[i], err = setValue(lines[i], field, strconv.FormatFloat(e.value, 'g', -1, 64), false); err != nil {
				return nil, fmt.Errorf("profile %s: %w", m[1], err)
			}
			q, err := json.Marshal(e.source) // JSON's escapes, not Go's
			if err != nil {
				return nil, err
			}
			if lines[i+1], err = setValue(lines[i+1], field, string(q), true); err != nil {
				return nil, fmt.Errorf("profile %s sources: %w", m[1], err)
			}
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// moeOnlyField says a profile field is read only for mixture-of-experts
// models.
func moeOnlyField(f string) bool {
	return f == "eff_moe_matmul" || f == "eff_moe_matmul_weight_only" || f == "moe_half_rows"
}

// donor is the measured chip whose MoE figures a chip without MoE
// measurements borrows: b200 for a chip with FP4 units, h200 otherwise.
func donor(p Profile) Profile {
	id := "h200"
	if p.FP4 {
		id = "b200"
	}
	d, _ := LookupProfile(id)
	return d
}

// donorFits is the index of the last of r's knobs that sets field on d
// (the one whose value d ends with); -1 when none does.
func donorFits(r *FitResult, field string, d Profile) int {
	at := -1
	for i, k := range r.Knobs {
		if k.Field == field && k.covers(d) {
			at = i
		}
	}
	return at
}

// setValue is replaceValue, or where the line has no such field, adds it:
// at the end of a profile's figures line (which ends in a comma), or last in
// its sources object.
func setValue(line, field, value string, sources bool) (string, error) {
	out, err := replaceValue(line, field, value)
	if err == nil {
		return out, nil
	}
	add := fmt.Sprintf("%q: %s", field, value)
	if !sources {
		if !strings.HasSuffix(line, ",") {
			return line, err
		}
		return line + " " + add + ",", nil
	}
	at := strings.LastIndex(line, "}}")
	if at < 0 {
		return line, err
	}
	return line[:at] + ", " + add + line[at:], nil
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
