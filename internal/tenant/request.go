package tenant

import (
	"slices"
	"strings"
)

// The entities of decision 2, as a request names them.
const (
	EntityUser    = "user"
	EntityOrg     = "org"
	EntityContent = "content"
)

// AllEntities is what an empty entity list means.
var AllEntities = []string{EntityUser, EntityOrg, EntityContent}

// Conflict policies (decision 14).
const (
	OnConflictFail = "fail"
	OnConflictSkip = "skip"
)

// Request is one tenant merge, as the design note's POST body and the
// command line give it.
type Request struct {
	Source string `json:"sourceRootOrgId"`
	Target string `json:"targetRootOrgId"`
	// Entities limits the merge; empty means all (decision 2).
	Entities []string `json:"entities,omitempty"`
	// Users limits the user entity to these users, each of which must
	// belong to the source (decision 3).
	Users []string `json:"userIds,omitempty"`
	// OnConflict is fail (the default) or skip.
	OnConflict string `json:"onConflict,omitempty"`
	// Actor is who the merge is done for: it goes into updatedby.
	Actor string `json:"actor,omitempty"`
}

// DefaultActor is the updatedby of a merge that names no actor.
const DefaultActor = "ferry"

// normalised returns the request with its defaults filled in and its lists
// trimmed, sorted and without repeats, so that two requests that mean the
// same thing have the same fingerprint.
func (r Request) normalised() Request {
	r.Source, r.Target = strings.TrimSpace(r.Source), strings.TrimSpace(r.Target)
	r.Entities = tidy(r.Entities, strings.ToLower)
	r.Users = tidy(r.Users, nil)
	if r.OnConflict == "" {
		r.OnConflict = OnConflictFail
	}
	if r.Actor == "" {
		r.Actor = DefaultActor
	}
	return r
}

func tidy(list []string, f func(string) string) []string {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if f != nil {
			s = f(s)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// has reports whether the request covers entity e.
func (r Request) has(e string) bool {
	return len(r.Entities) == 0 || slices.Contains(r.Entities, e)
}
