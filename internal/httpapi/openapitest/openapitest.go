// Package openapitest checks the real requests and responses of end-to-end
// tests against ferry serve's OpenAPI document, so that the hand-written
// document cannot drift from the server. It is shared by the packages whose
// routes the server answers (httpapi's own, and the registrar's sign-in
// mounted into it), and is imported by tests only.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ferrymigrate/ferry/internal/httpapi"
)

var (
	once      sync.Once
	router    routers.Router
	routerErr error
)

// Router is the OpenAPI document, loaded and checked once per test binary.
func Router(t testing.TB) routers.Router {
	t.Helper()
	once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
		if err != nil {
			routerErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			routerErr = err
			return
		}
		doc.Servers = nil
		router, routerErr = gorillamux.NewRouter(doc)
	})
	if routerErr != nil {
		t.Fatalf("the OpenAPI document: %v", routerErr)
	}
	return router
}

// Transport sends requests through next and checks every request the test
// sends and every response the server gives against the OpenAPI document:
// a request the test means to be wrong (the server refused it) is not
// checked, its response is. A route the document lacks must answer 404.
func Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	r := Router(t)
	return roundTrip(func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		check := req.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := r.FindRoute(check)
		if err != nil {
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s is not in the OpenAPI document, yet answered %d", req.Method, req.URL.Path, resp.StatusCode)
			}
			return resp, nil
		}
		in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if resp.StatusCode < 400 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s %s: a request the server accepted does not match the document: %v", req.Method, req.URL.Path, err)
			}
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return resp, nil
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(raw)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s: the %d response does not match the document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
		return resp, nil
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
