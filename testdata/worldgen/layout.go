package main

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
)

// Layout of the output directory, in the terms of what serves it:
//
//	tals/<ta>.tal                      one TAL per trust anchor
//	rsync/<host>:<rsyncport>/...       the modules of the rsync daemon on <host>:
//	    ta/<ta>.cer                    TA certificates (the TAL's rsync URI)
//	    <repo>/<CA SKI>/               a module per repository, holding the
//	                                   publication point of each of its CAs
//	https/<host>:<httpsport>/...       the document root of the HTTPS server on <host>:
//	    ta/<ta>.cer                    TA certificates (the TAL's https URI)
//	    rrdp/<repo>/notification.xml   RRDP notification of a repository
//	    rrdp/<repo>/<session>/<serial>/snapshot.xml
//	serve/rsyncd-<host>.conf           an rsyncd.conf for that host
//	expected/                          the payloads a validator should output
//	world.json                         parameters and counts
//
// Every repository is a module of its own, as in the real RPKI (where each
// repository server publishes its own module): a validator that syncs a
// module, as rpki-client and tally do, fetches that repository and no
// other.

// host is the i-th loopback address, 127.0.0.<i+1>.
func host(i int) string { return fmt.Sprintf("127.0.0.%d", i+1) }

// repo is a publication repository: an rsync module of one host and,
// unless rsync-only, an RRDP notification on the same host.
type repo struct {
	Name      string `json:"name"`
	Host      string `json:"host"`
	RsyncBase string `json:"rsync"`            // ends in "/"
	Notify    string `json:"notify,omitempty"` // "": rsync only
	Session   string `json:"session_id,omitempty"`
	Serial    int    `json:"serial,omitempty"`
	Snapshot  string `json:"snapshot,omitempty"`
	Hash      string `json:"snapshot_sha256,omitempty"`
	CAs       int    `json:"cas"`
	Files     int64  `json:"files"`
	Bytes     int64  `json:"bytes"`

	rsyncHost, httpsHost string // host:port
}

// newRepo describes repository k of cfg; the first cfg.TAs are those of
// the trust anchors, the last cfg.RsyncOnly have no RRDP.
func newRepo(cfg *Config, k int) repo {
	h := host(k % cfg.Hosts)
	r := repo{
		Name:      fmt.Sprintf("r%02d", k+1),
		Host:      h,
		rsyncHost: fmt.Sprintf("%s:%d", h, cfg.RsyncPort),
		httpsHost: fmt.Sprintf("%s:%d", h, cfg.HTTPSPort),
	}
	r.RsyncBase = "rsync://" + r.rsyncHost + "/" + r.Name + "/"
	if k < cfg.Repos-cfg.RsyncOnly {
		r.Notify = "https://" + r.httpsHost + "/rrdp/" + r.Name + "/notification.xml"
		r.Session = sessionID(cfg.Seed, r.Name)
		r.Serial = 1
		r.Snapshot = fmt.Sprintf("https://%s/rrdp/%s/%s/%d/snapshot.xml", r.httpsHost, r.Name, r.Session, r.Serial)
	}
	return r
}

// sessionID is a version 4 UUID made from the seed and the repository
// name, so that the same world has the same sessions.
func sessionID(seed uint64, name string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "worldgen session %d %s", seed, name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// uriPath maps an rsync or https URI of the world to its file under out.
func uriPath(out, uri string) string {
	for _, s := range []string{"rsync", "https"} {
		if rest, ok := strings.CutPrefix(uri, s+"://"); ok {
			return filepath.Join(out, s, filepath.FromSlash(rest))
		}
	}
	panic("worldgen: not a world URI: " + uri)
}
