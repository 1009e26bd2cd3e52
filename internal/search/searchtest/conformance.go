package searchtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/ferrymigrate/ferry/internal/search"
)

// Open makes a backend's index on a cluster's URL.
type Open func(t *testing.T, url string) search.Index

// Run is the conformance suite every backend passes: against a fake
// server here, and against a real cluster when its URL is set (then fake
// is nil, and the fault cases are skipped).
func Run(t *testing.T, url string, fake *Server, open Open) {
	ctx := context.Background()
	name := func(t *testing.T) string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		n := "ferry-test-" + hex.EncodeToString(b)
		t.Cleanup(func() { _ = open(t, url).DeleteIndex(context.Background(), n) })
		return n
	}
	doc := func(index, id, tenant string) search.Document {
		return search.Document{Index: index, ID: id, Body: json.RawMessage(fmt.Sprintf(`{"id":%q,"rootOrgId":%q,"createdFor":[%q,"other"]}`, id, tenant, tenant))}
	}
	mapping := json.RawMessage(`{"mappings":{"properties":{"id":{"type":"keyword"},"rootOrgId":{"type":"keyword"},"createdFor":{"type":"keyword"}}}}`)

	t.Run("writes, reads, counts and pages", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		if err := ix.EnsureIndex(ctx, n, mapping); err != nil {
			t.Fatal(err)
		}
		if err := ix.EnsureIndex(ctx, n, mapping); err != nil {
			t.Fatalf("a second EnsureIndex: %v", err)
		}
		var docs []search.Document
		for i := range 7 {
			docs = append(docs, doc(n, fmt.Sprintf("d%d", i), map[bool]string{true: "t1", false: "t2"}[i%3 != 0]))
		}
		res, err := ix.Bulk(ctx, docs)
		if err != nil || len(res) != 7 {
			t.Fatalf("bulk %v, %v", res, err)
		}
		for i, r := range res {
			if !r.OK(false) || r.ID != docs[i].ID {
				t.Fatalf("item %d: %+v", i, r)
			}
		}
		if err := ix.Refresh(ctx, n); err != nil {
			t.Fatal(err)
		}
		src, found, err := ix.Get(ctx, n, "d1")
		if err != nil || !found || string(mustCompact(t, src)) != `{"id":"d1","rootOrgId":"t1","createdFor":["t1","other"]}` {
			t.Fatalf("get: %s %v %v", src, found, err)
		}
		if _, found, err := ix.Get(ctx, n, "nope"); err != nil || found {
			t.Fatalf("get of a missing document: %v %v", found, err)
		}
		for _, c := range []struct {
			field, value string
			want         int64
		}{{"rootOrgId", "t1", 4}, {"rootOrgId", "t2", 3}, {"createdFor", "t2", 3}, {"createdFor", "other", 7}, {"", "", 7}, {"rootOrgId", "t9", 0}} {
			if got, err := ix.Count(ctx, n, c.field, c.value); err != nil || got != c.want {
				t.Errorf("count %s=%s: %d, %v; want %d", c.field, c.value, got, err, c.want)
			}
		}
		var ids []string
		after := ""
		for {
			hits, err := ix.Search(ctx, n, "rootOrgId", "t1", 3, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				ids = append(ids, h.ID)
			}
			if len(hits) < 3 {
				break
			}
			after = hits[len(hits)-1].ID
		}
		if fmt.Sprint(ids) != "[d1 d2 d4 d5]" {
			t.Fatalf("paged search: %v", ids)
		}
		res, err = ix.Bulk(ctx, []search.Document{{Index: n, ID: "d1"}, {Index: n, ID: "never"}})
		if err != nil || !res[0].OK(true) || !res[1].OK(true) || res[1].Status != 404 {
			t.Fatalf("deletes: %+v, %v", res, err)
		}
		if err := ix.DeleteIndex(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := ix.DeleteIndex(ctx, n); err != nil {
			t.Fatalf("deleting a missing index: %v", err)
		}
	})
	if fake == nil {
		return
	}
	t.Run("an item refused, the others written", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		fake.Store.Refuse("bad", 400)
		t.Cleanup(func() { fake.Store.Refuse("bad", 0) })
		res, err := ix.Bulk(ctx, []search.Document{doc(n, "a", "t"), doc(n, "bad", "t"), doc(n, "c", "t")})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].OK(false) || res[1].OK(false) || res[1].Status != 400 || res[1].Error == "" || res[1].Retryable() || !res[2].OK(false) {
			t.Fatalf("results %+v", res)
		}
	})
	t.Run("429s retried until the cluster takes the request", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		before := fake.BulkCalls.Load()
		fake.Busy(2)
		res, err := ix.Bulk(ctx, []search.Document{doc(n, "a", "t")})
		if err != nil || !res[0].OK(false) {
			t.Fatalf("%+v, %v", res, err)
		}
		if calls := fake.Requests.Load(); calls < 3 || fake.BulkCalls.Load() != before+1 {
			t.Fatalf("requests %d, bulk calls answered %d", calls, fake.BulkCalls.Load()-before)
		}
	})
	t.Run("a cluster that stays busy is unavailable", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		fake.Busy(1000)
		t.Cleanup(func() { fake.Busy(0) })
		_, err := ix.Bulk(ctx, []search.Document{doc(n, "a", "t")})
		if !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("503s retried", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		fake.Unavailable(2)
		if res, err := ix.Bulk(ctx, []search.Document{doc(n, "a", "t")}); err != nil || !res[0].OK(false) {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		ix, n := open(t, url), name(t)
		fake.Busy(1000)
		t.Cleanup(func() { fake.Busy(0) })
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := ix.Bulk(cctx, []search.Document{doc(n, "a", "t")}); !errors.Is(err, context.Canceled) && !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("err %v", err)
		}
	})
}

// RunOnCluster runs the suite against the real cluster whose URL the
// variable env holds, and skips, saying so, when it is not set; example is
// a URL to show in that message.
func RunOnCluster(t *testing.T, env, example string, open Open) {
	url := os.Getenv(env)
	if url == "" {
		t.Skipf("set %s (e.g. %s) to run the suite against a real cluster", env, example)
	}
	Run(t, url, nil, open)
}

func mustCompact(t *testing.T, b json.RawMessage) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	// Re-marshal in the order the test wrote: id, rootOrgId, createdFor.
	out, _ := json.Marshal(struct {
		ID         any `json:"id"`
		RootOrgID  any `json:"rootOrgId"`
		CreatedFor any `json:"createdFor"`
	}{v["id"], v["rootOrgId"], v["createdFor"]})
	return out
}
