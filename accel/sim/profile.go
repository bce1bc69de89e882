package sim

import "github.com/inferbench/inferbench/fixtures"

// Profile is one simulated chip: datasheet figures, each with its source. The
// table is fixtures/profiles.json, shared with accel/nvml, which matches real
// GPUs to it.
type Profile = fixtures.Profile

// Profiles returns every simulated profile, in the embedded file's order.
func Profiles() []Profile { return fixtures.Profiles() }

// ProfileIDs lists the profile ids in the embedded file's order.
func ProfileIDs() []string { return fixtures.ProfileIDs() }

// LookupProfile finds a profile by id, ignoring case; the error suggests the
// nearest ids and lists the valid ones.
func LookupProfile(id string) (Profile, error) { return fixtures.LookupProfile(id) }
