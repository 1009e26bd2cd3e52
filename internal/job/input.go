package job

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Input is one file a job read, identified by content so a rerun on changed
// files is never mistaken for a resume of the old run.
type Input struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// HashFile checksums a file. Path "-" (standard input) is recorded without a
// checksum because it cannot be read twice.
func HashFile(role, path string) (Input, error) {
	in := Input{Role: role, Path: path}
	if path == "-" {
		return in, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return in, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return in, fmt.Errorf("reading %s: %w", path, err)
	}
	in.Size, in.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return in, nil
}
