package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// ErrCorrupt is wrapped by errors about cache files that exist but do not
// hold what tally writes there.
var ErrCorrupt = errors.New("corrupt cache file")

// stateName is the RRDP state file in a repository's directory. Its dot
// keeps it apart from the host directories beside it.
const stateName = ".state.json"

// RRDPState is what the fetcher remembers of one RRDP repository between
// runs (RFC 8182 §3.4.1): the session and serial the files in the
// repository's directory correspond to, and the hashes of the deltas it
// has seen, so a delta that changed later can be noticed.
type RRDPState struct {
	NotifyURI string      `json:"notify_uri"` // set by SaveRRDPState
	SessionID string      `json:"session_id"`
	Serial    uint64      `json:"serial"`
	Deltas    []RRDPDelta `json:"deltas,omitempty"`
}

// RRDPDelta is one delta of a notification file.
type RRDPDelta struct {
	Serial uint64 `json:"serial"`
	Hash   string `json:"hash"` // hex SHA-256 as the notification gives it
}

// RRDPDir returns the directory, relative to the rrdp area, that holds
// the repository of notifyURI: the hex SHA-256 of the URI string. The
// URI should be canonical (URI.String) so one repository has one directory.
func RRDPDir(notifyURI string) string {
	sum := sha256.Sum256([]byte(notifyURI))
	return hex.EncodeToString(sum[:])
}

// LoadRRDPState returns the saved state of the repository of notifyURI,
// or nil and no error when there is none. A state file that does not
// parse, or belongs to another URI, gives an error wrapping ErrCorrupt;
// the caller should then remove the repository (RemoveRRDP) and load a
// snapshot.
func (c *Cache) LoadRRDPState(notifyURI string) (*RRDPState, error) {
	n := string(AreaRRDP) + "/" + RRDPDir(notifyURI) + "/" + stateName
	data, err := c.root.ReadFile(n)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: rrdp state of %s: %w", notifyURI, err)
	}
	var st RRDPState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("cache: rrdp state of %s: %w: %v", notifyURI, ErrCorrupt, err)
	}
	if st.NotifyURI != notifyURI {
		return nil, fmt.Errorf("cache: rrdp state of %s: %w: written for %q",
			notifyURI, ErrCorrupt, st.NotifyURI)
	}
	return &st, nil
}

// SaveRRDPState stores st as the state of the repository of notifyURI,
// crash-safely. Call it only after the files it describes are written.
func (c *Cache) SaveRRDPState(notifyURI string, st *RRDPState) error {
	return c.saveState(string(AreaRRDP)+"/"+RRDPDir(notifyURI), notifyURI, st)
}

// saveState writes st as the state file of the repository directory dir
// (below the root), crash-safely.
func (c *Cache) saveState(dir, notifyURI string, st *RRDPState) error {
	s := *st
	s.NotifyURI = notifyURI
	data, err := json.Marshal(&s)
	if err != nil {
		return fmt.Errorf("cache: rrdp state of %s: %w", notifyURI, err)
	}
	f, tmp, err := c.createTemp()
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close(), c.root.Remove(tmp))
	}
	if err := c.commitTemp(f, tmp, dir+"/"+stateName); err != nil {
		return fmt.Errorf("cache: rrdp state of %s: %w", notifyURI, err)
	}
	return nil
}

// RemoveRRDP removes the repository of notifyURI: first its state (so a
// crash cannot leave a state describing files that are gone), then its
// files.
func (c *Cache) RemoveRRDP(notifyURI string) error {
	dir := string(AreaRRDP) + "/" + RRDPDir(notifyURI)
	if err := c.dropState(dir); err != nil {
		return fmt.Errorf("cache: remove rrdp %s: %w", notifyURI, err)
	}
	if err := c.root.RemoveAll(dir); err != nil {
		return fmt.Errorf("cache: remove rrdp %s: %w", notifyURI, err)
	}
	return nil
}

// dropState removes the state file of the repository directory dir (a
// name below the root) durably.
func (c *Cache) dropState(dir string) error {
	err := c.root.Remove(dir + "/" + stateName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.syncDir(dir)
}
