package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// world is the description written to world.json: the parameters, the
// counts, the trust anchors, the hosts and the repositories. It holds
// nothing that changes between two runs with the same seed and key cache.
type world struct {
	Params       params    `json:"parameters"`
	Counts       counts    `json:"counts"`
	TAs          []taInfo  `json:"trust_anchors"`
	Hosts        []string  `json:"hosts"`
	Repositories []repo    `json:"repositories"`
	RsyncPort    int       `json:"rsync_port"`
	HTTPSPort    int       `json:"https_port"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`

	objectTime, rrdpTime time.Duration
}

// params are the settings the world was built with.
type params struct {
	Seed       uint64    `json:"seed"`
	Now        time.Time `json:"now"`
	Validity   string    `json:"validity"`
	CAs        int       `json:"cas"`
	ROAs       int       `json:"roas"`
	ASPAs      int       `json:"aspas"`
	Routers    int       `json:"routers"`
	GBRShare   float64   `json:"gbr_share"`
	TAs        int       `json:"tas"`
	Depth      int       `json:"depth"`
	Hosts      int       `json:"hosts"`
	Repos      int       `json:"repos"`
	RsyncOnly  int       `json:"rsync_only"`
	InheritCA  bool      `json:"inherit_ca"`
	DistinctEE bool      `json:"distinct_ee"`
	KeysUsed   int       `json:"keys_used"`
}

// counts are what the world holds.
type counts struct {
	objectCounts
	CAs          int   `json:"cas"` // below the TAs
	CAsPerDepth  []int `json:"cas_per_depth"`
	InheritIP    int   `json:"cas_inheriting_ip"`
	InheritAS    int   `json:"cas_inheriting_as"`
	VRPs         int   `json:"vrps"` // every prefix of every ROA
	UniqueVRPs   int   `json:"unique_vrps"`
	VAPs         int   `json:"vaps"` // unique customers
	RouterKeys   int   `json:"router_keys"`
	RRDPRepos    int   `json:"rrdp_repositories"`
	RsyncRepos   int   `json:"rsync_only_repositories"`
	SnapshotSize int64 `json:"snapshot_bytes"`
}

// taInfo names a trust anchor's files.
type taInfo struct {
	Name  string   `json:"name"`
	TAL   string   `json:"tal"` // relative to the output directory
	URIs  []string `json:"uris"`
	Bytes int      `json:"cert_bytes"`
}

func newWorld(cfg *Config, p *plan) *world {
	w := &world{
		Params: params{
			Seed: cfg.Seed, Now: cfg.Now, Validity: cfg.Validity.String(),
			CAs: cfg.CAs, ROAs: cfg.ROAs, ASPAs: cfg.ASPAs, Routers: cfg.Routers, GBRShare: cfg.GBRShare,
			TAs: cfg.TAs, Depth: cfg.Depth, Hosts: cfg.Hosts, Repos: cfg.Repos, RsyncOnly: cfg.RsyncOnly,
			InheritCA: cfg.InheritCA, DistinctEE: cfg.DistinctEE, KeysUsed: p.keysNeeded(),
		},
		RsyncPort: cfg.RsyncPort, HTTPSPort: cfg.HTTPSPort,
		NotBefore: cfg.Now.Add(-24 * time.Hour), NotAfter: cfg.Now.Add(cfg.Validity),
	}
	for h := range cfg.Hosts {
		w.Hosts = append(w.Hosts, host(h))
	}
	for _, c := range p.cas[cfg.TAs:] {
		for len(w.Counts.CAsPerDepth) <= c.depth {
			w.Counts.CAsPerDepth = append(w.Counts.CAsPerDepth, 0)
		}
		w.Counts.CAsPerDepth[c.depth]++
		w.Counts.CAs++
		if c.inheritIP {
			w.Counts.InheritIP++
		}
		if c.inheritAS {
			w.Counts.InheritAS++
		}
	}
	return w
}

// add counts the files one CA wrote into repository k.
func (w *world) add(k int, n objectCounts) {
	w.Counts.add(n)
	w.repoCounts(k).Files += n.Files
	w.repoCounts(k).Bytes += n.Bytes
}

// repoCounts are the counters of repository k, kept until finish copies
// the repositories.
func (w *world) repoCounts(k int) *repo {
	for len(w.Repositories) <= k {
		w.Repositories = append(w.Repositories, repo{})
	}
	return &w.Repositories[k]
}

// addTA records a trust anchor; its certificate is counted as two files,
// one per server.
func (w *world) addTA(name, talPath, httpsURI, rsyncURI string, size int) {
	w.TAs = append(w.TAs, taInfo{Name: name, TAL: filepath.Join("tals", name+".tal"), URIs: []string{httpsURI, rsyncURI}, Bytes: size})
	w.Counts.Files += 2
	w.Counts.Bytes += 2 * int64(size)
}

// finish copies the repositories with their counters and writes the
// expected payloads, the rsyncd configurations and world.json.
func (w *world) finish(cfg *Config, p *plan, out *collected) error {
	repos := make([]repo, len(p.repos))
	for k, r := range p.repos {
		c := w.repoCounts(k)
		r.Files, r.Bytes = c.Files, c.Bytes
		repos[k] = r
		if r.Notify != "" {
			w.Counts.RRDPRepos++
			if fi, err := os.Stat(uriPath(cfg.Out, r.Snapshot)); err == nil {
				w.Counts.SnapshotSize += fi.Size()
			}
		} else {
			w.Counts.RsyncRepos++
		}
	}
	w.Repositories = repos
	if err := writeExpected(cfg, p, out, w); err != nil {
		return err
	}
	if err := writeRsyncdConfs(cfg, p); err != nil {
		return err
	}
	js, err := json.MarshalIndent(w, "", "\t")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(cfg.Out, "world.json"), append(js, '\n'))
}

// writeRsyncdConfs writes serve/rsyncd-<host>.conf: the modules of one
// host ("ta" and one per repository), for rsync --daemon --no-detach
// --config=FILE --address=HOST --port=PORT.
func writeRsyncdConfs(cfg *Config, p *plan) error {
	abs, err := filepath.Abs(cfg.Out)
	if err != nil {
		return err
	}
	for h := range cfg.Hosts {
		hostDir := filepath.Join(abs, "rsync", fmt.Sprintf("%s:%d", host(h), cfg.RsyncPort))
		modules := []string{"ta"}
		for _, r := range p.repos {
			if r.Host == host(h) {
				modules = append(modules, r.Name)
			}
		}
		conf := fmt.Sprintf("# rsync --daemon --no-detach --config=THIS --address=%s --port=%d\n"+
			"use chroot = no\nuid = %d\ngid = %d\nnumeric ids = yes\n",
			host(h), cfg.RsyncPort, os.Getuid(), os.Getgid())
		for _, m := range modules {
			dir := filepath.Join(hostDir, m)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			conf += fmt.Sprintf("\n[%s]\n\tpath = %s\n\tread only = yes\n", m, dir)
		}
		if err := writeFile(filepath.Join(cfg.Out, "serve", "rsyncd-"+host(h)+".conf"), []byte(conf)); err != nil {
			return err
		}
	}
	return nil
}
