package signin

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
)

// A provider that cannot be reached, or is not one, stops the start with
// a clear error.
func TestNewUnreachableProvider(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	deps := Deps{DB: &store.DB{}, Log: slog.New(slog.DiscardHandler), Login: nil, Domains: nil}
	_, err := New(t.Context(), Config{Issuer: srv.URL, ClientID: "ferry"}, deps)
	if err == nil {
		t.Fatal("no error without a login function")
	}
	deps.Login, deps.Domains = noLogin, noDomains
	_, err = New(t.Context(), Config{Issuer: srv.URL, ClientID: "ferry"}, deps)
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("err = %v", err)
	}
}

func TestSafe(t *testing.T) {
	if got := safe("access_denied\n<script>"); got != "access_deniedscript" {
		t.Fatalf("safe = %q", got)
	}
}

var noLogin = func(_ context.Context, _, _ string) (registrar.LoginResult, error) {
	return registrar.LoginResult{}, nil
}

var noDomains = func(_ context.Context, _ string) ([]registrar.ManagedDomain, error) { return nil, nil }
