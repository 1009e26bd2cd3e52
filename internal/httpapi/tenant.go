package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

var apiMigrate = api{"api.tenant.migrate", "TNTMIG"}

// migrateBody is POST /v1/tenant/migrate's request: the design note's
// fields, with dryRun and onConflict added (decision 1 of the reference:
// the note's misspelt targeRootOrgId is accepted too).
type migrateBody struct {
	Source     string   `json:"sourceRootOrgId"`
	Target     *string  `json:"targetRootOrgId"`
	Targe      *string  `json:"targeRootOrgId"`
	Entities   []string `json:"entities"`
	UserIDs    []string `json:"userIds"`
	DryRun     bool     `json:"dryRun"`
	OnConflict string   `json:"onConflict"`
}

// wrapper is the platform's request form, {"request": {...}}, with the
// fields its clients send beside it.
type wrapper struct {
	ID      string          `json:"id"`
	Ver     string          `json:"ver"`
	TS      string          `json:"ts"`
	Params  json.RawMessage `json:"params"`
	Request json.RawMessage `json:"request"`
}

// MigrateAccepted is the result of an accepted merge: the job that runs
// it and the plan it was accepted with.
type MigrateAccepted struct {
	Job    int64        `json:"job"`
	Status string       `json:"status"`
	Plan   *tenant.Plan `json:"plan"`
}

func (s *Server) migrate(w http.ResponseWriter, r *http.Request, a api) {
	var body migrateBody
	if err := decodeBody(w, r, s.cfg.MaxBody, &body); err != nil {
		fail(w, r, a, err, nil)
		return
	}
	target := ""
	switch {
	case body.Target != nil && body.Targe != nil && *body.Target != *body.Targe:
		fail(w, r, a, invalid("targetRootOrgId and targeRootOrgId differ: give one"), nil)
		return
	case body.Target != nil:
		target = *body.Target
	case body.Targe != nil:
		target = *body.Targe
	}
	req := tenant.Request{Source: body.Source, Target: target, Entities: body.Entities, Users: body.UserIDs, OnConflict: body.OnConflict}
	if body.DryRun {
		p, err := s.cfg.Tenant.Plan(r.Context(), req)
		if err != nil {
			fail(w, r, a, err, planResult(p))
			return
		}
		respond(w, r, a, http.StatusOK, map[string]any{"dryRun": true, "plan": p})
		return
	}
	job, p, err := s.cfg.Tenant.Submit(r.Context(), req)
	s.jobsChanged(r.Context(), err, job.ID)
	if err != nil {
		fail(w, r, a, err, planResult(p))
		return
	}
	s.Wake()
	w.Header().Set("Location", fmt.Sprintf("/v1/jobs/%d", job.ID))
	respond(w, r, a, http.StatusAccepted, MigrateAccepted{Job: job.ID, Status: string(engine.Queued), Plan: p})
}

// planResult is a refused plan as a failure's result: every reason, every
// conflict.
func planResult(p *tenant.Plan) any {
	if p == nil {
		return nil
	}
	return map[string]any{"plan": p}
}

// decodeBody reads a JSON body of at most limit bytes into v, flat or
// wrapped in {"request": ...}, refusing unknown fields, trailing data and
// a body over the limit, each with a message that says which.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return invalid("the request body is over %d bytes", limit)
	}
	if err != nil {
		return invalid("reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return invalid("the request body is empty: a JSON object is expected")
	}
	probe, err := object(raw)
	if err != nil {
		return err
	}
	if _, wrapped := probe["request"]; wrapped {
		var wr wrapper
		if err := strict(raw, probe, &wr); err != nil {
			return err
		}
		if probe, err = object(wr.Request); err != nil {
			return err
		}
		raw = wr.Request
	}
	return strict(raw, probe, v)
}

// object reads raw as one JSON object, keyed by its fields.
func object(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, invalid("the request body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, invalid("the request body has data after its JSON object")
	}
	return obj, nil
}

// strict decodes raw into v, whose fields are keys: every key of the
// object must be one of v's JSON names exactly. encoding/json matches
// names without regard to case, so "sourceRootOrgID" would otherwise fill
// (or overwrite) sourceRootOrgId.
func strict(raw []byte, keys map[string]json.RawMessage, v any) error {
	known := jsonNames(v)
	for k := range keys {
		if !known[k] {
			return invalid("the request body: unknown field %q", k)
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalid("the request body: %v", err)
	}
	return nil
}

// jsonNames are the JSON names of the fields of the struct v points to.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v).Elem()
	names := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}
