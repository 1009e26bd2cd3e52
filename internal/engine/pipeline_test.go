package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The pipeline commits in batch order however the batches' first halves
// overlap, and a failed batch stops every batch after it from committing:
// what is committed is always a prefix.
func TestPipelineCommitsInOrder(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE pipe (no integer NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		for _, failAt := range []int{0, 4} {
			t.Run(fmt.Sprint("fail at ", failAt), func(t *testing.T) {
				if _, err := db.Exec(ctx, `DELETE FROM pipe`); err != nil {
					t.Fatal(err)
				}
				var mu sync.Mutex
				var committed []int
				next := 0
				boom := errors.New("boom")
				p := engine.Pipeline[int]{DB: db, Workers: 3,
					Next: func(context.Context) (int, bool, error) {
						next++
						return next, next <= 8, nil
					},
					Run: func(ctx context.Context, tx *store.Tx, b int, wait func() error) (func(), error) {
						// Later batches finish their first half sooner.
						time.Sleep(time.Duration(9-b) * 2 * time.Millisecond)
						if b == failAt {
							return nil, boom
						}
						if err := wait(); err != nil {
							return nil, err
						}
						if _, err := tx.Exec(ctx, `INSERT INTO pipe (no) VALUES (?)`, b); err != nil {
							return nil, err
						}
						return func() {
							mu.Lock()
							committed = append(committed, b)
							mu.Unlock()
						}, nil
					}}
				err := p.Do(ctx)
				want := "1 2 3 4 5 6 7 8"
				if failAt > 0 {
					want = "1 2 3"
					if !errors.Is(err, boom) {
						t.Fatalf("Do = %v, want the failed batch's error", err)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if got := strings.Trim(fmt.Sprint(committed), "[]"); got != want {
					t.Errorf("committed %s, want %s", got, want)
				}
				if n := queryInt(t, db, `SELECT count(*) FROM pipe`); n != int64(len(committed)) {
					t.Errorf("%d rows in the table, %d batches said committed", n, len(committed))
				}
			})
		}
	})
}
