package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// runStateName is the file, at the top of the cache, that remembers the
// last successful run. Sweep visits only the areas, so it never removes it.
const runStateName = "last-run.json"

// RunState is what a run needs from the last one that succeeded: when it
// ended (for the metrics' last-success time) and each trust anchor's VRP
// count (for the drop guard).
type RunState struct {
	Time time.Time      `json:"time"`
	VRPs map[string]int `json:"vrps"` // by TA name
}

// LoadRunState returns the state of the last successful run, or nil and no
// error when no run has succeeded on this cache yet. A file that does not
// parse gives an error wrapping ErrCorrupt.
func (c *Cache) LoadRunState() (*RunState, error) {
	data, err := c.root.ReadFile(runStateName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %s: %w", runStateName, err)
	}
	var st RunState
	if err := json.Unmarshal(data, &st); err != nil || st.VRPs == nil {
		return nil, fmt.Errorf("cache: %s: %w: %v", runStateName, ErrCorrupt, err)
	}
	return &st, nil
}

// SaveRunState records st crash-safely, replacing the previous state. Call
// it only once the run's outputs are in place.
func (c *Cache) SaveRunState(st *RunState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("cache: %s: %w", runStateName, err)
	}
	return c.writeTop(runStateName, data)
}

// writeTop replaces the file name at the top of the cache with data,
// crash-safely (temporary file, fsync, rename, fsync of the directory).
func (c *Cache) writeTop(name string, data []byte) error {
	f, tmp, err := c.createTemp()
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close(), c.root.Remove(tmp))
	}
	if err := c.commitTemp(f, tmp, name); err != nil {
		return fmt.Errorf("cache: %s: %w", name, err)
	}
	return nil
}

// memoName is the file, at the top of the cache, holding the signature
// memo (validate.Memo): opaque bytes here.
const memoName = "signatures.memo"

// LoadMemo returns the saved signature memo; none gives nil and no error.
func (c *Cache) LoadMemo() ([]byte, error) {
	data, err := c.root.ReadFile(memoName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %s: %w", memoName, err)
	}
	return data, nil
}

// SaveMemo replaces the signature memo crash-safely.
func (c *Cache) SaveMemo(data []byte) error { return c.writeTop(memoName, data) }
