package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/httpapi"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/signin"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

func (a *app) serveCmd() *cobra.Command {
	var listen string
	var workers int
	var poll, grace time.Duration
	var maxBody int64
	var oidcCfg signin.Config
	var oidcKeyFile string
	var sf searchFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR]",
		Short: "Serve the tenant API, the jobs behind it, and health and metrics",
		Long: `Serve ferry's HTTP API: POST /v1/tenant/migrate, the jobs it starts
(GET /v1/jobs, /v1/jobs/{id}, its events, cancel and rollback), /healthz,
/readyz, /metrics and /openapi.json. Every /v1 endpoint needs a bearer
token from ferry token create.

Jobs run in the background on this process's workers, and on those of any
other ferry serve on the same PostgreSQL database: each job runs once, and
one that a stopped server left interrupted is resumed by the next worker.
On SIGTERM the server stops accepting, lets requests finish, checkpoints
its running jobs and exits.`,
		Example: `  ferry --db postgres://ferry@db.example/ferry serve --listen :8080
  ferry token create --role admin --name ops
  curl -H "Authorization: Bearer $TOKEN" localhost:8080/v1/jobs`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if grace <= 0 || grace > 9*time.Second {
				return usagef("--grace must be more than 0 and at most 9s (a second signal, or 10 s, ends the process)")
			}
			ctx := cmd.Context()
			db, err := a.open(ctx)
			if err != nil {
				return err
			}
			var mount func(*http.ServeMux)
			if oidcCfg.Issuer != "" {
				if oidcKeyFile != "" {
					if oidcCfg.PrivateKeyPEM, err = os.ReadFile(oidcKeyFile); err != nil {
						return usagef("--oidc-private-key: %v", err)
					}
				}
				host, _, _ := net.SplitHostPort(listen)
				if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
					oidcCfg.InsecureCookie = strings.HasPrefix(oidcCfg.RedirectURL, "http://")
				}
				reg := registrar.New(a.eng)
				svc, err := signin.New(ctx, oidcCfg, signin.Deps{Login: reg.Login, Domains: reg.ManagedDomains, DB: db, Log: a.log})
				if err != nil {
					return err
				}
				mount = svc.Mount
			}
			var background []func(context.Context)
			var searchMetrics *httpapi.SearchMetrics
			if sf.url != "" {
				// The outbox is drained while the server runs, by the same
				// worker as ferry search sync; several servers share it.
				ix, err := sf.open()
				if err != nil {
					return err
				}
				defer closeIndex(ix)
				searchMetrics = httpapi.NewSearchMetrics(tenant.Documents{}.Entities())
				sy := &search.Syncer{DB: db, Index: ix, Source: tenant.Documents{}, Prefix: sf.prefix, Log: a.log, Observer: searchMetrics}
				background = append(background, func(ctx context.Context) { _ = sy.Run(ctx, poll) })
			}
			srv, err := httpapi.New(httpapi.Config{DB: db, Engine: a.eng, Tenant: tenant.New(a.eng), Log: a.log,
				Workers: workers, Poll: poll, MaxBody: maxBody, Mount: mount, Background: background, SearchMetrics: searchMetrics})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return ferry.Errorf(ferry.EINVALID, "listening on %s: %v", listen, err)
			}
			addr := ln.Addr().String()
			// The address is printed before anything is served, so that a
			// script that asked for port 0 can read the one it got.
			if err := a.emit(map[string]any{"listen": addr}, func(w io.Writer) { fmt.Fprintf(w, "listening on %s\n", addr) }); err != nil {
				ln.Close()
				return err
			}
			a.log.Warn("ferry serve started", "listen", addr, "workers", workers)
			err = srv.Serve(ctx, ln, grace)
			a.log.Warn("ferry serve stopped", "err", err)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on; :8080 for every interface, 127.0.0.1:0 for a free port")
	f.IntVar(&workers, "workers", 2, "background jobs this process runs at once; -1 runs none")
	f.DurationVar(&poll, "poll", time.Second, "how often the workers look for jobs")
	f.DurationVar(&grace, "grace", 8*time.Second, "how long requests have to finish on SIGTERM")
	f.Int64Var(&maxBody, "max-body", 1<<20, "largest request body accepted, in bytes")
	f.StringVar(&oidcCfg.Issuer, "oidc-issuer", "", "OpenID provider for the registrar's sign-in (/v1/registrar/sign-in); none turns it off")
	f.StringVar(&oidcCfg.ClientID, "oidc-client-id", "", "ferry's client id at the OpenID provider")
	f.StringVar(&oidcCfg.ClientSecret, "oidc-client-secret", "", "ferry's client secret at the OpenID provider")
	f.StringVar(&oidcKeyFile, "oidc-private-key", "", "PEM private key file for private_key_jwt instead of a secret")
	f.StringVar(&oidcCfg.KeyID, "oidc-key-id", "", "the key id (kid) of --oidc-private-key")
	f.StringVar(&oidcCfg.RedirectURL, "oidc-redirect-url", "", "this server's /v1/registrar/callback as the provider knows it")
	f.StringVar(&oidcCfg.ACRValues, "oidc-acr-values", "", "acr_values the sign-in asks for; Login.gov requires one, e.g. urn:acr.login.gov:auth-only")
	sf.add(cmd)
	return cmd
}
