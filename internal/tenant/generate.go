package tenant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
)

// Generating a synthetic two-tenant export (decision 11's form): every
// table of the catalog, as cqlsh COPY TO writes it, with the shapes of a
// real dataset (EXPECTED.md §1): a source and a target tenant, an inactive
// tenant, a third one, child orgs of the source (some nested), users with
// memberships in several orgs, role scopes, consents, external ids and
// lookups, ciphertexts with line feeds, course batches and org-scoped
// rows, and the conflicts of a merge in the proportion asked for.
//
// Everything is derived from the seed and a row's index: each file
// recomputes the user, org or batch it needs from (seed, index), so memory
// stays flat however many users are asked for, and the same options give
// byte-identical files. The files are written concurrently.

// DefaultOverlap is the share of source users, in per cent, that the
// command line gives a twin account in the target when none is asked for.
const DefaultOverlap = 2

// GenerateOptions configures Generate.
type GenerateOptions struct {
	// Users is the number of users, split between the two tenants (40%
	// source, 60% target); at least 2.
	Users int
	// Overlap is the percentage (0 to 100) of source users who also have
	// an account in the target: half of them with the same e-mail
	// ciphertext (DUPLICATE_EMAIL), half with the same state external id
	// (EXTERNAL_ID_TAKEN). Any overlap above 0 also gives the dataset one
	// taken org external id, page name and preference key each; 0 gives a
	// dataset whose merge has no conflict at all.
	Overlap float64
	// Seed selects the dataset: ids, names, ciphertexts and the order of
	// the rows.
	Seed int64
	// Out is the folder to write; it must not exist or be empty.
	Out string
	// SplitRows, when above 0, splits user_lookup as cqlsh's MAXOUTPUTSIZE
	// does: user_lookup.csv with the header and SplitRows rows, then
	// user_lookup.csv.1, ... without a header.
	SplitRows int
}

// GenerateResult is what Generate wrote: the two tenants' root org ids and
// the rows of each table, by report name.
type GenerateResult struct {
	Source string           `json:"source"`
	Target string           `json:"target"`
	Rows   map[string]int64 `json:"rows"`
}

func (o GenerateOptions) check() error {
	switch {
	case o.Users < 2:
		return ferry.Errorf(ferry.EINVALID, "a dataset needs at least 2 users (one per tenant), not %d", o.Users)
	case math.IsNaN(o.Overlap) || o.Overlap < 0 || o.Overlap > 100:
		return ferry.Errorf(ferry.EINVALID, "the overlap is a percentage from 0 to 100, not %v", o.Overlap)
	case o.SplitRows < 0:
		return ferry.Errorf(ferry.EINVALID, "the rows per user_lookup file must be 0 (no split) or more, not %d", o.SplitRows)
	case o.Out == "":
		return ferry.Errorf(ferry.EINVALID, "no output folder was given")
	}
	return nil
}

// Generate writes the dataset into opts.Out: sunbird/<table>.csv,
// sunbird_courses/course_batch.csv and content.csv. Each file is written
// under a temporary name and renamed when complete; if anything fails,
// whatever was written is removed again.
func Generate(ctx context.Context, opts GenerateOptions) (GenerateResult, error) {
	if err := opts.check(); err != nil {
		return GenerateResult{}, err
	}
	created, err := prepareOut(opts.Out)
	if err != nil {
		return GenerateResult{}, err
	}
	w := newWorld(opts)
	res, err := w.write(ctx, opts.Out)
	if err != nil {
		// The folder was new or empty: whatever is in it now is ours.
		if created {
			_ = os.RemoveAll(opts.Out)
		} else if entries, _ := os.ReadDir(opts.Out); len(entries) > 0 {
			for _, e := range entries {
				_ = os.RemoveAll(filepath.Join(opts.Out, e.Name()))
			}
		}
		return GenerateResult{}, err
	}
	return res, nil
}

// prepareOut checks that dir is new or empty, and creates it; created
// says whether it did.
func prepareOut(dir string) (created bool, err error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("creating %s: %v", dir, unwrapPathError(err)), Err: err}
		}
		return true, nil
	case err != nil:
		return false, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("%s: %v", dir, unwrapPathError(err)), Err: err}
	case !st.IsDir():
		return false, &ferry.Error{Code: ferry.EINVALID, Message: fmt.Sprintf("%s exists and is not a folder", dir),
			Hint: "give a new or empty folder for the dataset"}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("%s: %v", dir, unwrapPathError(err)), Err: err}
	}
	if len(entries) > 0 {
		return false, &ferry.Error{Code: ferry.EINVALID, Message: fmt.Sprintf("the folder %s is not empty", dir),
			Hint: "give a new or empty folder: a dataset is never written over another"}
	}
	return false, nil
}

// genTask writes one table.
type genTask struct {
	table   string
	split   int
	produce func(o *genOut) error
}

func (w *world) write(ctx context.Context, out string) (GenerateResult, error) {
	tasks := append(w.orgTasks(), w.userTasks()...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		rows     = map[string]int64{}
	)
	for _, sub := range []string{"sunbird", "sunbird_courses"} {
		dir := filepath.Join(out, sub)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return GenerateResult{}, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("creating %s: %v", dir, unwrapPathError(err)), Err: err}
		}
	}
	for _, task := range tasks {
		t := tbl(task.table)
		dir := filepath.Join(out, t.Keyspace) // content, of no keyspace, goes in out itself
		wg.Go(func() {
			n, err := writeGenTable(ctx, dir, t, task.split, task.produce)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				return
			}
			rows[t.Name] = n
		})
	}
	wg.Wait()
	if firstErr != nil {
		return GenerateResult{}, firstErr
	}
	return GenerateResult{Source: w.src.id, Target: w.tgt.id, Rows: rows}, nil
}

// genOut is one table's file (or files, when split) being written. A
// producer sets a row's columns by name and emits it.
type genOut struct {
	ctx    context.Context
	t      *Table
	dir    string
	split  int
	f      *os.File
	w      *cqlcsv.ExportWriter
	part   int
	inPart int
	rows   int64
	tmps   []string
	vals   []any
	pos    map[string]int
}

// set gives the current row's column col the value v.
func (o *genOut) set(col string, v any) {
	i, ok := o.pos[col]
	if !ok {
		panic("tenant: generate: table " + o.t.Name + " has no column " + col)
	}
	o.vals[i] = v
}

// emit writes the current row and starts the next one with every column
// null.
func (o *genOut) emit() error {
	if o.split > 0 && o.inPart == o.split {
		if err := o.closePart(); err != nil {
			return err
		}
		o.part++
		if err := o.openPart(); err != nil {
			return err
		}
	}
	if err := o.w.Write(o.vals); err != nil {
		return err
	}
	clear(o.vals)
	o.inPart++
	o.rows++
	// Checking the context on every row would cost a lock per row.
	if o.rows&1023 == 0 {
		return o.ctx.Err()
	}
	return nil
}

func (o *genOut) name(part int) string {
	n := o.t.Table.Name + ".csv"
	if part > 0 {
		n += "." + strconv.Itoa(part)
	}
	return n
}

func (o *genOut) openPart() error {
	f, err := os.Create(filepath.Join(o.dir, "."+o.name(o.part)+".tmp"))
	if err != nil {
		return err
	}
	o.f, o.inPart = f, 0
	o.tmps = append(o.tmps, f.Name())
	o.w = cqlcsv.NewExportWriter(f, &o.t.Table, cqlcsv.ExportOptions{NoHeader: o.part > 0})
	return nil
}

func (o *genOut) closePart() error {
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// chunkSteps is how many steps of a parallel producer one goroutine
// formats at a time.
const chunkSteps = 1024

// parallel runs steps 0..n-1 of a producer, each writing zero or more
// rows, and writes their rows in step order: chunks of steps are formatted
// on several goroutines into buffers, which are written as they complete,
// in order, a few at most in flight. newStep gives each chunk a step
// function with scratch space of its own. A split table is written by one
// goroutine, which counts its rows.
func (o *genOut) parallel(n int, newStep func() func(c *genOut, k int) error) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || o.split > 0 || n <= chunkSteps {
		step := newStep()
		for k := range n {
			if err := step(o, k); err != nil {
				return err
			}
		}
		return nil
	}
	// The header goes first; the chunks then go straight to the file.
	if err := o.w.Flush(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(o.ctx)
	defer cancel()
	type chunk struct {
		buf  *bytes.Buffer
		rows int64
		err  error
	}
	// Buffers go round: growing a new one for every chunk costs more than
	// formatting into it.
	var pool sync.Pool
	queue := make(chan chan chunk, 2*workers)
	go func() {
		defer close(queue)
		for lo := 0; lo < n; lo += chunkSteps {
			done := make(chan chunk, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return
			}
			go func(lo, hi int) {
				buf, _ := pool.Get().(*bytes.Buffer)
				if buf == nil {
					buf = new(bytes.Buffer)
				}
				c := &genOut{ctx: ctx, t: o.t, vals: make([]any, len(o.vals)), pos: o.pos}
				c.w = cqlcsv.NewExportWriter(buf, &o.t.Table, cqlcsv.ExportOptions{NoHeader: true})
				step := newStep()
				var err error
				for k := lo; k < hi && err == nil; k++ {
					err = step(c, k)
				}
				if err == nil {
					err = c.w.Flush()
				}
				done <- chunk{buf, c.rows, err}
			}(lo, min(lo+chunkSteps, n))
		}
	}()
	var first error
	for done := range queue {
		ch := <-done
		if first != nil {
			continue
		}
		if ch.err == nil {
			_, ch.err = o.f.Write(ch.buf.Bytes())
			ch.buf.Reset()
			pool.Put(ch.buf)
		}
		if ch.err != nil {
			first = ch.err
			cancel()
			continue
		}
		o.rows += ch.rows
		o.inPart += int(ch.rows)
	}
	if first == nil {
		first = o.ctx.Err()
	}
	return first
}

// writeGenTable writes t with produce and renames its files into place; it
// returns the rows written.
func writeGenTable(ctx context.Context, dir string, t *Table, split int, produce func(o *genOut) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	o := &genOut{ctx: ctx, t: t, dir: dir, split: split, vals: make([]any, len(t.Columns)), pos: map[string]int{}}
	for i, c := range t.Columns {
		o.pos[c.Name] = i
	}
	fail := func(err error) (int64, error) {
		if o.f != nil {
			_ = o.f.Close()
		}
		for _, p := range o.tmps {
			_ = os.Remove(p)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, err
		}
		return 0, fmt.Errorf("generating %s: %w", t.Name, err)
	}
	if err := o.openPart(); err != nil {
		return fail(err)
	}
	if err := produce(o); err != nil {
		return fail(err)
	}
	if err := o.closePart(); err != nil {
		o.f = nil
		return fail(err)
	}
	o.f = nil
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	for i, p := range o.tmps {
		if err := os.Rename(p, filepath.Join(dir, o.name(i))); err != nil {
			return fail(err)
		}
	}
	return o.rows, nil
}

// Stream tags: each names an independent random stream, so that changing
// one file's draws never shifts another's. Append new tags; never reorder.
const (
	tagWorld uint64 = iota + 1
	tagCipher
	tagCipherSalt
	tagUser
	tagUserID
	tagFeature
	tagOrgSrc
	tagOrgTgt
	tagBatch
	tagContent
	tagOrderUser
	tagOrderLookup
	tagOrderIdentity
	tagOrderMember
	tagOrderLegacyMember
	tagOrderRoles
	tagOrderConsent
	tagOrderContent
	tagUUID
	tagPhone
	tagLocation
	tagScatter
)

// mix is the splitmix64 finaliser: a bijection of 64-bit words that
// scatters neighbouring inputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// genRand draws only raw 64-bit words from PCG and reduces them itself, so
// the output for a seed does not depend on math/rand's helpers staying the
// same across Go releases.
type genRand struct{ p rand.PCG }

// reseed makes the stream a function of (seed, tag, i) alone.
func (r *genRand) reseed(seed int64, tag, i uint64) {
	r.p.Seed(mix(uint64(seed)^mix(tag)), mix(i^(tag<<48)))
}

func (r *genRand) u64() uint64 { return r.p.Uint64() }

// intn is in [0, n).
func (r *genRand) intn(n int) int {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

func (r *genRand) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *genRand) chance(p float64) bool {
	return p > 0 && float64(r.p.Uint64()>>11)/(1<<53) < p
}

// genPerm is an affine bijection of [0, n), i -> (a*i + b) mod n: the
// order a file visits its rows in, without a table of them.
type genPerm struct{ a, b, n uint64 }

func newGenPerm(seed int64, tag uint64, n int) genPerm {
	p := genPerm{n: uint64(n)}
	if n <= 1 {
		return p
	}
	h := mix(uint64(seed) ^ mix(tag))
	p.a = (uint64(float64(n)*0.6180339887) + h%89) % p.n
	for p.a == 0 || gcd(p.a, p.n) != 1 {
		p.a = (p.a + 1) % p.n
	}
	p.b = mix(h) % p.n
	return p
}

func (p genPerm) at(i int) int {
	if p.n <= 1 {
		return 0
	}
	hi, lo := bits.Mul64(p.a, uint64(i))
	_, rem := bits.Div64(hi, lo, p.n)
	return int((rem + p.b) % p.n)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// appendPad appends v in decimal, zero-padded to width digits.
func appendPad(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

// genUUID is a UUID-shaped id, unique for each (tag, n): its first 64 bits
// are a bijection of n.
func genUUID(seed int64, tag, n uint64) string {
	hi := mix(n ^ mix(uint64(seed)^mix(tag^tagUUID)))
	lo := mix(hi ^ tag)
	var b [36]byte
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		w := hi
		k := i
		if i >= 16 {
			w, k = lo, i-16
		}
		b[j] = hexDigits[(w>>(60-4*uint(k)))&15]
		j++
	}
	return string(b[:])
}
