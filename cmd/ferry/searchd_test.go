package main

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ferrymigrate/ferry/internal/search/searchtest"
)

// cmdSearchd drives an in-process search cluster for a script:
//
//	searchd start          start it and set FERRY_SEARCH_URL
//	searchd start opensearch
//	                       the same, answering as OpenSearch 2 (no X-Elastic-Product header)
//	searchd auth USER PASS answer 401 to requests without these basic credentials
//	searchd refuse ID CODE refuse document ID with an item status (0 stops)
//	searchd busy N         answer the next N requests with 429
//	searchd down           stop it: the URL then refuses connections
func cmdSearchd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: searchd start [opensearch]|auth USER PASS|refuse ID CODE|busy N|down")
	}
	h := ts.Value("searchd").(*searchHolder)
	srv := h.srv
	if args[0] != "start" && srv == nil {
		ts.Fatalf("searchd start first")
	}
	switch args[0] {
	case "start":
		srv = searchtest.New()
		if len(args) > 1 {
			if args[1] != "opensearch" {
				ts.Fatalf("searchd start takes opensearch or nothing, got %q", args[1])
			}
			srv.OpenSearch()
		}
		ts.Defer(srv.Close)
		ts.Setenv("FERRY_SEARCH_URL", srv.URL)
		h.srv = srv
	case "auth":
		if len(args) != 3 {
			ts.Fatalf("usage: searchd auth USER PASS")
		}
		srv.RequireBasicAuth(args[1], args[2])
	case "refuse":
		code, err := strconv.Atoi(args[2])
		ts.Check(err)
		srv.Store.Refuse(args[1], code)
	case "busy":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		srv.Busy(n)
	case "down":
		srv.Close()
	default:
		ts.Fatalf("unknown searchd command %q", args[0])
	}
}

// searchHolder is a script's cluster, set up empty for every script.
type searchHolder struct{ srv *searchtest.Server }
