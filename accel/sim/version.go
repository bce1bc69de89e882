package sim

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/inferbench/inferbench/fixtures"
)

// DataVersion identifies the embedded profile data: the first 12 hex digits
// of its SHA-256. Reports record it, so a comparison of simulated runs can tell
// when the profiles themselves changed between the two.
func DataVersion() string {
	sum := sha256.Sum256(fixtures.ProfilesData())
	return hex.EncodeToString(sum[:6])
}
