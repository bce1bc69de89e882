package awsstream

import (
	"strconv"

	"github.com/inferbench/inferbench/internal/jsonscan"
	"github.com/inferbench/inferbench/internal/openai"
)

// SageMaker Runtime's InvokeEndpointWithResponseStream answers in the same
// event-stream frames as Bedrock, each PayloadPart's payload a piece of the
// container's own stream: Text Generation Inference's server-sent events
// (`data:{"token":{...}}`) or the LMI (DJL Serving, vLLM) container's JSON
// lines (`{"token":{...}}`). Pieces do not align with lines, so the client
// joins them and reads whole lines with ParseTokenLine.

// EventPayloadPart is the :event-type of a piece of the container's stream.
const EventPayloadPart = "PayloadPart"

// TokenLine is what the client needs from one line of a TGI or LMI stream.
type TokenLine struct {
	// Text is the length in bytes of the token's text (token.text), 0 for a
	// special token (token.special: end of sequence), which is no output.
	Text int
	// Token is set when the line carries a token.
	Token bool
	// FinishReason is details.finish_reason (length, eos_token,
	// stop_sequence), nil when absent.
	FinishReason []byte
	// GeneratedTokens is details.generated_tokens, -1 when absent.
	GeneratedTokens int
	// Error is set for an error line ({"error": "...", "error_type": ...});
	// ErrorMessage points into the line.
	Error        bool
	ErrorMessage []byte
}

// ParseTokenLine reads one line of a TGI or LMI stream (its `data:` prefix,
// if any, already removed) into e without allocating.
func ParseTokenLine(b []byte, e *TokenLine) error {
	*e = TokenLine{GeneratedTokens: -1}
	var text int
	var special bool
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "token":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.Token = true
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "text":
					return str(b, v, &text)
				case "special":
					special = v+4 <= len(b) && string(b[v:v+4]) == "true"
				}
				return jsonscan.SkipValue(b, v)
			})
		case "details":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "finish_reason":
					if v < len(b) && b[v] == '"' {
						s, end, err := jsonscan.ReadString(b, v)
						e.FinishReason = s
						return end, err
					}
				case "generated_tokens":
					return jsonscan.ReadInt(b, v, &e.GeneratedTokens)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "error":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.Error = true
			if v < len(b) && b[v] == '"' {
				s, end, err := jsonscan.ReadString(b, v)
				e.ErrorMessage = s
				return end, err
			}
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	if !special {
		e.Text = text
	}
	return nil
}

// AppendTGIRequest appends the request body TGI and the LMI container
// take: inputs, parameters.max_new_tokens, stream. details asks TGI for the
// final counts (generated_tokens, finish_reason).
func AppendTGIRequest(dst []byte, prompt string, promptBytes []byte, maxTokens int) []byte {
	dst = append(dst, `{"inputs":`...)
	if prompt != "" {
		dst = openai.AppendString(dst, prompt)
	} else {
		dst = openai.AppendBytes(dst, promptBytes)
	}
	dst = append(dst, `,"parameters":{"details":true`...)
	if maxTokens > 0 {
		dst = append(dst, `,"max_new_tokens":`...)
		dst = strconv.AppendInt(dst, int64(maxTokens), 10)
	}
	return append(dst, `},"stream":true}`...)
}
