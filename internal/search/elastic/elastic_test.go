package elastic_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/elastic"
	"github.com/ferrymigrate/ferry/internal/search/searchtest"
)

func open(t *testing.T, url string) search.Index {
	t.Helper()
	ix, err := elastic.New(elastic.Config{Cluster: search.Cluster{URLs: []string{url}, Retries: 4, Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestConformanceAgainstTheFakeCluster(t *testing.T) {
	fake := searchtest.Start(t)
	searchtest.Run(t, fake.URL, fake, open)
}

func TestConformanceAgainstARealCluster(t *testing.T) {
	searchtest.RunOnCluster(t, "FERRY_TEST_ELASTICSEARCH_URL", "http://127.0.0.1:9200", open)
}

// The official client refuses a server that does not say it is
// Elasticsearch: ferry says which server it reached.
func TestServerWithoutTheProductHeaderIsRefused(t *testing.T) {
	fake := searchtest.Start(t)
	fake.NoProductHeader()
	_, err := open(t, fake.URL).Bulk(context.Background(), []search.Document{{Index: "x", ID: "a", Body: []byte(`{"id":"a"}`)}})
	if err == nil || !strings.Contains(err.Error(), "Elasticsearch") {
		t.Fatalf("err %v", err)
	}
}
