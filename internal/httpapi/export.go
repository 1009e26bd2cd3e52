package httpapi

import "net/http"

// Respond writes, in the platform's envelope, result as a success with
// status, or err (when not nil) as a failure: id names the endpoint
// (api.registrar.signin), op its operation code in error codes (REGSIN).
// It is for routes mounted from outside the package (Config.Mount).
func Respond(w http.ResponseWriter, r *http.Request, id, op string, status int, result any, err error) {
	if err != nil {
		fail(w, r, api{id, op}, err, nil)
		return
	}
	respond(w, r, api{id, op}, status, result)
}
