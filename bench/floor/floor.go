// Package floor holds the SQL of the registrar benchmark's write floor
// (see bench/README.md), embedded so the harness finds it wherever it
// runs. The files stay plain psql and sqlite3 scripts that can be run by
// hand.
package floor

import "embed"

// Files holds the *.sql files of this directory.
//
//go:embed *.sql
var Files embed.FS
