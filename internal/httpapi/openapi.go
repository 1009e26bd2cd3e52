package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPI is the service's OpenAPI 3 document. It is written by hand and
// kept true by a test that validates the end-to-end tests' real requests
// and responses against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the document, for tests and tools.
func OpenAPI() []byte { return openAPI }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
