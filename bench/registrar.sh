#!/usr/bin/env bash
# bench/registrar.sh — end-to-end benchmark of the registrar migration.
#
# One run:
#   1. builds ferry and generates N synthetic domains (timed on its own);
#   2. baseline PostgreSQL: psql \copy of the nine files into bare text tables
#      (logged tables, and unlogged ones like ferry's scratch tables);
#   3. baseline SQLite: sqlite3 .import of the same files into bare tables;
#   4. ferry on PostgreSQL (fresh database) and on SQLite (fresh file):
#      load-transition-domains, then transfer, each timed with its peak RSS;
#   5. prints a comparison table and the counts from ferry's --json output.
#
# The generator deliberately writes malformed rows (wrong column counts,
# blank lines, CRLF line ends). COPY and .import refuse or mangle those, so
# the baselines read a cleaned copy: CRs stripped, rows whose column count
# differs from the file's usual count dropped (the script prints how many).
# ferry always reads the original, dirty files.
#
# Environment (all optional):
#   FERRY_BENCH_DOMAINS     domains to generate                 (1000000)
#   FERRY_BENCH_SEED        generator seed                       (1)
#   FERRY_BENCH_PG_URL      server to use; the script creates and drops a
#                           database ferry_bench_<random> on it
#                           (postgres://postgres@127.0.0.1:5432/test)
#   FERRY_BENCH_ENGINES     "postgres sqlite", or just one        (both)
#   FERRY_BENCH_WORKDIR     scratch directory                     (mktemp -d)
#   FERRY_BENCH_KEEP        1 keeps the scratch directory and database (0)
#   FERRY_BENCH_WATCH_SECS  sample pg_stat_activity / the SQLite job phase
#                           every S seconds while ferry runs; 0 = off (5)
#   FERRY_BENCH_STEP_TIMEOUT  stop a ferry step (SIGINT, then SIGKILL 30 s
#                           later) after this many seconds; the table then
#                           shows it as a timeout; 0 = no limit        (0)
#   FERRY_BENCH_REF         build this git ref (e.g. HEAD) from a clean export
#                           instead of the working tree, uncommitted edits aside
#   FERRY_BENCH_BIN         benchmark this ferry binary instead of building one
#   FERRY_BENCH_MD          also write the results as Markdown to this file
#   FERRY_BENCH_FLOOR       1 also measures the write floor after each
#                           transfer (bench/floor/): ferry's output rows
#                           written back with nothing computed           (1)
#
# Needs: go, psql, sqlite3, awk; jq or python3 for the JSON counts.
# Peak RSS comes from GNU time (/usr/bin/time); without it the script polls
# VmHWM in /proc instead.
set -euo pipefail
{ # The whole script is one block, parsed before it runs: editing the file during a run is harmless.

N=${FERRY_BENCH_DOMAINS:-1000000}
SEED=${FERRY_BENCH_SEED:-1}
PG_URL=${FERRY_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
ENGINES=${FERRY_BENCH_ENGINES:-postgres sqlite}
KEEP=${FERRY_BENCH_KEEP:-0}
WATCH=${FERRY_BENCH_WATCH_SECS:-5}
MD_OUT=${FERRY_BENCH_MD:-}
STEP_TIMEOUT=${FERRY_BENCH_STEP_TIMEOUT:-0}
FLOOR=${FERRY_BENCH_FLOOR:-1}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OWN_WORK=0
if [[ -n ${FERRY_BENCH_WORKDIR:-} ]]; then
	WORK=$FERRY_BENCH_WORKDIR
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
	OWN_WORK=1
fi
DATA=$WORK/data
CLEAN=$WORK/clean
LOGS=$WORK/logs
FERRY=$WORK/ferry

# ------------------------------------------------------------ cleanup

BENCH_DB=
PG_BENCH_URL=
WATCH_PID=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$?
	if [[ -n $WATCH_PID ]]; then kill "$WATCH_PID" 2>/dev/null || true; fi
	if [[ -n $BENCH_DB && $KEEP != 1 ]]; then
		psql "$PG_URL" -XqAt -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 ||
			log "could not drop database $BENCH_DB"
	fi
	if [[ $KEEP == 1 ]]; then
		log "kept $WORK${BENCH_DB:+ and database $BENCH_DB}"
	elif [[ $OWN_WORK == 1 ]]; then
		rm -rf "$WORK"
	else
		# A directory the caller named: remove only what this script made.
		rm -rf "$DATA" "$CLEAN" "$LOGS" "$FERRY" "$WORK/src" "$WORK"/baseline.sqlite* "$WORK"/ferry.sqlite*
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$LOGS"

has() { command -v "$1" >/dev/null 2>&1; }
want() { [[ " $ENGINES " == *" $1 "* ]]; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

has awk || die "awk is required"
[[ -n ${FERRY_BENCH_BIN:-} ]] || has go || die "go is required (or set FERRY_BENCH_BIN)"
want postgres && { has psql || die "psql is required (or set FERRY_BENCH_ENGINES=sqlite)"; }
want sqlite && { has sqlite3 || die "sqlite3 is required (or set FERRY_BENCH_ENGINES=postgres)"; }

# ---------------------------------------------------------------- helpers

# Peak RSS: GNU time if present; as root, try to install it once.
GNU_TIME=
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M true >/dev/null 2>&1; then
	GNU_TIME=/usr/bin/time
elif [[ $(id -u) == 0 ]] && has apt-get; then
	log "installing GNU time (apt-get install -y time)"
	if apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null 2>&1; }; then
		GNU_TIME=/usr/bin/time
	fi
fi
[[ -n $GNU_TIME ]] || log "GNU time not available; peak RSS is sampled from /proc (VmHWM)"

now_ns() { date +%s%N; }

declare -A SECS RSS_MB RC LOAD
loadavg() { awk '{print $1}' /proc/loadavg 2>/dev/null || echo 0; }

# measure NAME CMD...: runs CMD with stdout to $LOGS/NAME.out and stderr to
# $LOGS/NAME.err, records wall seconds in SECS[NAME] and peak RSS (MB) in
# RSS_MB[NAME]. Returns CMD's exit status.
measure() {
	local name=$1
	shift
	local out=$LOGS/$name.out err=$LOGS/$name.err tf=$LOGS/$name.time
	local t0 t1 rc=0 kb=0 l0
	l0=$(loadavg)
	t0=$(now_ns)
	if [[ -n $GNU_TIME ]]; then
		"$GNU_TIME" -f %M -o "$tf" "$@" >"$out" 2>"$err" || rc=$?
		kb=$(tail -n 1 "$tf")
	else
		"$@" >"$out" 2>"$err" &
		local pid=$! v
		while kill -0 "$pid" 2>/dev/null; do
			v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
			[[ -n $v && $v -gt $kb ]] && kb=$v
			sleep 0.05
		done
		wait "$pid" || rc=$?
	fi
	t1=$(now_ns)
	SECS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
	RSS_MB[$name]=$(awk -v k="$kb" 'BEGIN {if (k > 0) printf "%.0f", k / 1024; else print "-"}')
	RC[$name]=$rc
	# The 1-minute load average at the end (at the start too for short
	# steps): above the core count, other work shared the machine.
	LOAD[$name]=$(awk -v a="$l0" -v b="$(loadavg)" -v s="${SECS[$name]}" 'BEGIN {print (s < 60 && a > b ? a : b)}')
	log "$name: ${SECS[$name]} s, peak RSS ${RSS_MB[$name]} MB, exit $rc, load average ${LOAD[$name]}"
	if [[ $rc != 0 ]]; then
		log "$name failed; last lines of $err:"
		tail -n 20 "$err" >&2 || true
	fi
	return "$rc"
}

# json_get FILE JQ_PATH (dotted, e.g. .rows.created) -> value or "n/a"
json_get() {
	local f=$1 p=$2
	[[ -s $f ]] || { echo n/a; return; }
	if has jq; then
		jq -r "$p // \"n/a\"" "$f" 2>/dev/null || echo n/a
	elif has python3; then
		python3 - "$f" "$p" <<-'PY' 2>/dev/null || echo n/a
			import json, sys
			v = json.load(open(sys.argv[1]))
			for k in sys.argv[2].strip(".").split("."):
			    v = v.get(k) if isinstance(v, dict) else None
			print("n/a" if v is None else v)
		PY
	else
		echo n/a
	fi
}

# manifest_get KEY -> file name from the generated migrationFilepaths.json
manifest_get() {
	sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$DATA/migrationFilepaths.json"
}

# ferry_step NAME ARGS...: one timed ferry command, with the step timeout.
# --debug makes ferry log every SQL statement's name and duration to the
# step's .err file; statement_totals sums them.
ferry_step() {
	local name=$1
	shift
	if [[ $STEP_TIMEOUT != 0 ]]; then
		measure "$name" timeout -s INT -k 30 "$STEP_TIMEOUT" "$FERRY" --debug "$@"
	else
		measure "$name" "$FERRY" --debug "$@"
	fi
}

# statement_totals NAME: seconds per SQL statement (by name) in a ferry
# step, longest first, from its --debug log; statements under 1% are left out.
statement_totals() {
	local err=$LOGS/$1.err
	[[ -s $err ]] || return 0
	awk '/msg=sql / {
			stmt = $0; sub(/.* stmt=/, "", stmt)
			if (stmt ~ /^"/) { sub(/^"/, "", stmt); sub(/".*/, "", stmt) } else sub(/ .*/, "", stmt)
			ms = $0; sub(/.* ms=/, "", ms); sub(/ .*/, "", ms)
			t[stmt] += ms; n[stmt]++; all += ms
		}
		END {for (k in t) if (t[k] >= all / 100) printf "%8.1f s %5d x  %s\n", t[k] / 1000, n[k], k
			if (all > 0) printf "%8.1f s in all statements\n", all / 1000}' "$err" | sort -rn | head -n 16
}

# ok NAME: the step ran and succeeded.
ok() { [[ ${RC[$1]:-x} == 0 ]]; }

# cell NAME: a step's seconds, or why there are none.
cell() {
	local r=${RC[$1]:-}
	if [[ -z $r ]]; then echo "-"
	elif [[ $r == 0 ]]; then echo "${SECS[$1]}"
	elif [[ $r == 124 || ($r == 137 && $STEP_TIMEOUT != 0) ]]; then echo ">${SECS[$1]}(timeout)"
	elif ((r > 128)); then echo ">${SECS[$1]}(signal $((r - 128)))"
	else echo "failed"; fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }
maxi() { awk -v a="$1" -v b="$2" 'BEGIN {m = (a + 0 > b + 0 ? a : b); print (m + 0 > 0 ? m : "-")}'; }
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN {if (s > 0) printf "%.0f", n / s; else print "n/a"}'; }

# ------------------------------------------------------------ 1. build + generate

COMMIT=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ $COMMIT != unknown && -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	COMMIT="$COMMIT (dirty)"
fi
CORES=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo 2>/dev/null || echo "?")
log "ferry $COMMIT, $CORES cores, ${MEM_MB} MB RAM, N=$N, work dir $WORK"

if [[ -n ${FERRY_BENCH_BIN:-} ]]; then
	[[ -x $FERRY_BENCH_BIN ]] || die "FERRY_BENCH_BIN=$FERRY_BENCH_BIN is not an executable"
	cp "$FERRY_BENCH_BIN" "$FERRY"
	COMMIT="$COMMIT (binary $(basename "$FERRY_BENCH_BIN"))"
	log "using the prebuilt binary $FERRY_BENCH_BIN"
elif [[ -n ${FERRY_BENCH_REF:-} ]]; then
	rev=$(git -C "$ROOT" rev-parse --short=12 "${FERRY_BENCH_REF}^{commit}") || die "unknown git ref $FERRY_BENCH_REF"
	log "building ferry from a clean export of $FERRY_BENCH_REF ($rev)"
	mkdir -p "$WORK/src"
	git -C "$ROOT" archive "$rev" | tar -x -C "$WORK/src"
	(cd "$WORK/src" && go build -o "$FERRY" ./cmd/ferry)
	rm -rf "$WORK/src"
	COMMIT=$rev
else
	log "building ferry from the working tree"
	(cd "$ROOT" && go build -o "$FERRY" ./cmd/ferry)
fi

log "generating $N domains"
measure generate "$FERRY" registrar generate --domains "$N" --seed "$SEED" --out "$DATA" ||
	die "generate failed"
cat "$LOGS/generate.out" >&2
DATA_MB=$(du -sm "$DATA" | awk '{print $1}')

# The nine files: manifest key, scratch-table suffix, header line?
FILE_KEYS=(domain_contacts_filename contacts_filename domain_statuses_filename domain_escrow_filename
	domain_additional_filename domain_adhoc_filename organization_adhoc_filename
	authority_adhoc_filename agency_adhoc_filename)
declare -A SHORT=([domain_contacts_filename]=domain_contacts [contacts_filename]=contacts
	[domain_statuses_filename]=statuses [domain_escrow_filename]=escrow_domains
	[domain_additional_filename]=additional [domain_adhoc_filename]=domain_types
	[organization_adhoc_filename]=organization [authority_adhoc_filename]=authority
	[agency_adhoc_filename]=agency)
declare -A HEADER=([domain_additional_filename]=1 [domain_adhoc_filename]=1 [organization_adhoc_filename]=1
	[authority_adhoc_filename]=1 [agency_adhoc_filename]=1)
declare -A FNAME NCOLS LINES KEPT

# ------------------------------------------------------------ clean copy for the baselines

log "writing the cleaned copy the baselines read"
mkdir -p "$CLEAN"
TOTAL_LINES=0
DC_LINES=0
t0=$(now_ns)
for k in "${FILE_KEYS[@]}"; do
	f=$(manifest_get "$k")
	[[ -n $f && -f $DATA/$f ]] || die "generated manifest has no file for $k"
	FNAME[$k]=$f
	hdr=${HEADER[$k]:-0}
	# The usual column count: the most frequent field count of the data rows.
	NCOLS[$k]=$(awk -F'|' -v hdr="$hdr" '{sub(/\r$/, "")} NR == 1 && hdr {next} NF > 0 {c[NF]++}
		END {for (n in c) if (c[n] > best) {best = c[n]; nf = n}; print nf + 0}' "$DATA/$f")
	# Lines ferry reads (blank and malformed ones included), headers excluded.
	read -r "LINES[$k]" "KEPT[$k]" < <(awk -F'|' -v hdr="$hdr" -v want="${NCOLS[$k]}" -v out="$CLEAN/$f" '
		{sub(/\r$/, "")}
		NR == 1 && hdr {print > out; next}
		{lines++}
		NF == want {print > out; kept++}
		END {print lines + 0, kept + 0}' "$DATA/$f")
	TOTAL_LINES=$((TOTAL_LINES + LINES[$k]))
	[[ $k == domain_contacts_filename ]] && DC_LINES=${LINES[$k]}
	printf '  %-14s %10d lines  %2d columns  %8d dropped for the baselines\n' \
		"${SHORT[$k]}" "${LINES[$k]}" "${NCOLS[$k]}" $((LINES[$k] - KEPT[$k])) >&2
done
CLEAN_SECS=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
log "cleaned copy written in $CLEAN_SECS s (not part of any baseline figure)"

KEPT_TOTAL=0
QUOTED=0
for k in "${FILE_KEYS[@]}"; do
	KEPT_TOTAL=$((KEPT_TOTAL + KEPT[$k]))
	QUOTED=$((QUOTED + $(grep -c '"' "$CLEAN/${FNAME[$k]}" || true)))
done
((QUOTED == 0)) || log "warning: $QUOTED cleaned lines contain a double quote; the sqlite3 csv import treats it as quoting"

# count_sql PREFIX: the total row count over the nine baseline tables.
count_sql() {
	local k s=
	for k in "${FILE_KEYS[@]}"; do s+="${s:+ + }(SELECT count(*) FROM $1${SHORT[$k]})"; done
	echo "$s"
}

# columns for a file: c1 text, c2 text, ...
col_defs() {
	local n=$1 i s=
	for ((i = 1; i <= n; i++)); do s+="${s:+, }c$i text"; done
	echo "$s"
}
sq() { printf "'%s'" "${1//\'/\'\'}"; } # SQL string literal

# watch_pg / watch_sqlite: sample what ferry is doing until killed.
# shellcheck disable=SC2317 # called through start_watch
watch_pg() {
	local tag=$1
	while sleep "$WATCH"; do
		psql "$PG_BENCH_URL" -XqAt -F $'\t' -c "SELECT to_char(now(), 'HH24:MI:SS'), '$tag',
			round(extract(epoch FROM now() - query_start)::numeric, 1), state, coalesce(wait_event_type || ':' || wait_event, '-'),
			regexp_replace(left(query, 300), '\s+', ' ', 'g')
			FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND backend_type = 'client backend' AND state <> 'idle'" 2>/dev/null || true
	done >>"$LOGS/pg_activity.tsv"
}
# shellcheck disable=SC2317 # called through start_watch
watch_sqlite() {
	local tag=$1 db=$2
	while sleep "$WATCH"; do
		printf '%s\t%s\t%s\tdb=%sMB wal=%sMB\n' "$(date +%H:%M:%S)" "$tag" \
			"$(sqlite3 -readonly "$db" "SELECT id || ' ' || kind || ' ' || status || ' phase=' || phase FROM ferry_job ORDER BY id DESC LIMIT 1" 2>/dev/null || echo '?')" \
			"$(du -m "$db" 2>/dev/null | awk '{print $1}')" "$(du -m "$db-wal" 2>/dev/null | awk '{print $1}')"
	done >>"$LOGS/sqlite_phase.tsv"
}
start_watch() {
	[[ $WATCH == 0 ]] && return
	"$@" &
	WATCH_PID=$!
}
stop_watch() {
	[[ -n $WATCH_PID ]] || return 0
	kill "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
}

# ------------------------------------------------------------ write floor

# The write floor: ferry's output rows (staging, domains, contacts,
# invitations, domain information, and the staging rows marked processed)
# written back into the same schema with nothing computed, on one
# connection. It is what any migration producing these rows here must pay
# at least; the variant without foreign keys drops the output tables' keys
# first and re-creates them (validated, set-based) at the end, and the bare
# variant writes into twins of the tables with no index and no key.
FLOOR_DIR=$ROOT/bench/floor

# floor_script ENGINE VARIANT: the timed script for keys, nokeys or bare.
floor_script() {
	local engine=$1 variant=$2 body
	body=$(cat "$FLOOR_DIR/write-body.sql")
	if [[ $variant == bare ]]; then
		local twin=ferry_floor.bare_
		[[ $engine == sqlite ]] && twin=ferry_bare_
		body=$(sed -E -e "s/^INSERT INTO ([a-z_]+)/INSERT INTO ${twin}\1/" -e "s/^UPDATE transition_domain/UPDATE ${twin}transition_domain/" <<<"$body")
	fi
	if [[ $engine == postgres ]]; then
		echo '\set ON_ERROR_STOP on'
		echo 'BEGIN;'
		[[ $variant == nokeys ]] && echo "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM ferry_floor.fk \gexec"
		echo "$body"
		[[ $variant == nokeys ]] && echo "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM ferry_floor.fk \gexec"
		echo 'COMMIT;'
	else
		echo '.bail on'
		echo "ATTACH $(sq "$WORK/floor.sqlite") AS ferry_floor;"
		echo '.output /dev/null'
		echo 'PRAGMA journal_mode = WAL;'
		echo 'PRAGMA synchronous = NORMAL;'
		if [[ $variant == keys ]]; then echo 'PRAGMA foreign_keys = ON;'; else echo 'PRAGMA foreign_keys = OFF;'; fi
		echo '.output stdout'
		echo 'BEGIN;'
		sed 's/ OVERRIDING SYSTEM VALUE//' <<<"$body"
		echo 'COMMIT;'
		# The set-based check that stands in for the per-row one.
		[[ $variant == nokeys ]] && echo 'PRAGMA foreign_key_check;'
	fi
	return 0
}

# floor ENGINE TABLES_BEFORE: times both variants, then checks that the
# output tables hold what they held before. A failure is reported and
# leaves ferry's own figures standing: the function returns 1, with the
# failed variant's time removed from the report.
floor() {
	local engine=$1 before=$2 variant after pre=pg
	[[ $engine == sqlite ]] && pre=sqlite
	log "measuring the write floor on $engine"
	if [[ $engine == postgres ]]; then
		pg_q -f "$FLOOR_DIR/postgres-setup.sql" >/dev/null || { log "write floor: setup failed on postgres"; return 1; }
	else
		rm -f "$WORK/floor.sqlite"
		sqlite3 "$fdb" "ATTACH $(sq "$WORK/floor.sqlite") AS ferry_floor" ".read $FLOOR_DIR/sqlite-setup.sql" ||
			{ log "write floor: setup failed on sqlite"; return 1; }
	fi
	for variant in keys nokeys bare; do
		local name=${pre}_floor_$variant why= twin=
		[[ $variant == bare ]] && twin=twin
		floor_script "$engine" "$variant" >"$LOGS/$name.sql"
		# The bare twins start empty; the tables themselves are emptied first.
		if [[ $engine == postgres ]]; then
			[[ -n $twin ]] || pg_q -f "$FLOOR_DIR/postgres-reset.sql" || why="emptying the tables failed"
			[[ -n $why ]] || pg_checkpoint
			[[ -n $why ]] || measure "$name" psql "$PG_BENCH_URL" -XqAt -f "$LOGS/$name.sql" || why=$(tail -n 3 "$LOGS/$name.err")
		else
			[[ -n $twin ]] || sqlite3 "$fdb" ".read $FLOOR_DIR/sqlite-reset.sql" >/dev/null || why="emptying the tables failed"
			[[ -n $why ]] || measure "$name" sqlite3 "$fdb" ".read $LOGS/$name.sql" || why=$(tail -n 3 "$LOGS/$name.err")
			[[ -n $why || ! -s $LOGS/$name.out ]] || why="foreign_key_check found violations: $(head -n 3 "$LOGS/$name.out")"
		fi
		if [[ -z $why ]]; then
			after=$(output_counts "$engine" "$twin")
			[[ $after == "$before" ]] || why="it left $after rows, ferry had written $before"
		fi
		if [[ -n $why ]]; then
			unset "SECS[$name]"
			log "write floor ($variant) on $engine failed: $why"
			return 1
		fi
	done
	if [[ $engine == postgres ]]; then
		pg_q -f "$FLOOR_DIR/postgres-teardown.sql"
	else
		sqlite3 "$fdb" ".read $FLOOR_DIR/sqlite-teardown.sql"
		rm -f "$WORK/floor.sqlite"
	fi
}

# output_counts ENGINE [twin]: rows in the five output tables (or, with
# "twin", in the floor's bare twins of them), and how many staging rows are
# processed.
output_counts() {
	local p=
	[[ ${2:-} == twin && $1 == postgres ]] && p=ferry_floor.bare_
	[[ ${2:-} == twin && $1 == sqlite ]] && p=ferry_bare_
	local q="SELECT (SELECT count(*) FROM ${p}transition_domain), (SELECT count(*) FROM ${p}domain),
		(SELECT count(*) FROM ${p}domain_invitation), (SELECT count(*) FROM ${p}domain_information), (SELECT count(*) FROM ${p}contact),
		(SELECT count(*) FROM ${p}transition_domain WHERE processed)"
	if [[ $1 == postgres ]]; then pg_q -F ' ' -c "$q"; else sqlite3 -separator ' ' "$fdb" "$q"; fi
}

# ------------------------------------------------------------ PostgreSQL

pg_q() { psql "$PG_BENCH_URL" -XqAt -v ON_ERROR_STOP=1 "$@"; }
# Flush dirty buffers so a step does not pay for the previous one's writes.
# Needs superuser or pg_checkpoint; without them the step just runs.
CHECKPOINT_WARNED=
pg_checkpoint() {
	pg_q -c CHECKPOINT 2>/dev/null && return
	[[ -n $CHECKPOINT_WARNED ]] || log "CHECKPOINT not permitted for this role; steps may pay for earlier writes"
	CHECKPOINT_WARNED=1
}

if want postgres; then
	BENCH_DB=ferry_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	base=${PG_URL%%\?*}
	query=
	[[ $PG_URL == *\?* ]] && query="?${PG_URL#*\?}"
	PG_BENCH_URL="${base%/*}/$BENCH_DB$query"
	psql "$PG_URL" -XqAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB" || die "cannot create database on $PG_URL"
	PG_VERSION=$(pg_q -c "SHOW server_version")
	PG_SETTINGS=$(pg_q -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings
		WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'temp_buffers', 'synchronous_commit', 'fsync', 'max_wal_size')")
	log "PostgreSQL $PG_VERSION, database $BENCH_DB ($PG_SETTINGS)"

	for mode in logged unlogged; do
		schema=base_$mode
		kw=
		[[ $mode == unlogged ]] && kw=UNLOGGED
		{
			echo "CREATE SCHEMA $schema;"
			for k in "${FILE_KEYS[@]}"; do
				echo "CREATE $kw TABLE $schema.${SHORT[$k]} ($(col_defs "${NCOLS[$k]}"));"
			done
		} | pg_q >/dev/null
		script=$LOGS/pg_copy_$mode.sql
		{
			printf '%s\n' '\set ON_ERROR_STOP on'
			for k in "${FILE_KEYS[@]}"; do
				h=false
				[[ -n ${HEADER[$k]:-} ]] && h=true
				printf '%s\n' "\\copy $schema.${SHORT[$k]} FROM $(sq "$CLEAN/${FNAME[$k]}") WITH (FORMAT csv, DELIMITER '|', QUOTE E'\\x01', HEADER $h)"
			done
		} >"$script"
		pg_checkpoint
		measure "pg_baseline_$mode" psql "$PG_BENCH_URL" -XqAt -f "$script" || die "psql \\copy baseline failed"
		got=$(pg_q -c "SELECT $(count_sql "$schema.")")
		[[ $got == "$KEPT_TOTAL" ]] || die "psql baseline ($mode) loaded $got rows, the cleaned files hold $KEPT_TOTAL"
		log "  baseline ($mode) loaded $got rows, as many as the cleaned files hold"
		pg_q -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
	done

	# ferry: schema first (untimed), then load and transfer.
	"$FERRY" --db "$PG_BENCH_URL" jobs list >/dev/null
	pg_checkpoint
	start_watch watch_pg load
	ferry_step pg_load --db "$PG_BENCH_URL" --json registrar load-transition-domains --directory "$DATA" || true
	stop_watch
	if ok pg_load; then
		pg_checkpoint
		start_watch watch_pg transfer
		ferry_step pg_transfer --db "$PG_BENCH_URL" --json registrar transfer || true
		stop_watch
	fi
	PG_TABLES=$(output_counts postgres)
	PG_DB_MB=$(pg_q -c "SELECT pg_database_size(current_database()) / 1048576")
	if ok pg_transfer && [[ $FLOOR == 1 ]]; then floor postgres "$PG_TABLES" || true; fi
fi

# ------------------------------------------------------------ SQLite

if want sqlite; then
	base_db=$WORK/baseline.sqlite
	{
		echo "PRAGMA journal_mode=WAL;"
		for k in "${FILE_KEYS[@]}"; do
			echo "CREATE TABLE ${SHORT[$k]} ($(col_defs "${NCOLS[$k]}"));"
		done
	} | sqlite3 "$base_db" >/dev/null
	script=$LOGS/sqlite_import.sql
	{
		# The pragmas ferry's SQLite connection uses.
		echo "PRAGMA journal_mode=WAL;"
		echo "PRAGMA synchronous=NORMAL;"
		# csv mode split on |. (ascii mode would skip quote handling, but the
		# sqlite3 3.40 shell mis-splits rows that start with an empty field.)
		echo ".mode csv"
		echo '.separator "|"'
		for k in "${FILE_KEYS[@]}"; do
			skip=
			[[ -n ${HEADER[$k]:-} ]] && skip="--skip 1 "
			echo ".import $skip\"$CLEAN/${FNAME[$k]}\" ${SHORT[$k]}"
		done
	} >"$script"
	measure sqlite_baseline sqlite3 -bail "$base_db" ".read $script" || die "sqlite3 .import baseline failed"
	got=$(sqlite3 "$base_db" "SELECT $(count_sql "")")
	[[ $got == "$KEPT_TOTAL" ]] || die "sqlite3 baseline loaded $got rows, the cleaned files hold $KEPT_TOTAL"
	log "  baseline loaded $got rows, as many as the cleaned files hold"
	rm -f "$base_db" "$base_db-wal" "$base_db-shm"

	fdb=$WORK/ferry.sqlite
	"$FERRY" --db "$fdb" jobs list >/dev/null
	start_watch watch_sqlite load "$fdb"
	ferry_step sqlite_load --db "$fdb" --json registrar load-transition-domains --directory "$DATA" || true
	stop_watch
	if ok sqlite_load; then
		start_watch watch_sqlite transfer "$fdb"
		ferry_step sqlite_transfer --db "$fdb" --json registrar transfer || true
		stop_watch
	fi
	SQLITE_TABLES=$(output_counts sqlite)
	SQLITE_DB_MB=$(du -cm "$fdb"* | awk 'END {print $1}')
	if ok sqlite_transfer && [[ $FLOOR == 1 ]]; then floor sqlite "$SQLITE_TABLES" || true; fi
fi

# ------------------------------------------------------------ report

rm -rf "$CLEAN"
report() {
	local md=$1 # 1 = Markdown
	row() {
		if [[ $md == 1 ]]; then
			local s="|" a
			for a in "$@"; do s+=" $a |"; done
			echo "$s"
		else
			printf '%-9s %-15s %9s %15s %15s %9s %8s %8s %8s %9s %9s %9s %9s %9s\n' "$@"
		fi
	}
	row engine baseline base_s load_s xfer_s total_s ratio ratio_u dc_rows/s rows/s base_MB load_MB xfer_MB peak_MB
	[[ $md == 1 ]] && echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	if want postgres; then
		local bl=${SECS[pg_baseline_logged]} bu=${SECS[pg_baseline_unlogged]}
		local tot=- r=- ru=- dps=- rps=-
		if ok pg_load && ok pg_transfer; then
			tot=$(sum "${SECS[pg_load]}" "${SECS[pg_transfer]}")
			r=$(ratio "$tot" "$bl") ru=$(ratio "$tot" "$bu")
			dps=$(per_sec "$DC_LINES" "$tot") rps=$(per_sec "$TOTAL_LINES" "$tot")
		fi
		row postgres "psql-copy" "$bl/$bu" "$(cell pg_load)" "$(cell pg_transfer)" "$tot" "$r" "$ru" "$dps" "$rps" \
			"$(maxi "${RSS_MB[pg_baseline_logged]}" "${RSS_MB[pg_baseline_unlogged]}")" "${RSS_MB[pg_load]:--}" "${RSS_MB[pg_transfer]:--}" \
			"$(maxi "${RSS_MB[pg_load]:-0}" "${RSS_MB[pg_transfer]:-0}")"
	fi
	if want sqlite; then
		local bs=${SECS[sqlite_baseline]} tot=- r=- dps=- rps=-
		if ok sqlite_load && ok sqlite_transfer; then
			tot=$(sum "${SECS[sqlite_load]}" "${SECS[sqlite_transfer]}")
			r=$(ratio "$tot" "$bs")
			dps=$(per_sec "$DC_LINES" "$tot") rps=$(per_sec "$TOTAL_LINES" "$tot")
		fi
		row sqlite "sqlite3-import" "$bs" "$(cell sqlite_load)" "$(cell sqlite_transfer)" "$tot" "$r" "-" "$dps" "$rps" \
			"${RSS_MB[sqlite_baseline]}" "${RSS_MB[sqlite_load]:--}" "${RSS_MB[sqlite_transfer]:--}" \
			"$(maxi "${RSS_MB[sqlite_load]:-0}" "${RSS_MB[sqlite_transfer]:-0}")"
	fi
}

counts() {
	local e=$1 l=$LOGS/$1_load.out t=$LOGS/$1_transfer.out
	echo "$e load:     read $(json_get "$l" .rows.read) domain-contact rows, created $(json_get "$l" .rows.created) staging rows," \
		"skipped $(json_get "$l" .rows.skipped) (duplicates $(json_get "$l" .duplicates)), rejected $(json_get "$l" .rows.rejected)" \
		"(all files: $(json_get "$l" .totalRejected)), agencies $(json_get "$l" .agencies), enriched $(json_get "$l" .enriched)"
	echo "$e transfer: domains created $(json_get "$t" .domains.created) (skipped $(json_get "$t" .domains.skipped))," \
		"invitations $(json_get "$t" .invitations.created), domain information $(json_get "$t" .domainInformation.created)," \
		"contacts $(json_get "$t" .contacts.created), staging rows processed $(json_get "$t" .stagingRowsProcessed)"
}

# floor_lines: the write floor of each engine against its baseline and ferry.
floor_lines() {
	local e pre base tot
	for e in postgres sqlite; do
		pre=pg base=${SECS[pg_baseline_logged]:-} tot=
		[[ $e == sqlite ]] && pre=sqlite base=${SECS[sqlite_baseline]:-}
		[[ -n ${SECS[${pre}_floor_keys]:-} ]] || continue
		ok "${pre}_load" && ok "${pre}_transfer" && tot=$(sum "${SECS[${pre}_load]}" "${SECS[${pre}_transfer]}")
		local nokeys=failed bare=failed
		[[ -n ${SECS[${pre}_floor_nokeys]:-} ]] &&
			nokeys="${SECS[${pre}_floor_nokeys]} s = $(ratio "${SECS[${pre}_floor_nokeys]}" "$base")x"
		[[ -n ${SECS[${pre}_floor_bare]:-} ]] &&
			bare="${SECS[${pre}_floor_bare]} s = $(ratio "${SECS[${pre}_floor_bare]}" "$base")x"
		echo "write floor ($e): ${SECS[${pre}_floor_keys]} s with the foreign keys = $(ratio "${SECS[${pre}_floor_keys]}" "$base")x the baseline;" \
			"without them $nokeys; into bare tables $bare; ferry total = $(ratio "$tot" "${SECS[${pre}_floor_keys]}")x the floor with keys"
	done
	echo "write floor: ferry's output rows written back into the same schema on one connection, computing nothing (bench/floor/);"
	echo "bare tables: the same rows into twins of the tables with no index and no key."
}

summary() {
	local md=$1
	echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:    $COMMIT"
	echo "machine:   $CORES cores, $MEM_MB MB RAM, $(uname -sr)"
	echo "input:     N=$N domains (seed $SEED), $DATA_MB MB in 9 files, $TOTAL_LINES data lines, $DC_LINES domain-contact lines"
	echo "generate:  ${SECS[generate]} s, peak ${RSS_MB[generate]} MB"
	want postgres && echo "postgres:  $PG_VERSION ($PG_SETTINGS); ferry database ${PG_DB_MB} MB after transfer"
	local n loads=
	for n in generate pg_baseline_logged pg_baseline_unlogged pg_load pg_transfer pg_floor_keys pg_floor_nokeys pg_floor_bare sqlite_baseline sqlite_load sqlite_transfer sqlite_floor_keys sqlite_floor_nokeys sqlite_floor_bare; do
		[[ -n ${LOAD[$n]:-} ]] && loads+=" $n=${LOAD[$n]}"
	done
	echo "load avg:  1-min load at the end of each step:$loads"
	want sqlite && echo "sqlite:    sqlite3 CLI $(sqlite3 --version | awk '{print $1}'); ferry database ${SQLITE_DB_MB} MB (with WAL) after transfer"
	echo
	[[ $md == 1 ]] && echo
	report "$md"
	echo
	[[ $md == 1 ]] && echo
	echo "base_s: baseline wall seconds (PostgreSQL: logged/unlogged tables); ratio = ferry total / baseline (ratio_u: vs unlogged)."
	echo "dc_rows/s: domain-contact lines per second of ferry total; rows/s: all $TOTAL_LINES input lines per second of ferry total."
	echo "MB: peak RSS of the client process (psql, sqlite3, ferry); the PostgreSQL server's memory is not included."
	echo "load avg: a step itself accounts for about 1 (sqlite3, psql, ferry on SQLite) to 2-4 (ferry on PostgreSQL with"
	echo "parallel workers); much more means other work shared the $CORES cores and the figures are pessimistic."
	echo
	[[ $md == 1 ]] && echo
	if [[ -n ${SECS[pg_floor_keys]:-}${SECS[sqlite_floor_keys]:-} ]]; then
		floor_lines
		echo
		[[ $md == 1 ]] && echo
	fi
	if want postgres; then
		counts pg
		echo "pg tables: transition_domain domain domain_invitation domain_information contact processed = $PG_TABLES"
		[[ $md == 1 ]] && echo
	fi
	if want sqlite; then
		counts sqlite
		echo "sqlite tables: transition_domain domain domain_invitation domain_information contact processed = $SQLITE_TABLES"
	fi
}

echo
echo "================ ferry registrar benchmark ================"
summary 0
if want postgres && [[ -s $LOGS/pg_activity.tsv ]]; then
	echo
	echo "Longest-running PostgreSQL statements seen by the ${WATCH}s sampler (phase, max age s, samples, query):"
	awk -F'\t' '{k = $2 "\t" $6; if ($3 + 0 > m[k]) m[k] = $3 + 0; n[k]++}
		END {for (k in m) {split(k, a, "\t"); printf "%s\t%.1f\t%d\t%s\n", a[1], m[k], n[k], substr(a[2], 1, 160)}}' \
		"$LOGS/pg_activity.tsv" | sort -t $'\t' -k2,2nr | head -n 12
fi
for n in pg_load pg_transfer sqlite_load sqlite_transfer; do
	if [[ -s $LOGS/$n.err ]] && grep -q 'msg=sql ' "$LOGS/$n.err"; then
		echo
		echo "Where $n spent its time (SQL statements by name, from ferry --debug):"
		statement_totals "$n"
	fi
done
if want sqlite && [[ -s $LOGS/sqlite_phase.tsv ]]; then
	echo
	echo "SQLite job phase over time (sampled every ${WATCH}s; consecutive repeats folded):"
	awk -F'\t' '{k = $2 " " $3} k != prev {if (prev != "") print first " .. " last "  " prev; first = $1; prev = k} {last = $1 "  " $4}
		END {if (prev != "") print first " .. " last "  " prev}' "$LOGS/sqlite_phase.tsv"
fi
if [[ -n $MD_OUT ]]; then
	{
		echo "## Run of $(date -u +%Y-%m-%d), N=$N"
		echo
		echo '```'
		summary 0 | sed -n '1,8p'
		echo '```'
		echo
		report 1
		echo
		summary 0 | sed -n '/^base_s:/,$p'
	} >"$MD_OUT"
	log "wrote $MD_OUT"
fi

# A ferry step that failed or timed out fails the run, after the report.
for n in pg_load pg_transfer sqlite_load sqlite_transfer; do
	if [[ -n ${RC[$n]:-} && ${RC[$n]} != 0 ]]; then
		log "ferry step $n did not succeed (exit ${RC[$n]})"
		exit 1
	fi
done
exit 0
}
