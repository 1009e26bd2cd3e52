package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/ferrymigrate/ferry"
)

// Envelope is the platform's response wrapper (tenant-reference §2.2),
// for successes and failures alike.
type Envelope struct {
	ID           string `json:"id"`
	Ver          string `json:"ver"`
	TS           string `json:"ts"`
	Params       Params `json:"params"`
	ResponseCode string `json:"responseCode"`
	Result       any    `json:"result"`
}

// Params carries the request's id and, on failure, the error.
type Params struct {
	ResMsgID string  `json:"resmsgid"`
	MsgID    string  `json:"msgid"`
	Err      *string `json:"err"`
	Status   string  `json:"status"`
	ErrMsg   *string `json:"errmsg"`
}

// statuses maps ferry's error codes to an HTTP status and the platform's
// ResponseCode name, once for the whole service.
var statuses = map[string]struct {
	status int
	code   string
}{
	ferry.EINVALID:      {http.StatusBadRequest, "CLIENT_ERROR"},
	ferry.EVALIDATION:   {http.StatusBadRequest, "CLIENT_ERROR"},
	ferry.EINPUT:        {http.StatusBadRequest, "CLIENT_ERROR"},
	ferry.EUNAUTHORIZED: {http.StatusUnauthorized, "UNAUTHORIZED"},
	ferry.EFORBIDDEN:    {http.StatusForbidden, "FORBIDDEN"},
	ferry.ENOTFOUND:     {http.StatusNotFound, "RESOURCE_NOT_FOUND"},
	ferry.EBUSY:         {http.StatusConflict, "CONFLICT"},
	ferry.ECONFLICT:     {http.StatusConflict, "CONFLICT"},
	ferry.EUNAVAILABLE:  {http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
	ferry.EINTERRUPTED:  {http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
}

// errorKeys are the numeric keys of the platform's error style
// (tenant-reference §2.3: a service prefix, an operation code, a key),
// taken from its own ResponseCode list where one fits.
var errorKeys = map[string]string{
	ferry.EINVALID:      "0017", // invalidParameterValue
	ferry.EVALIDATION:   "0019", // invalidParameter
	ferry.ECONFLICT:     "0045", // parameterMismatch
	ferry.EBUSY:         "0409",
	ferry.EUNAUTHORIZED: "0401",
	ferry.EFORBIDDEN:    "0403",
	ferry.ENOTFOUND:     "0404",
	ferry.EUNAVAILABLE:  "0503",
	ferry.EINTERRUPTED:  "0503",
}

// StatusOf is the HTTP status err answers with.
func StatusOf(err error) int {
	if s, ok := statuses[ferry.ErrorCode(err)]; ok {
		return s.status
	}
	return http.StatusInternalServerError
}

// ErrorCodeOf is err in the platform's style, e.g. FRY_TNTMIG0019 for a
// refused tenant merge: ferry's prefix, the API's operation, the key.
func ErrorCodeOf(op string, err error) string {
	key, ok := errorKeys[ferry.ErrorCode(err)]
	if !ok {
		key = "0500"
	}
	return "FRY_" + op + key
}

type ctxKey int

const requestIDKey ctxKey = iota

// requestIDs are what a client may send as X-Request-ID: a bounded id, so
// that nothing a client sends reaches the logs unchecked.
var requestIDs = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withRequestID gives every request an id, the client's when it sent a
// sensible one, echoed in X-Request-ID and in the envelope's msgid.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDs.MatchString(id) {
			id = newID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// api names an endpoint for its envelope: its id (api.tenant.migrate) and
// its operation code in error codes (TNTMIG).
type api struct {
	id, op string
}

func envelope(r *http.Request, a api) Envelope {
	return Envelope{ID: a.id, Ver: "v1", TS: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Params: Params{ResMsgID: newID(), MsgID: requestID(r), Status: "successful"}}
}

// respond writes a success.
func respond(w http.ResponseWriter, r *http.Request, a api, status int, result any) {
	env := envelope(r, a)
	env.ResponseCode = "OK"
	env.Result = result
	writeJSON(w, status, env)
}

// respondEncoded writes a success whose result is encoded already (by
// encodeResult, kept in a cache), as respond would write it, without
// encoding/json reading the result through again to check it: for a
// list of jobs, most of the time its answer took.
func respondEncoded(w http.ResponseWriter, r *http.Request, a api, status int, result json.RawMessage) {
	env := envelope(r, a)
	env.ResponseCode = "OK"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Result is the envelope's last field: its null is where the result
	// goes, written as it is kept (the response writer buffers).
	const tail = "null}\n"
	if err := enc.Encode(env); err != nil || !bytes.HasSuffix(b.Bytes(), []byte(tail)) || len(result) == 0 {
		respond(w, r, a, status, result)
		return
	}
	b.Truncate(b.Len() - len(tail))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	_, _ = w.Write(result)
	_, _ = io.WriteString(w, "}\n")
}

// fail writes err in the platform's failure form: params.err and errmsg
// say what went wrong, result carries the details (a refused plan's
// reasons) or is empty.
func fail(w http.ResponseWriter, r *http.Request, a api, err error, result any) {
	status, code := http.StatusInternalServerError, "SERVER_ERROR"
	if s, ok := statuses[ferry.ErrorCode(err)]; ok {
		status, code = s.status, s.code
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		// An internal error's text may hold anything; the log has it.
		msg = "internal error; the server's log has the details (request " + requestID(r) + ")"
	}
	if hint := ferry.ErrorHint(err); hint != "" && status != http.StatusInternalServerError {
		msg += " (" + hint + ")"
	}
	env := envelope(r, a)
	errCode := ErrorCodeOf(a.op, err)
	env.Params.Err, env.Params.ErrMsg, env.Params.Status = &errCode, &msg, "failed"
	env.ResponseCode = code
	if result == nil {
		result = map[string]any{}
	}
	env.Result = result
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
	}
	writeJSON(w, status, env)
}

// encodeResult encodes a result once, as writeJSON would, for answers
// kept in a cache and written many times.
func encodeResult(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// invalid is a client's mistake in a request.
func invalid(format string, args ...any) error {
	return ferry.Errorf(ferry.EINVALID, format, args...)
}
