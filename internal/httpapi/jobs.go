package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
)

var (
	apiJobList     = api{"api.jobs.list", "JOBLST"}
	apiJobRead     = api{"api.jobs.read", "JOBGET"}
	apiJobEvents   = api{"api.jobs.events", "JOBEVT"}
	apiJobCancel   = api{"api.jobs.cancel", "JOBCNL"}
	apiJobRollback = api{"api.jobs.rollback", "JOBRBK"}
)

// JobView is a job as the API shows it.
type JobView struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	Status     string          `json:"status"`
	Phase      string          `json:"phase"`
	Progress   ProgressView    `json:"progress"`
	Counts     json.RawMessage `json:"counts"`
	Conflicts  json.RawMessage `json:"conflicts"`
	Errors     []string        `json:"errors"`
	Attempts   int             `json:"attempts"`
	StartedAt  time.Time       `json:"startedAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	FinishedAt *time.Time      `json:"finishedAt"`
}

// ProgressView is how far the job's current phase is.
type ProgressView struct {
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	Phase string  `json:"phase"`
	Unit  string  `json:"unit"`
	Done  int64   `json:"done"`
	Total int64   `json:"total"`
	Rate  float64 `json:"rate"`
	// ETA is the seconds the phase has left at its pace so far; 0 when
	// unknown.
	ETA float64 `json:"eta"`
}

func viewOf(j engine.Job) JobView {
	v := JobView{ID: j.ID, Kind: j.Kind, Status: string(j.Status), Phase: j.Phase, Counts: j.Counts, Conflicts: json.RawMessage("[]"),
		Errors: []string{}, Attempts: j.Attempts, StartedAt: j.StartedAt, UpdatedAt: j.HeartbeatAt, FinishedAt: j.FinishedAt}
	if len(v.Counts) == 0 || string(v.Counts) == "null" {
		v.Counts = json.RawMessage("{}")
	}
	var ev engine.Event
	if json.Unmarshal(j.Progress, &ev) == nil && ev.Phase != "" {
		v.Progress = ProgressView{Step: ev.Step, Steps: ev.Steps, Phase: ev.Phase, Unit: ev.Unit, Done: ev.Done, Total: ev.Total,
			Rate: ev.Rate(), ETA: ev.ETA().Seconds()}
	}
	// A merge's counts carry its conflicts; the list shows them apart.
	var counts struct {
		Conflicts json.RawMessage `json:"conflicts"`
	}
	if json.Unmarshal(v.Counts, &counts) == nil && len(counts.Conflicts) > 0 && string(counts.Conflicts) != "null" {
		v.Conflicts = counts.Conflicts
	}
	if j.Error != "" {
		v.Errors = append(v.Errors, j.Error)
	}
	return v
}

func jobID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalid("job id %q is not a positive number", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, a api) {
	q := r.URL.Query()
	f := engine.Filter{Kind: q.Get("kind"), Status: engine.Status(q.Get("status"))}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			fail(w, r, a, invalid("limit %q: a number from 1 to 500", l), nil)
			return
		}
		f.Limit = n
	}
	if f.Limit == 0 {
		f.Limit = 50 // engine.List's default, so that one key holds both spellings
	}
	res, err := s.lists.get(r.Context(), f, s.listLoader(f))
	if err != nil {
		fail(w, r, a, err, nil)
		return
	}
	respondEncoded(w, r, a, http.StatusOK, res)
}

// listLoader reads the list f selects, as GET /v1/jobs answers it.
func (s *Server) listLoader(f engine.Filter) func(context.Context) (json.RawMessage, error) {
	return func(ctx context.Context) (json.RawMessage, error) {
		jobs, err := engine.List(ctx, s.cfg.DB, f)
		if err != nil {
			return nil, err
		}
		views := make([]JobView, 0, len(jobs))
		for _, j := range jobs {
			views = append(views, viewOf(j))
		}
		return encodeResult(map[string]any{"count": len(views), "jobs": views})
	}
}

// jobAnswer is a job as GET /v1/jobs/{id} and its event stream show it,
// encoded once.
type jobAnswer struct {
	view  json.RawMessage
	ended bool
}

// jobLoader reads job id.
func (s *Server) jobLoader(id int64) func(context.Context) (jobAnswer, error) {
	return func(ctx context.Context) (jobAnswer, error) {
		j, err := engine.Get(ctx, s.cfg.DB, id)
		if err != nil {
			return jobAnswer{}, err
		}
		b, err := encodeResult(viewOf(j))
		return jobAnswer{view: b, ended: ended(j.Status)}, err
	}
}

// job is the job the path names, from the cache: at most as old as
// docs/api.md says. It answers a failure itself.
func (s *Server) job(w http.ResponseWriter, r *http.Request, a api) (int64, jobAnswer, bool) {
	id, err := jobID(r)
	if err == nil {
		var j jobAnswer
		if j, err = s.jobs.get(r.Context(), id, s.jobLoader(id)); err == nil {
			return id, j, true
		}
	}
	fail(w, r, a, err, nil)
	return 0, jobAnswer{}, false
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, a api) {
	if _, j, ok := s.job(w, r, a); ok {
		respondEncoded(w, r, a, http.StatusOK, j.view)
	}
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, a api) {
	id, err := jobID(r)
	if err != nil {
		fail(w, r, a, err, nil)
		return
	}
	j, err := s.cfg.Engine.Cancel(r.Context(), id)
	s.jobsChanged(r.Context(), err, id)
	if err != nil {
		fail(w, r, a, err, nil)
		return
	}
	status := http.StatusOK
	if j.Status == engine.Running {
		// Asked for: the job stops at its next checkpoint.
		status = http.StatusAccepted
	}
	respond(w, r, a, status, viewOf(j))
}

type rollbackBody struct {
	Force bool `json:"force"`
}

func (s *Server) rollbackJob(w http.ResponseWriter, r *http.Request, a api) {
	id, err := jobID(r)
	if err != nil {
		fail(w, r, a, err, nil)
		return
	}
	var body rollbackBody
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, s.cfg.MaxBody, &body); err != nil {
			fail(w, r, a, err, nil)
			return
		}
	}
	j, err := s.cfg.Tenant.SubmitRollback(r.Context(), id, body.Force)
	s.jobsChanged(r.Context(), err, j.ID)
	if err != nil {
		fail(w, r, a, err, nil)
		return
	}
	s.Wake()
	w.Header().Set("Location", fmt.Sprintf("/v1/jobs/%d", j.ID))
	respond(w, r, a, http.StatusAccepted, map[string]any{"job": j.ID, "rollbackOf": id, "status": j.Status})
}

// jobEvents streams a job's state as server-sent events: an event
// whenever the job's answer changes, read through the same cache as GET
// /v1/jobs/{id} (so however many clients follow a job, the database is
// read for it as for one, and a job whichever ferry serve process runs it
// is followed), and a last "end" event when the job has ended.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request, a api) {
	id, j, ok := s.job(w, r, a)
	if !ok {
		return
	}
	var err error
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, r, a, ferry.Errorf(ferry.EINTERNAL, "streaming is not supported here"), nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(s.eventPoll())
	defer tick.Stop()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	var last json.RawMessage
	for {
		if !bytes.Equal(j.view, last) {
			last = j.view
			fmt.Fprintf(w, "event: progress\nid: %d-%d\ndata: %s\n\n", id, time.Now().UnixMilli(), j.view)
			flusher.Flush()
		}
		if j.ended {
			fmt.Fprintf(w, "event: end\ndata: %s\n\n", j.view)
			flusher.Flush()
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
			continue
		case <-tick.C:
		}
		if j, err = s.jobs.get(r.Context(), id, s.jobLoader(id)); err != nil {
			return
		}
	}
}

func (s *Server) eventPoll() time.Duration {
	if s.cfg.Poll > 0 && s.cfg.Poll < 500*time.Millisecond {
		return s.cfg.Poll
	}
	return 500 * time.Millisecond
}

// ended says a job will not change again by itself.
func ended(st engine.Status) bool {
	switch st {
	case engine.Succeeded, engine.Failed, engine.Abandoned, engine.Cancelled:
		return true
	}
	return false
}
