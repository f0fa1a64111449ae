package fetch

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/validate"
)

// locate returns where the latest download of uri lies: the area and
// path written by the last successful sync of the repository whose
// caRepository (or TA URI) is the longest one covering uri. Without one,
// the error matches fs.ErrNotExist.
func (c *Client) locate(uri string) (cache.URI, cache.Area, string, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return cache.URI{}, "", "", err
	}
	s := u.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if src, ok := c.sources[s]; ok {
		return u, src.area, src.prefix + u.Path(), nil
	}
	for i := len(s) - 2; i > 0; i-- {
		if s[i] != '/' {
			continue
		}
		if src, ok := c.sources[s[:i+1]]; ok {
			return u, src.area, src.prefix + u.Path(), nil
		}
	}
	return u, "", "", fmt.Errorf("%s: no fresh download in this run: %w", uri, fs.ErrNotExist)
}

// Fresh reads uri from the latest download of its repository.
func (c *Client) Fresh(uri string) ([]byte, error) {
	_, area, rel, err := c.locate(uri)
	if err != nil {
		return nil, err
	}
	return c.cache.ReadFile(area, rel)
}

// OpenFreshDir opens the publication point dirURI of the latest download,
// for reading its files by name (validate.DirReader).
func (c *Client) OpenFreshDir(dirURI string) (validate.DirReader, error) {
	_, area, rel, err := c.locate(dirURI)
	if err != nil {
		return nil, err
	}
	d, err := c.cache.OpenDir(area, rel)
	if err != nil {
		return nil, err
	}
	return freshDir{d}, nil
}

// freshDir is the validate.DirReader and validate.Prefetcher of a
// publication point directory of the latest download.
type freshDir struct{ *cache.Dir }

// Prefetch reads the files names of the directory and the files validURIs
// of the validated store ahead.
func (d freshDir) Prefetch(names, validURIs []string) {
	var others []cache.Path
	for _, uri := range validURIs {
		if u, err := cache.ParseURI(uri); err == nil {
			others = append(others, cache.Path{Area: cache.AreaValid, Rel: u.Path()})
		}
	}
	d.Dir.Prefetch(names, others...)
}

// ReadValid reads uri from the validated store, as Client.Valid does.
func (d freshDir) ReadValid(uri string) ([]byte, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return d.ReadOther(cache.AreaValid, u.Path())
}

// Valid reads uri from the validated store.
func (c *Client) Valid(uri string) ([]byte, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return c.cache.ReadFile(cache.AreaValid, u.Path())
}

// List names the regular files directly in the publication point dirURI
// of the latest download, sorted; a missing directory has none.
func (c *Client) List(dirURI string) ([]string, error) {
	_, area, rel, err := c.locate(dirURI)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names, err := c.cache.ListFiles(area, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return names, err
}

// Promote makes the validated store hold exactly files for the
// publication point dirURI, copied from its latest download.
func (c *Client) Promote(dirURI string, files map[string][sha256.Size]byte) error {
	u, area, rel, err := c.locate(dirURI)
	if err != nil {
		return err
	}
	list := make([]cache.File, 0, len(files))
	for name, h := range files {
		list = append(list, cache.File{Name: name, Hash: h})
	}
	slices.SortFunc(list, func(a, b cache.File) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return c.cache.Promote(area, rel, u.Path(), list)
}

// The ta area holds, per trust anchor URI, the certificate as last
// downloaded (ta/<scheme>/<URI path>) and the last one that validated
// (ta/valid/<scheme>/<URI path>).
const taValidPrefix = "valid/"

// taDownloadPrefix is the prefix of u's download in the ta area.
func taDownloadPrefix(u cache.URI) string { return u.Scheme() + "/" }

// taValidPath is where u's last good certificate lies in the ta area.
func taValidPath(u cache.URI) string { return taValidPrefix + taDownloadPrefix(u) + u.Path() }

// TAPaths names the files, relative to the ta area, that the trust anchor
// URI uri may have in the cache: its download and its last good copy.
// Cache housekeeping keeps these for the TALs in use.
func TAPaths(uri string) []string {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return nil
	}
	return []string{taDownloadPrefix(u) + u.Path(), taValidPath(u)}
}

// KeepTA stores data as the last good certificate of the TA URI uri.
func (c *Client) KeepTA(uri string, data []byte) error {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return err
	}
	return c.writeTA(taValidPath(u), data)
}

// writeTA stores data as the TA area's file rel, unless the file already
// holds exactly that (the usual case, every run): no write, no fsync.
func (c *Client) writeTA(rel string, data []byte) error {
	if old, err := c.cache.ReadFile(cache.AreaTA, rel); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return c.cache.WriteFile(cache.AreaTA, rel, data)
}

// ValidTA reads the last good certificate of the TA URI uri.
func (c *Client) ValidTA(uri string) ([]byte, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return c.cache.ReadFile(cache.AreaTA, taValidPath(u))
}
