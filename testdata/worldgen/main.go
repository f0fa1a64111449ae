// Command worldgen writes a synthetic RPKI for tests and comparisons: trust
// anchors with their TALs, CA trees with real signed objects, spread over
// repositories on loopback hosts, laid out so that one rsync daemon per host
// and a plain HTTPS file server can serve it as it is, together with the
// payloads a validator should find (expected/).
//
//	go run ./testdata/worldgen -cas 2000 -roas 10000 -out /tmp/world
//
// It is a test program: keys come from a cache file that it fills with
// fresh RSA keys (see keycache.go), everything else follows from -seed.
// The layout is described in layout.go. To serve a world, start per host
// address 127.0.0.N one rsync daemon with serve/rsyncd-127.0.0.N.conf
// (module M = rsync/127.0.0.N:PORT/M: "ta" and one per repository) and one
// HTTPS server whose document root is https/127.0.0.N:PORT/ (TA
// certificates under /ta/, RRDP under /rrdp/). Every file is valid from -now minus a day to -now plus
// -validity; use -now now for peers that read the real clock.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

func main() {
	err := run(os.Args[1:], os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "worldgen:", err)
		os.Exit(1)
	}
}

// run parses the flags, fills the key cache and builds the world.
func run(args []string, logw io.Writer) error {
	cfg, keysPath, force, err := parseFlags(args, logw)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := prepareOut(cfg.Out, force); err != nil {
		return err
	}
	p := newPlan(cfg)
	need := p.keysNeeded()
	kc, generated, err := openKeyCache(keysPath, need, cfg.Workers)
	if err != nil {
		return err
	}
	keyTime := time.Since(start)
	if generated > 0 {
		fmt.Fprintf(logw, "worldgen: generated %d RSA keys in %v (%.1f keys/s on %d workers), cache %s\n",
			generated, keyTime.Round(time.Millisecond), float64(generated)/keyTime.Seconds(), cfg.Workers, keysPath)
	}
	cfg.Keys = kc
	w, err := buildLog(cfg, p, logw)
	if err != nil {
		return err
	}
	total := time.Since(start)
	fmt.Fprintf(logw, "worldgen: %d CAs, %d ROAs, %d VRPs (%d unique), %d files, %d bytes, %d repositories in %v (keys %v, objects %v, rrdp %v)\n",
		w.Counts.CAs, w.Counts.ROAs, w.Counts.VRPs, w.Counts.UniqueVRPs, w.Counts.Files, w.Counts.Bytes,
		len(w.Repositories), total.Round(time.Millisecond), keyTime.Round(time.Millisecond),
		w.objectTime.Round(time.Millisecond), w.rrdpTime.Round(time.Millisecond))
	return nil
}

// parseFlags turns the command line into a Config, the key cache path and
// whether an existing world may be replaced.
func parseFlags(args []string, logw io.Writer) (*Config, string, bool, error) {
	fs := flag.NewFlagSet("worldgen", flag.ContinueOnError)
	fs.SetOutput(logw)
	cfg := DefaultConfig()
	fs.IntVar(&cfg.CAs, "cas", cfg.CAs, "number of CAs below the trust anchors")
	fs.IntVar(&cfg.ROAs, "roas", cfg.ROAs, "number of ROAs")
	fs.IntVar(&cfg.ASPAs, "aspas", -1, "number of ASPAs (-1: roas/40)")
	fs.IntVar(&cfg.Routers, "routers", -1, "number of BGPsec router certificates (-1: cas/200 + 1)")
	fs.Float64Var(&cfg.GBRShare, "gbr", cfg.GBRShare, "share of CAs publishing a Ghostbusters record")
	fs.IntVar(&cfg.TAs, "tas", cfg.TAs, "number of trust anchors (TALs)")
	fs.IntVar(&cfg.Depth, "depth", cfg.Depth, "deepest CA level below a trust anchor")
	fs.IntVar(&cfg.Hosts, "hosts", cfg.Hosts, "loopback hosts 127.0.0.1 ... 127.0.0.N")
	fs.IntVar(&cfg.Repos, "repos", 0, "publication repositories (0: tas + 2*hosts)")
	fs.IntVar(&cfg.RsyncOnly, "rsync-only", -1, "repositories without RRDP (-1: a quarter of the delegated ones)")
	fs.IntVar(&cfg.RsyncPort, "rsync-port", cfg.RsyncPort, "rsync daemon port in every URI")
	fs.IntVar(&cfg.HTTPSPort, "https-port", cfg.HTTPSPort, "HTTPS port in every RRDP and TA URI")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of everything but the keys")
	now := fs.String("now", cfg.Now.Format(time.RFC3339), `validation time, RFC 3339 or "now"`)
	fs.DurationVar(&cfg.Validity, "validity", cfg.Validity, "time from -now to every notAfter and nextUpdate")
	fs.BoolVar(&cfg.InheritCA, "inherit-ca", false, "let some CA certificates inherit IP or AS resources (rpki-client 8.2 rejects IP inherit)")
	fs.BoolVar(&cfg.DistinctEE, "distinct-ee", false, "a cached key per EE certificate (for OctoRPKI) instead of a small shared set")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "parallel key generation and signing")
	fs.StringVar(&cfg.Out, "out", "", "output directory (required; must be empty or absent)")
	force := fs.Bool("force", false, "replace a world already in -out")
	keys := fs.String("keys", defaultKeyCache(), "RSA key cache file")
	if err := fs.Parse(args); err != nil {
		return nil, "", false, err
	}
	if fs.NArg() > 0 {
		return nil, "", false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *now == "now" {
		cfg.Now = time.Now()
	} else {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return nil, "", false, fmt.Errorf("-now: %w", err)
		}
		cfg.Now = t
	}
	if cfg.Out == "" {
		return nil, "", false, fmt.Errorf("-out is required")
	}
	if err := cfg.finish(); err != nil {
		return nil, "", false, err
	}
	return cfg, *keys, *force, nil
}

// defaultKeyCache is $XDG_CACHE_HOME (or ~/.cache)/tally-worldgen/keys.der.
func defaultKeyCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "tally-worldgen", "keys.der")
}
