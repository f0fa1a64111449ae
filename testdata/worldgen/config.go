package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// Config describes one world. DefaultConfig gives the defaults of the
// command line; finish fills in the derived values and checks the rest.
type Config struct {
	CAs, ROAs  int     // CAs below the TAs, ROAs in all
	ASPAs      int     // -1: ROAs/40
	Routers    int     // BGPsec router certificates; -1: CAs/200 + 1
	GBRShare   float64 // share of CAs with a Ghostbusters record
	TAs        int
	Depth      int // deepest CA level; a TA's children are level 1
	Hosts      int // loopback addresses 127.0.0.1 ... 127.0.0.<Hosts>
	Repos      int // publication repositories; 0: TAs + 2*Hosts
	RsyncOnly  int // repositories without RRDP; -1: a quarter of the delegated ones
	RsyncPort  int
	HTTPSPort  int
	Seed       uint64
	Now        time.Time     // every object is valid from Now-24h to Now+Validity
	Validity   time.Duration // notAfter and nextUpdate of everything
	InheritCA  bool          // some CA certificates inherit IP or AS resources
	DistinctEE bool          // every EE certificate has its own key from Keys
	Workers    int
	Out        string

	// Keys gives the key of the i-th CA: TAs first, then CAs in plan
	// order, then with DistinctEE the EE certificates.
	Keys KeySource
	// EEKey gives the j-th shared EE key when DistinctEE is off; nil means
	// objecttest's constant test keys.
	EEKey func(j int) *rsa.PrivateKey
}

// KeySource hands out RSA keys by index; the same index always gives the
// same key. It must be safe for concurrent use.
type KeySource interface {
	Key(i int) (*rsa.PrivateKey, error)
}

// eeKeyPool is how many of objecttest's constant keys the shared EE keys
// cycle through: the last ones, so that tests can give CAs the first ones.
const eeKeyPool = 8

// DefaultConfig is the configuration of a command line without flags.
func DefaultConfig() *Config {
	return &Config{
		CAs: 100, ROAs: 500, ASPAs: -1, Routers: -1, GBRShare: 0.05,
		TAs: 3, Depth: 6, Hosts: 4, RsyncOnly: -1,
		RsyncPort: 8873, HTTPSPort: 8443,
		Seed:     1,
		Now:      objecttest.Now(),
		Validity: 365 * 24 * time.Hour,
		Workers:  1,
	}
}

// finish fills in the derived defaults and rejects impossible settings.
func (c *Config) finish() error {
	c.Now = c.Now.UTC().Truncate(time.Second) // certificates hold whole seconds
	if c.ASPAs < 0 {
		c.ASPAs = c.ROAs / 40
	}
	if c.Routers < 0 {
		c.Routers = c.CAs/200 + 1
	}
	if c.Repos == 0 {
		c.Repos = c.TAs + 2*c.Hosts
	}
	if c.RsyncOnly < 0 {
		c.RsyncOnly = (c.Repos - c.TAs) / 4
	}
	if c.Workers < 1 {
		c.Workers = 1
	}
	if c.EEKey == nil {
		c.EEKey = func(j int) *rsa.PrivateKey { return objecttest.Key(objecttest.NumKeys - 1 - j%eeKeyPool) }
	}
	switch {
	case c.TAs < 1 || c.TAs > 64:
		return errors.New("-tas must be 1 to 64")
	case c.CAs < c.TAs:
		return fmt.Errorf("-cas must be at least -tas (%d)", c.TAs)
	case c.ROAs < 0 || c.ASPAs < 0 || c.Routers < 0:
		return errors.New("object counts must not be negative")
	case c.Depth < 1:
		return errors.New("-depth must be at least 1")
	case c.Hosts < 1 || c.Hosts > 254:
		return errors.New("-hosts must be 1 to 254")
	case c.Repos < c.TAs:
		return fmt.Errorf("-repos must be at least -tas (%d)", c.TAs)
	case c.RsyncOnly > c.Repos-c.TAs:
		return errors.New("-rsync-only counts delegated repositories only: at most repos - tas")
	case c.Validity < time.Hour:
		return errors.New("-validity must be at least an hour")
	}
	return nil
}

// The top-level entries worldgen writes in its output directory.
var outEntries = []string{"tals", "rsync", "https", "expected", "serve", "world.json"}

// prepareOut makes sure dir can take a new world: it must be absent or
// empty, or with force hold only what worldgen writes, which is removed.
func prepareOut(dir string, force bool) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%s is not empty (use -force to replace a world)", dir)
	}
	known := map[string]bool{}
	for _, e := range outEntries {
		known[e] = true
	}
	for _, e := range ents {
		if !known[e.Name()] {
			return fmt.Errorf("%s holds %s, which worldgen did not write; not removing anything", dir, e.Name())
		}
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
