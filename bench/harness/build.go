package harness

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RepoRoot walks up from dir to the directory whose go.mod declares module.
func RepoRoot(dir, module string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			found := false
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "module "+module {
					found = true
					break
				}
			}
			_ = f.Close()
			if found {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the current directory", module)
		}
		dir = parent
	}
}

// Binary is the program under test and what it was built from.
type Binary struct {
	Path string
	// From describes the source: a commit (with "(dirty)" for a working
	// tree with uncommitted changes), a clean export of a ref, or a given
	// binary.
	From string
}

// BuildOptions says which binary to benchmark: Bin, a prebuilt one, wins;
// then Ref, built from a clean export of that git ref; else the working
// tree at Root.
type BuildOptions struct {
	Root    string // the repository
	Package string // e.g. ./cmd/ferry
	Ref     string
	Bin     string
	Out     string // where the binary goes
	Scratch string // a directory for the export, removed afterwards
}

// Build provides the binary under test at o.Out.
func Build(ctx context.Context, o BuildOptions) (Binary, error) {
	b := Binary{Path: o.Out}
	switch {
	case o.Bin != "":
		if err := copyExecutable(o.Out, o.Bin); err != nil {
			return b, err
		}
		b.From = fmt.Sprintf("%s (binary %s)", Commit(o.Root), filepath.Base(o.Bin))
		Logf("using the prebuilt binary %s", o.Bin)
	case o.Ref != "":
		rev, err := gitOutput(ctx, o.Root, "rev-parse", "--short=12", "--verify", o.Ref+"^{commit}")
		if err != nil {
			return b, fmt.Errorf("unknown git ref %s: %w", o.Ref, err)
		}
		Logf("building from a clean export of %s (%s)", o.Ref, rev)
		if err := os.MkdirAll(o.Scratch, 0o755); err != nil {
			return b, err
		}
		defer os.RemoveAll(o.Scratch)
		if err := exportRef(ctx, o.Root, rev, o.Scratch); err != nil {
			return b, err
		}
		// The export has no .git, but may sit inside another repository.
		if err := goBuild(ctx, o.Scratch, o.Package, o.Out, "-buildvcs=false"); err != nil {
			return b, err
		}
		b.From = rev + " (clean export of " + o.Ref + ")"
	default:
		Logf("building from the working tree")
		if err := goBuild(ctx, o.Root, o.Package, o.Out); err != nil {
			return b, err
		}
		b.From = Commit(o.Root)
	}
	return b, nil
}

// Commit is the working tree's commit, short, with "(dirty)" when tracked
// files have uncommitted changes; "unknown" outside git.
func Commit(root string) string {
	ctx := context.Background()
	rev, err := gitOutput(ctx, root, "rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown"
	}
	if st, err := gitOutput(ctx, root, "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		rev += " (dirty)"
	}
	return rev
}

func gitOutput(ctx context.Context, root string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("%w: %s", err, msg)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func goBuild(ctx context.Context, dir, pkg, out string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// exportRef writes the tree of rev (as git archive produces it) into dir.
func exportRef(ctx context.Context, root, rev, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	xerr := extractTar(pipe, dir)
	if xerr != nil {
		_, _ = io.Copy(io.Discard, pipe)
	}
	werr := cmd.Wait()
	if xerr != nil {
		return fmt.Errorf("extracting git archive %s: %w", rev, xerr)
	}
	if werr != nil {
		return fmt.Errorf("git archive %s: %w: %s", rev, werr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// extractTar writes a tar stream's directories, files and symbolic links
// under dir, refusing names that would leave it.
func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name := filepath.FromSlash(strings.TrimSuffix(h.Name, "/"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe path %q in the archive", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		}
	}
}

func copyExecutable(dst, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable", src)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
