package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"

	"github.com/ferrymigrate/ferry"
)

// Input is one file a job read, identified by content so a rerun on changed
// files is never mistaken for a resume of the old run.
type Input struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Stdin is the path that stands for standard input.
const Stdin = "-"

// CheckRegular refuses what is not a regular file: a FIFO or a device such
// as /dev/zero would hang the checksum or never end, and a directory is a
// mistake. Standard input ("-") is allowed; it is read once, as a stream.
func CheckRegular(label, path string) error {
	if path == Stdin {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return ferry.Errorf(ferry.EINPUT, "%s file %s: %v", label, path, unwrapPathErr(err))
	}
	switch {
	case st.IsDir():
		return ferry.Errorf(ferry.EINPUT, "%s file %s is a directory", label, path)
	case !st.Mode().IsRegular():
		return ferry.Errorf(ferry.EINPUT, "%s file %s is not a regular file (%s); give a file, or - for standard input", label, path, st.Mode().Type())
	}
	return nil
}

// HashFile checksums a regular file. Path "-" (standard input) is recorded
// without a checksum because it cannot be read twice.
func HashFile(role, path string) (Input, error) {
	in := Input{Role: role, Path: path}
	if path == Stdin {
		return in, nil
	}
	if err := CheckRegular(role, path); err != nil {
		return in, err
	}
	f, err := os.Open(path)
	if err != nil {
		return in, ferry.Errorf(ferry.EINPUT, "%s file %s: %v", role, path, unwrapPathErr(err))
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return in, ferry.Errorf(ferry.EINPUT, "reading %s: %v", path, err)
	}
	in.Size, in.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return in, nil
}

// unwrapPathErr drops the path os errors repeat, since messages name it.
func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// SameFile reports whether two paths name one file, so that an output
// (a rejects report) never overwrites an input. Paths that do not exist
// name no file.
func SameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}
