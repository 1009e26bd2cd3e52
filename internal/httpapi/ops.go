package httpapi

import (
	"context"
	"net/http"

	"github.com/ferrymigrate/ferry"
	"time"
)

var apiHealth = api{"api.health", "HEALTH"}

// healthz says the process is up and answering: nothing more, so that an
// orchestrator does not restart it for a database outage.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	respond(w, r, apiHealth, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz says the server may be sent traffic: it has started and its
// database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.readyCh:
	default:
		fail(w, r, apiHealth, ferry.Errorf(ferry.EUNAVAILABLE, "the server is starting"), nil)
		return
	}
	select {
	case <-s.stopping:
		fail(w, r, apiHealth, ferry.Errorf(ferry.EUNAVAILABLE, "the server is stopping"), nil)
		return
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := s.cfg.DB.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		s.log.Warn("readiness: the database does not answer", "err", err)
		fail(w, r, apiHealth, ferry.Errorf(ferry.EUNAVAILABLE, "the database does not answer"), nil)
		return
	}
	respond(w, r, apiHealth, http.StatusOK, map[string]any{"status": "ready"})
}
