// Package harness holds the parts of ferry's benchmarks that do not depend
// on what is being migrated: timing a child process with its peak memory,
// summing a --trace-file, the cleaned copies that raw bulk loads read, the
// scripts of those raw loads, a scratch PostgreSQL database, building the
// ferry binary, flag defaults from the environment, and a report that
// prints as text or Markdown.
//
// It installs nothing and shells out only to the tools a benchmark measures
// against (psql, sqlite3), to git and to go.
package harness
