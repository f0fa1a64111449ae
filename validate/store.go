package validate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tally-rpki/tally/cache"
)

// Syncer brings one repository up to date. notifyURI is the CA's RRDP
// notification URI ("" without one), rsyncURI its caRepository; for a TA
// certificate notifyURI is "" and rsyncURI the certificate's URI from the
// TAL (rsync:// or https://). A false fresh means the download failed and
// the validated copy must be used; a non-nil err stops the run. Run calls
// Sync at most once per (notifyURI, rsyncURI) pair and from several
// goroutines at once.
type Syncer interface {
	Sync(ctx context.Context, notifyURI, rsyncURI string) (fresh bool, err error)
}

// Store gives validation the files of the cache by URI. Fresh reads the
// latest download, Valid the validated store; both return an error matching
// fs.ErrNotExist for a missing file. List names the files (not
// directories) directly in a publication point of the latest download,
// sorted. Promote makes the validated store hold exactly files (name to
// SHA-256) for the publication point dirURI, taken from the latest
// download. KeepTA records data as the last good certificate of the trust
// anchor URI uri (from a TAL), and ValidTA returns it, so a TA whose URIs
// all fail keeps working while its certificate is valid (RFC 8630 §2).
// Methods are called from several goroutines at once.
type Store interface {
	Fresh(uri string) ([]byte, error)
	Valid(uri string) ([]byte, error)
	List(dirURI string) ([]string, error)
	Promote(dirURI string, files map[string][sha256.Size]byte) error
	KeepTA(uri string, data []byte) error
	ValidTA(uri string) ([]byte, error)
}

// DirReader reads the files of one publication point directory by name:
// ReadFile a file directly in it (fs.ErrNotExist when missing), List its
// regular files, sorted. A Store that can open one (a DirOpener) saves
// resolving the directory again for each of its files.
type DirReader interface {
	ReadFile(name string) ([]byte, error)
	List() ([]string, error)
	Close() error
}

// Prefetcher is implemented by a DirReader that reads many files at
// once faster than one by one: Prefetch reads the files names of its
// directory ahead for ReadFile, and the files validURIs of the validated
// store for ReadValid (which reads what Store.Valid would); each is
// returned once. The bytes ReadFile and ReadValid return are valid only
// until Close, which may hand their memory to other directories: a point
// job copies what outlives it (the certificates it keeps).
type Prefetcher interface {
	Prefetch(names, validURIs []string)
	ReadValid(uri string) ([]byte, error)
}

// DirOpener is implemented by a Store that opens publication point
// directories of the latest download: OpenFreshDir(dirURI) reads what Fresh
// and List would.
type DirOpener interface {
	OpenFreshDir(dirURI string) (DirReader, error)
}

// DirStore is a Store over plain directories, for tests and benchmarks
// (tally itself uses fetch.Client): rsync://host/path is
// FreshDir/host/path, and ValidDir/host/path in the validated store. With
// ValidDir empty there is no validated store, and Promote does nothing.
type DirStore struct {
	FreshDir string
	ValidDir string
}

// path maps uri below dir after cache.ParseURI has refused anything that
// could escape it (empty, "." or ".." segments, escapes, odd characters).
func (d *DirStore) path(dir, uri string) (string, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(u.Path())), nil
}

// Fresh reads uri from FreshDir.
func (d *DirStore) Fresh(uri string) ([]byte, error) {
	p, err := d.path(d.FreshDir, uri)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// Valid reads uri from ValidDir.
func (d *DirStore) Valid(uri string) ([]byte, error) {
	if d.ValidDir == "" {
		return nil, fmt.Errorf("%s: no validated store: %w", uri, fs.ErrNotExist)
	}
	p, err := d.path(d.ValidDir, uri)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// taPath is where the last good TA certificate of uri lies: below
// ValidDir/.ta/<scheme>/, apart from the publication points.
func (d *DirStore) taPath(uri string) (string, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.ValidDir, ".ta", u.Scheme(), filepath.FromSlash(u.Path())), nil
}

// KeepTA writes data as the last good certificate of uri.
func (d *DirStore) KeepTA(uri string, data []byte) error {
	if d.ValidDir == "" {
		return nil
	}
	p, err := d.taPath(uri)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// ValidTA reads the last good certificate of uri.
func (d *DirStore) ValidTA(uri string) ([]byte, error) {
	if d.ValidDir == "" {
		return nil, fmt.Errorf("%s: no validated store: %w", uri, fs.ErrNotExist)
	}
	p, err := d.taPath(uri)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// List names the regular files in dirURI under FreshDir; a missing
// directory has none.
func (d *DirStore) List(dirURI string) ([]string, error) {
	p, err := d.path(d.FreshDir, dirURI)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return regularNames(entries), nil
}

// regularNames returns the names of the regular files among entries, in
// their order (os.ReadDir and fs.ReadDir sort by name).
func regularNames(entries []fs.DirEntry) []string {
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names
}

// OpenFreshDir opens the publication point dirURI under FreshDir, whose files
// are then read by name through an os.Root (one path component each).
func (d *DirStore) OpenFreshDir(dirURI string) (DirReader, error) {
	p, err := d.path(d.FreshDir, dirURI)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	return rootDir{r}, nil
}

// rootDir is DirStore's DirReader.
type rootDir struct{ *os.Root }

func (r rootDir) ReadFile(name string) ([]byte, error) {
	if strings.Contains(name, "/") {
		return nil, fmt.Errorf("%s: not a file name", name)
	}
	return r.Root.ReadFile(name)
}

func (r rootDir) List() ([]string, error) {
	entries, err := fs.ReadDir(r.FS(), ".")
	if err != nil {
		return nil, err
	}
	return regularNames(entries), nil
}

// Promote copies files from FreshDir to ValidDir and removes the other
// files of the publication point there. It is not crash-safe; the real
// cache's is.
func (d *DirStore) Promote(dirURI string, files map[string][sha256.Size]byte) error {
	if d.ValidDir == "" {
		return nil
	}
	src, err := d.path(d.FreshDir, dirURI)
	if err != nil {
		return err
	}
	dst, err := d.path(d.ValidDir, dirURI)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for name, hash := range files {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if sha256.Sum256(data) != hash {
			return fmt.Errorf("%s%s: changed since validation", dirURI, name)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
