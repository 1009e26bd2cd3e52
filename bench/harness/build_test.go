package harness

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, entries ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		body := []byte(nil)
		if h.Typeflag == tar.TypeReg {
			body = []byte("content of " + h.Name)
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestExtractTar(t *testing.T) {
	dir := t.TempDir()
	archive := tarOf(t,
		&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "abc"}},
		&tar.Header{Typeflag: tar.TypeDir, Name: "cmd/", Mode: 0o755},
		&tar.Header{Typeflag: tar.TypeReg, Name: "cmd/main.go", Mode: 0o644},
		&tar.Header{Typeflag: tar.TypeReg, Name: "bin/run.sh", Mode: 0o755},
		&tar.Header{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "cmd/main.go"},
	)
	if err := extractTar(archive, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "link"))
	if err != nil || string(b) != "content of cmd/main.go" {
		t.Errorf("through the link: %q, %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "bin", "run.sh"))
	if err != nil || fi.Mode()&0o100 == 0 {
		t.Errorf("run.sh: %v, %v", fi, err)
	}
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "/abs/evil"} {
		archive := tarOf(t, &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644})
		if err := extractTar(archive, t.TempDir()); err == nil {
			t.Errorf("%s was extracted", name)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// A nested module of another name is passed over.
	if err := os.WriteFile(filepath.Join(root, "a", "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/want\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := RepoRoot(deep, "example.com/want")
	if err != nil || got != root {
		t.Errorf("RepoRoot = %q, %v; want %q", got, err, root)
	}
	if _, err := RepoRoot(deep, "example.com/none"); err == nil {
		t.Error("found a module that is not there")
	}
}
