package httpapi_test

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
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// router is the OpenAPI document, loaded and checked once.
func router(t *testing.T) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
		if err != nil {
			specErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = err
			return
		}
		doc.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatalf("the OpenAPI document: %v", specErr)
	}
	return specRouter
}

// validating is a transport that checks every request the tests send and
// every response the server gives against the OpenAPI document: a
// request the tests mean to be wrong is not checked, its response is.
func validating(t *testing.T) http.RoundTripper {
	r := router(t)
	return roundTrip(func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
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
