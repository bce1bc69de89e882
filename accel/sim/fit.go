package sim

import (
	"fmt"

	"github.com/inferbench/inferbench/fixtures"
)

// FitModel checks the scenario's token counts against its model, and sets
// OutputTokens to 0 for an encoder, which makes one pass and no tokens; an
// explicit positive count for one (outputGiven) is an error, since it asks
// for what the model cannot make. A decoder makes at least one token, and
// prompt and completion together must fit the model's context. Its errors
// name the counts as `inferbench simulate`'s flags do, and an unknown model
// lists the valid ones.
func (s *Scenario) FitModel(outputGiven bool) error {
	m, err := fixtures.LookupModel(s.Model)
	if err != nil {
		return err
	}
	switch {
	case m.Encoder && outputGiven && s.OutputTokens > 0:
		return fmt.Errorf("--output-tokens %d does not apply to %s: an encoder makes one pass and no tokens (drop the flag)", s.OutputTokens, m.ID)
	case m.Encoder:
		s.OutputTokens = 0
	case s.OutputTokens < 1:
		return fmt.Errorf("--output-tokens %d: %s is a decoder and makes at least 1 token (0 is for encoders such as bert-base)", s.OutputTokens, m.ID)
	}
	if s.InputTokens+s.OutputTokens > m.Context {
		return fmt.Errorf("--input-tokens %d + --output-tokens %d = %d tokens: %s takes at most %d (its context, prompt and completion together)",
			s.InputTokens, s.OutputTokens, s.InputTokens+s.OutputTokens, m.ID, m.Context)
	}
	return nil
}
