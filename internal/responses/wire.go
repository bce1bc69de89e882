package responses

import (
	"encoding/json"
	"strconv"

	"github.com/inferbench/inferbench/internal/openai"
)

// Request is a /v1/responses request body as a server reads it.
type Request struct {
	Model string `json:"model"`
	// Input is a string or an array of input messages ({"role","content"},
	// content a string or parts).
	Input           json.RawMessage `json:"input"`
	Instructions    string          `json:"instructions,omitempty"`
	MaxOutputTokens *int            `json:"max_output_tokens,omitempty"`
	Stream          bool            `json:"stream,omitempty"`
}

// Usage is a response's token counts.
type Usage struct {
	InputTokens, OutputTokens, ReasoningTokens int
}

// Writer appends one response's events, numbering them (sequence_number)
// as it goes. Each method appends a whole event: the event: line, the data:
// line and the blank line after.
type Writer struct {
	ID, ItemID, Model string
	ReasoningID       string // the reasoning item's id (rs_...), for reasoning deltas
	Created           int64
	Seq               int
}

func (w *Writer) begin(dst []byte, typ string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: {\"type\":\""...)
	dst = append(dst, typ...)
	dst = append(dst, `","sequence_number":`...)
	dst = strconv.AppendInt(dst, int64(w.Seq), 10)
	w.Seq++
	return dst
}

func (w *Writer) appendResponse(dst []byte, status string, u *Usage) []byte {
	dst = append(dst, `,"response":{"id":`...)
	dst = openai.AppendString(dst, w.ID)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = strconv.AppendInt(dst, w.Created, 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","model":`...)
	dst = openai.AppendString(dst, w.Model)
	if status == "incomplete" {
		dst = append(dst, `,"incomplete_details":{"reason":"max_output_tokens"}`...)
	} else {
		dst = append(dst, `,"incomplete_details":null`...)
	}
	dst = append(dst, `,"output":[],"usage":`...)
	if u == nil {
		return append(dst, "null}"...)
	}
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.InputTokens), 10)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.OutputTokens), 10)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.ReasoningTokens), 10)
	dst = append(dst, `},"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.InputTokens+u.OutputTokens), 10)
	return append(dst, "}}"...)
}

// AppendStart appends what a response opens with: response.created,
// response.in_progress, the message item's response.output_item.added and
// its text part's response.content_part.added.
func (w *Writer) AppendStart(dst []byte) []byte {
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		dst = w.begin(dst, typ)
		dst = w.appendResponse(dst, "in_progress", nil)
		dst = append(dst, "}\n\n"...)
	}
	dst = w.begin(dst, "response.output_item.added")
	dst = append(dst, `,"output_index":0,"item":{"id":`...)
	dst = openai.AppendString(dst, w.ItemID)
	dst = append(dst, ","+`"type":"message","status":"in_progress","role":"assistant","content":[]}}`+"\n\n"...)
	dst = w.begin(dst, "response.content_part.added")
	dst = append(dst, `,"item_id":`...)
	dst = openai.AppendString(dst, w.ItemID)
	return append(dst, `,"output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}`+"\n\n"...)
}

// AppendTextDelta appends response.output_text.delta.
func (w *Writer) AppendTextDelta(dst []byte, text string) []byte {
	dst = w.begin(dst, "response.output_text.delta")
	dst = append(dst, `,"item_id":`...)
	dst = openai.AppendString(dst, w.ItemID)
	dst = append(dst, `,"output_index":0,"content_index":0,"delta":`...)
	dst = openai.AppendString(dst, text)
	return append(dst, `,"logprobs":[]}`+"\n\n"...)
}

// AppendReasoningDelta appends response.reasoning_text.delta, a reasoning
// model's thinking, in the item ReasoningID.
func (w *Writer) AppendReasoningDelta(dst []byte, text string) []byte {
	dst = w.begin(dst, "response.reasoning_text.delta")
	dst = append(dst, `,"item_id":`...)
	dst = openai.AppendString(dst, w.ReasoningID)
	dst = append(dst, `,"output_index":0,"content_index":0,"delta":`...)
	dst = openai.AppendString(dst, text)
	return append(dst, "}\n\n"...)
}

// AppendEnd appends the terminal event: response.incomplete when the answer
// stopped at max_output_tokens (capped), else response.completed, with u.
func (w *Writer) AppendEnd(dst []byte, capped bool, u Usage) []byte {
	typ, status := "response.completed", "completed"
	if capped {
		typ, status = "response.incomplete", "incomplete"
	}
	dst = w.begin(dst, typ)
	dst = w.appendResponse(dst, status, &u)
	return append(dst, "}\n\n"...)
}

// AppendError appends an error event.
func (w *Writer) AppendError(dst []byte, code, msg string) []byte {
	dst = w.begin(dst, "error")
	dst = append(dst, `,"code":`...)
	dst = openai.AppendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = openai.AppendString(dst, msg)
	return append(dst, `,"param":null}`+"\n\n"...)
}

// RequestBody is the body a client sends to /v1/responses: the prompt as
// input and max_output_tokens.
type RequestBody struct {
	Model  string
	Prompt string
	// PromptBytes is used instead of Prompt when Prompt is empty.
	PromptBytes []byte
	MaxTokens   int
	Stream      bool
}

// Append appends the JSON body to dst.
func (r *RequestBody) Append(dst []byte) []byte {
	dst = append(dst, `{"model":`...)
	dst = openai.AppendString(dst, r.Model)
	dst = append(dst, `,"input":`...)
	if r.Prompt != "" {
		dst = openai.AppendString(dst, r.Prompt)
	} else {
		dst = openai.AppendBytes(dst, r.PromptBytes)
	}
	if r.MaxTokens > 0 {
		dst = append(dst, `,"max_output_tokens":`...)
		dst = strconv.AppendInt(dst, int64(r.MaxTokens), 10)
	}
	if r.Stream {
		dst = append(dst, `,"stream":true`...)
	}
	return append(dst, '}')
}
