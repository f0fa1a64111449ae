package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/tally-rpki/tally/validate"
)

// fileMode is the mode of every output file, whatever the umask.
const fileMode = 0o644

// Write writes every format to its file in dir, all or nothing as far as
// the file system allows. Each file is first written to a temporary file in
// dir, synced, given mode 0644 and r.Metadata.BuildTime as its access and
// modification time (unless BuildTime is zero); only when all of them are
// written are they renamed over the old files, and dir is synced. On an
// error or a cancelled ctx before that point every temporary file is
// removed and the old files are untouched. A rename can still fail after
// others succeeded (a rename within one directory fails only on a broken
// file system); the error says which file.
//
// Write does not handle "-" (standard output): a caller that wants a format
// on a stream calls its Write function, which buffers and flushes itself.
func Write(ctx context.Context, dir string, formats []Format, r *validate.Result) (err error) {
	if err := checkFiles(formats); err != nil {
		return err
	}
	temps := make([]string, len(formats))
	defer func() {
		if err != nil {
			for _, t := range temps {
				if t != "" {
					os.Remove(t) // already renamed ones are gone; nothing to report
				}
			}
		}
	}()
	// The files are written side by side: each is formatted and synced
	// on its own, and a run waits for the slowest rather than the sum.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range formats {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
			tmp, err := writeTemp(dir, f, r)
			temps[i] = tmp
			if err != nil {
				return fmt.Errorf("write %s: %w", filepath.Join(dir, f.File), err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	for i, f := range formats {
		if err := os.Rename(temps[i], filepath.Join(dir, f.File)); err != nil {
			return fmt.Errorf("replace output file: %w", err)
		}
	}
	removeStaleTemps(dir, formats)
	return syncDir(dir)
}

// tempPattern names the temporary file of an output file (os.CreateTemp
// puts digits where the star is).
func tempPattern(file string) string { return "." + file + ".tmp*" }

// removeStaleTemps removes the temporary files a killed run left for
// these formats in dir. Failing to is not an error: they are only litter.
func removeStaleTemps(dir string, formats []Format) {
	for _, f := range formats {
		matches, _ := filepath.Glob(filepath.Join(dir, tempPattern(f.File)))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// checkFiles rejects formats that would write outside dir or twice to the
// same file.
func checkFiles(formats []Format) error {
	seen := make(map[string]bool, len(formats))
	for _, f := range formats {
		if f.File == "" || f.File == "." || f.File == ".." || strings.ContainsRune(f.File, '/') {
			return fmt.Errorf("output format %q: bad file name %q", f.Name, f.File)
		}
		if seen[f.File] {
			return fmt.Errorf("output file %q named by two formats", f.File)
		}
		seen[f.File] = true
	}
	return nil
}

// writeTemp writes f to a new temporary file beside its target and returns
// the temporary file's name, also on an error once the file exists.
func writeTemp(dir string, f Format, r *validate.Result) (name string, err error) {
	file, err := os.CreateTemp(dir, tempPattern(f.File))
	if err != nil {
		return "", err
	}
	name = file.Name()
	err = f.Write(file, r)
	if err == nil {
		err = file.Chmod(fileMode)
	}
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if t := r.Metadata.BuildTime; err == nil && !t.IsZero() {
		err = os.Chtimes(name, t, t)
	}
	return name, err
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	// Some file systems cannot sync a directory; the renames are done.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync output directory: %w", err)
	}
	return nil
}
