package tenant

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// generated writes a dataset into a new folder.
func generated(t *testing.T, opts GenerateOptions) (string, GenerateResult) {
	t.Helper()
	opts.Out = filepath.Join(t.TempDir(), "export")
	res, err := Generate(context.Background(), opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return opts.Out, res
}

// files reads every file of a dataset, by path relative to it.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	opts := GenerateOptions{Users: 400, Overlap: 10, Seed: 7, SplitRows: 150}
	dirA, resA := generated(t, opts)
	dirB, resB := generated(t, opts)
	a, b := files(t, dirA), files(t, dirB)
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs with the same options", name)
		}
	}
	wantEqual(t, "result of the second run", resB, resA)

	// Every table of the catalog, where the platform's export puts it.
	for _, tb := range Tables() {
		name := tb.Table.Name + ".csv"
		if tb.Keyspace != "" {
			name = tb.Keyspace + "/" + name
		}
		if _, ok := a[name]; !ok {
			t.Errorf("no %s", name)
		}
		if resA.Rows[tb.Name] == 0 {
			t.Errorf("%s: no rows", tb.Name)
		}
	}
	// user_lookup split every 150 rows, the header only in the first file.
	lookups := resA.Rows["user_lookup"]
	parts := int((lookups + 149) / 150)
	if parts < 3 {
		t.Fatalf("%d lookup rows: the split is not exercised", lookups)
	}
	header := "type,value,userid\r\n"
	for i := range parts {
		name := "sunbird/user_lookup.csv"
		if i > 0 {
			name += "." + itoa(i)
		}
		data, ok := a[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		if got := bytes.HasPrefix(data, []byte(header)); got != (i == 0) {
			t.Errorf("%s: starts with the header: %v", name, got)
		}
		rows := bytes.Count(data, []byte("\r\n"))
		if i == 0 {
			rows--
		}
		if want := min(150, int(lookups)-150*i); rows != want {
			t.Errorf("%s: %d rows, want %d", name, rows, want)
		}
	}
	if _, ok := a["sunbird/user_lookup.csv."+itoa(parts)]; ok {
		t.Errorf("an empty continuation file was written")
	}
	// Ciphertexts hold line feeds, which cqlsh writes as \n in a quoted
	// field; records end in CRLF.
	if !bytes.Contains(a["sunbird/user.csv"], []byte(`=="`)) || !bytes.Contains(a["sunbird/user.csv"], []byte(`\n`)) {
		t.Error("user.csv has no ciphertext with a line feed")
	}

	dirC, resC := generated(t, GenerateOptions{Users: 400, Overlap: 10, Seed: 8, SplitRows: 150})
	if resC.Source == resA.Source || resC.Target == resA.Target {
		t.Errorf("seeds 7 and 8 give the same tenants %s, %s", resA.Source, resA.Target)
	}
	if bytes.Equal(files(t, dirC)["sunbird/user.csv"], a["sunbird/user.csv"]) {
		t.Error("seeds 7 and 8 give the same user.csv")
	}
}

// The big user tables are formatted on several goroutines; the files are
// those one goroutine writes.
func TestGenerateInParallelWritesTheSameFiles(t *testing.T) {
	opts := GenerateOptions{Users: 6000, Overlap: 3, Seed: 2}
	if 6000 <= chunkSteps || runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two processors and more users than a chunk")
	}
	dirA, _ := generated(t, opts)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	dirB, _ := generated(t, opts)
	a, b := files(t, dirA), files(t, dirB)
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between the parallel and the sequential writer", name)
		}
	}
}

func TestCipherIsDeterministicWithLineFeeds(t *testing.T) {
	c := newFakeCipher(3)
	var buf cipherBuf
	a, b := c.encrypt("someone.somewhere12@example.org", &buf), c.encrypt("someone.somewhere12@example.org", &buf)
	if a != b {
		t.Fatal("equal plaintexts give different ciphertexts")
	}
	if a == c.encrypt("someone.somewhere13@example.org", &buf) {
		t.Fatal("different plaintexts give the same ciphertext")
	}
	if newFakeCipher(4).encrypt("someone.somewhere12@example.org", &buf) == a {
		t.Fatal("another seed gives the same ciphertext")
	}
	lines := strings.Split(a, "\n")
	if len(lines) < 3 {
		t.Fatalf("ciphertext %q: want at least 2 line feeds", a)
	}
	for _, l := range lines[:len(lines)-1] {
		if len(l) != 76 {
			t.Errorf("line %q: %d characters, want 76", l, len(l))
		}
	}
	wantEqual(t, "masked e-mail", maskEmail("someone.somewhere12@example.org"), "so*****************@example.org")
	wantEqual(t, "masked phone", maskPhone("9829012301"), "******2301")
}

// importGenerated imports a generated dataset and checks that it is read
// exactly: no reject, no header difference, no repeated key, every row.
func importGenerated(t *testing.T, db *store.DB, opts GenerateOptions) (*Service, GenerateResult) {
	t.Helper()
	dir, gen := generated(t, opts)
	s := newService(t, db)
	res, err := s.Import(context.Background(), ImportOptions{Dir: dir, MaxRejects: -1})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.Rejected != 0 || len(res.Unknown) != 0 {
		t.Fatalf("import: %d rejected %v, unknown files %v", res.Rejected, res.Rejects, res.Unknown)
	}
	if len(res.Tables) != len(Tables()) {
		t.Errorf("import: %d tables, want %d", len(res.Tables), len(Tables()))
	}
	for _, ti := range res.Tables {
		if len(ti.Missing) > 0 || len(ti.Extra) > 0 {
			t.Errorf("%s: header lacks %v, has extra %v", ti.Table, ti.Missing, ti.Extra)
		}
		if ti.Repeated != 0 || ti.Rows != gen.Rows[ti.Table] || ti.Inserted != ti.Rows {
			t.Errorf("%s: %d rows read, %d inserted, %d repeated keys; %d generated", ti.Table, ti.Rows, ti.Inserted, ti.Repeated, gen.Rows[ti.Table])
		}
	}
	wantEqual(t, "users", count(t, db, "user", ""), int64(opts.Users))
	wantEqual(t, "user rows generated", gen.Rows["user"], int64(opts.Users))
	// The ciphertexts come back with their line feeds.
	if n := count(t, db, "user", "email LIKE ?", "%\n%"); n == 0 {
		t.Error("no e-mail ciphertext holds a line feed")
	}
	if n := count(t, db, "usr_external_identity", "idtype = 'declared-email' AND externalid LIKE ?", "%\n%"); n == 0 {
		t.Error("no declared e-mail ciphertext holds a line feed")
	}
	return s, gen
}

// A dataset without overlap imports cleanly, has every validation case,
// and merges with no conflict; afterwards nothing of the source is left.
func TestGeneratedDatasetWithoutOverlap(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, gen := importGenerated(t, db, GenerateOptions{Users: 300, Overlap: 0, Seed: 11, SplitRows: 200})
		w := newWorld(GenerateOptions{Users: 300, Seed: 11})
		wantEqual(t, "tenants", []string{gen.Source, gen.Target}, []string{w.src.id, w.tgt.id})
		req := Request{Source: gen.Source, Target: gen.Target}
		p, err := s.Plan(ctx, req)
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		if !p.Valid || len(p.Conflicts) != 0 {
			t.Fatalf("plan: valid %v, conflicts %v", p.Valid, p.Conflicts)
		}
		notes := codes(p.Notices, func(n Notice) string { return n.Code })
		for _, code := range []string{NoticeMembershipMerged, NoticeNestedOrg, NoticeScopeWidened, NoticeConsentRevoked, NoticeCreatedForDedup, NoticeLegacyLoginID} {
			if notes[code] == 0 {
				t.Errorf("plan: no %s notice (%v)", code, notes)
			}
		}
		if notes[NoticeDuplicateEmail] != 0 {
			t.Errorf("plan: %d DUPLICATE_EMAIL notices without overlap", notes[NoticeDuplicateEmail])
		}
		for _, tb := range []string{"organisation", "org_external_identity", "user", "usr_external_identity", "user_lookup", "user_organisation",
			"user_org", "user_roles", "user_consent", "course_batch", "sunbird.course_batch", "course_management", "page_management",
			"bulk_upload_process", "geo_location", "badge_class_extension", "tenant_preference", "tenant_preference_v2", "content"} {
			if p.Changes[tb] == 0 {
				t.Errorf("plan: nothing to change in %s", tb)
			}
		}
		// The validation cases of EXPECTED.md §3.
		for _, tc := range []struct {
			name string
			req  Request
			want string
		}{
			{"inactive source", Request{Source: w.inact.id, Target: gen.Target}, ProblemOrgInactive},
			{"non-root target", Request{Source: gen.Source, Target: w.tgtKidID(0)}, ProblemNotTenant},
			{"child source", Request{Source: w.srcKidID(0), Target: gen.Target}, ProblemNotTenant},
			{"user of the target", Request{Source: gen.Source, Target: gen.Target, Users: []string{w.userID(w.nSrc)}}, ProblemUserNotInSrc},
		} {
			p, err := s.Plan(ctx, tc.req)
			if ferry.ErrorCode(err) != ferry.EVALIDATION || len(p.Errors) != 1 || p.Errors[0].Code != tc.want {
				t.Errorf("%s: err %v, problems %v; want %s", tc.name, err, p.Errors, tc.want)
			}
		}
		if _, err := s.Plan(ctx, Request{Source: w.other.id, Target: gen.Target}); err != nil {
			t.Errorf("the tenant without isrootorg as a source: %v", err)
		}

		res, err := s.Migrate(ctx, MigrateOptions{Request: req})
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		wantEqual(t, "merge changes", keysOf(res.Changes), keysOf(p.Changes))
		v, err := s.Verify(ctx, gen.Source, gen.Target)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Remaining != 0 {
			t.Errorf("verify: ok %v, remaining %d %v, issues %v", v.OK, v.Remaining, v.ByTable, v.Issues)
		}
		wantEqual(t, "users of the target", count(t, db, "user", "rootorgid = ?", gen.Target), int64(300))
	})
}

// With overlap, the plan has the conflicts and account-merge candidates
// the overlap asked for; a merge that skips them leaves only them.
func TestGeneratedDatasetWithOverlap(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// More users than a chunk: the files written in parallel import.
		opts := GenerateOptions{Users: 1500, Overlap: 10, Seed: 5}
		s, gen := importGenerated(t, db, opts)
		w := newWorld(opts)
		if w.pairs != 60 {
			t.Fatalf("%d twins, want 60 (10%% of 600 source users)", w.pairs)
		}
		byEmail, byExtID := (w.pairs+1)/2, w.pairs/2
		p, err := s.Plan(ctx, Request{Source: gen.Source, Target: gen.Target})
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		// An external id is taken twice: its identity and its lookup.
		wantEqual(t, "conflicts", codes(p.Conflicts, func(c Conflict) string { return c.Code }), map[string]int{
			"EXTERNAL_ID_TAKEN": 2 * byExtID, "ORG_EXTERNAL_ID_TAKEN": 1, "PAGE_NAME_CONFLICT": 1, "PREFERENCE_CONFLICT": 2})
		wantEqual(t, "DUPLICATE_EMAIL notices", codes(p.Notices, func(n Notice) string { return n.Code })[NoticeDuplicateEmail], byEmail)

		res, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: gen.Source, Target: gen.Target, OnConflict: OnConflictSkip}})
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if !res.SourceDeactivated || res.Skipped != int64(len(p.Conflicts)) {
			t.Errorf("migrate: source deactivated %v, %d skipped; want true, %d", res.SourceDeactivated, res.Skipped, len(p.Conflicts))
		}
		v, err := s.Verify(ctx, gen.Source, gen.Target)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Remaining != 0 {
			t.Errorf("verify: ok %v, remaining %d %v, issues %v", v.OK, v.Remaining, v.ByTable, v.Issues)
		}
		kept := codes(v.Kept, func(k Kept) string { return k.Table })
		wantEqual(t, "identities kept by the skip", kept["usr_external_identity"], byExtID)
	})
}

func TestGenerateRefusesBadOptions(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(full, "x")
	ok := filepath.Join(t.TempDir(), "new")
	for _, tc := range []struct {
		name string
		opts GenerateOptions
	}{
		{"one user", GenerateOptions{Users: 1, Out: ok}},
		{"negative overlap", GenerateOptions{Users: 10, Overlap: -1, Out: ok}},
		{"overlap above 100", GenerateOptions{Users: 10, Overlap: 100.5, Out: ok}},
		{"overlap NaN", GenerateOptions{Users: 10, Overlap: math.NaN(), Out: ok}},
		{"negative split", GenerateOptions{Users: 10, SplitRows: -1, Out: ok}},
		{"no folder", GenerateOptions{Users: 10}},
		{"folder not empty", GenerateOptions{Users: 10, Out: full}},
		{"a file", GenerateOptions{Users: 10, Out: file}},
	} {
		_, err := Generate(context.Background(), tc.opts)
		if ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("%s: err %v (%s), want %s", tc.name, err, ferry.ErrorCode(err), ferry.EINVALID)
			continue
		}
		if strings.Contains(err.Error(), "--") {
			t.Errorf("%s: the message names a flag: %v", tc.name, err)
		}
	}
	if _, err := os.Stat(ok); err == nil {
		t.Error("a refused generation created its folder")
	}
	// The smallest dataset, and an empty folder that exists.
	if _, err := Generate(context.Background(), GenerateOptions{Users: 2, Overlap: 100, Out: t.TempDir()}); err != nil {
		t.Errorf("two users: %v", err)
	}
}

func TestGenerateStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "export")
	if _, err := Generate(ctx, GenerateOptions{Users: 5000, Out: out}); err == nil {
		t.Fatal("a cancelled generation succeeded")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a cancelled generation left its folder")
	}
}

// BenchmarkGenerate writes a dataset of 100,000 users.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "export")
		if _, err := Generate(context.Background(), GenerateOptions{Users: 100000, Overlap: DefaultOverlap, Seed: 1, Out: out}); err != nil {
			b.Fatal(err)
		}
	}
}
