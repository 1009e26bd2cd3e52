package search

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// StatusError is the error of an answer whose status is 400 or more, with
// the reason the body gives (or the status's name): a 429 or a 5xx (what is left after the
// client's retries) is ErrUnavailable, anything else the request's fault.
func StatusError(status int, body []byte) error {
	reason := Reason(body)
	if reason == "" {
		// An answer to HEAD has no body.
		reason = http.StatusText(status)
	}
	err := fmt.Errorf("status %d: %s", status, reason)
	if status == 429 || status >= 500 {
		return Unavailable(err)
	}
	return err
}

// Reason is the error type and reason of an error answer, or the start
// of its body when it has none.
func Reason(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var obj struct{ Type, Reason string }
		if json.Unmarshal(e.Error, &obj) == nil && obj.Type != "" {
			return ErrorText(obj.Type, obj.Reason)
		}
		return string(e.Error)
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
