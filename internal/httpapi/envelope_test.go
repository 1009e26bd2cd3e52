package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// listResult is a list of 20 running merges, encoded as the cache keeps
// it.
func listResult(t testing.TB) json.RawMessage {
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	views := make([]JobView, 20)
	for i := range views {
		views[i] = viewOf(engine.Job{ID: int64(i + 1), Kind: "tenant.migrate", Status: engine.Running, Phase: "merge",
			Counts:    json.RawMessage(`{"users":{"inserted":100000,"skipped":12},"orgs":{"inserted":3}}`),
			Progress:  json.RawMessage(`{"phase":"merge","step":3,"steps":9,"unit":"rows","done":51234,"total":100000}`),
			StartedAt: now, HeartbeatAt: now, Error: "a <b> & c"})
	}
	res, err := encodeResult(map[string]any{"count": len(views), "jobs": views})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The varying fields of an envelope: its time and its own message id.
var varying = regexp.MustCompile(`"(ts|resmsgid)":"[^"]*"`)

// respondEncoded writes what respond writes, byte for byte but for the
// time and the message id.
func TestRespondEncoded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result json.RawMessage
	}{
		{"list", listResult(t)},
		{"empty object", json.RawMessage(`{}`)},
		{"html and unicode", json.RawMessage(`{"error":"<a href=\"x\">&amp;</a> é \u2028"}`)},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/jobs", nil)
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			respond(want, r, apiJobList, 200, tc.result)
			respondEncoded(got, r, apiJobList, 200, tc.result)
			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
				got.Header().Get("Cache-Control") != want.Header().Get("Cache-Control") {
				t.Errorf("status or headers: %d %v, want %d %v", got.Code, got.Header(), want.Code, want.Header())
			}
			g, w := varying.ReplaceAllString(got.Body.String(), ""), varying.ReplaceAllString(want.Body.String(), "")
			if g != w {
				t.Errorf("body:\n%s\nwant:\n%s", g, w)
			}
			if !json.Valid(got.Body.Bytes()) {
				t.Error("not JSON")
			}
		})
	}
}

// One GET /v1/jobs?limit=20 answered from memory: the envelope around the
// kept list, encoded and written.
func BenchmarkRespondList(b *testing.B) {
	res := listResult(b)
	r := httptest.NewRequest("GET", "/v1/jobs?limit=20", nil)
	for _, bc := range []struct {
		name string
		fn   func(*httptest.ResponseRecorder)
	}{
		{"respond", func(w *httptest.ResponseRecorder) { respond(w, r, apiJobList, 200, res) }},
		{"respondEncoded", func(w *httptest.ResponseRecorder) { respondEncoded(w, r, apiJobList, 200, res) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(res)))
			b.ReportAllocs()
			for b.Loop() {
				bc.fn(httptest.NewRecorder())
			}
		})
	}
}
