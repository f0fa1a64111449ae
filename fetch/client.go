// Package fetch brings RPKI repositories into the cache: RRDP (RFC 8182)
// first when a CA names a notification URI, the system rsync as the
// fallback and for CAs without one, and https or rsync for trust anchor
// certificates. A Client syncs each repository at most once per run,
// however many CAs share it, within its own deadline, and then serves
// validation the files of the latest download and of the validated store.
//
// It satisfies validate.Syncer and validate.Store structurally; it does
// not import validate.
package fetch

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/rrdp"
	"github.com/tally-rpki/tally/fetch/rsync"
)

// Network limits (DESIGN.md §2–4).
const (
	// ConnectTimeout bounds a TCP connect and TLS handshake: a host that
	// does not answer is given up quickly (rsync uses the same value).
	ConnectTimeout = rsync.ConnectTimeout
	// IdleTimeout is how long an HTTPS peer may send nothing, waiting
	// for the response headers or in the middle of a body, before the
	// request is aborted: a stalled peer cannot hold a slot for long.
	IdleTimeout = rsync.IOTimeout
	// MaxObjectSize caps a trust anchor certificate fetched over https,
	// like every object in RRDP and rsync: real RPKI objects are at most
	// a few hundred kilobytes, so more is an attack.
	MaxObjectSize = rrdp.MaxObjectSize
	// MaxNotificationSize caps a notification file. Large repositories
	// list a few hundred deltas in well under 1 MiB; the cap leaves room
	// and keeps an endless notification from exhausting memory.
	MaxNotificationSize = 16 << 20
	// MaxRRDPBytes caps the bytes one repository's snapshot and deltas
	// may bring in one run. The largest snapshots today are a few hundred
	// megabytes; the cap stops a hostile repository filling the disk.
	MaxRRDPBytes = 4 << 30
	// MaxRsync is how many rsync processes run at once (DESIGN.md §2):
	// each is a process and a connection, and repository servers ask
	// relying parties to keep their parallelism modest.
	MaxRsync = 16
	// MaxHTTPS is how many HTTPS transfers run at once (DESIGN.md §2):
	// enough to hide latency across many repositories, few enough to
	// bound sockets, buffers and memory.
	MaxHTTPS = 64
	// maxRedirects bounds the redirects followed for one request.
	maxRedirects = 5
	// userAgent names the program to repository operators.
	userAgent = "tally"
)

// Config holds the fetcher's settings. The zero Config is usable: system
// TLS roots, rsync from PATH, no deadlines, RRDP on.
type Config struct {
	// TLS is the TLS configuration for HTTPS; nil means the system
	// defaults. Tests inject a loopback server's configuration here.
	TLS *tls.Config
	// Rsync holds the rsync program and local address.
	Rsync rsync.Config
	// RepoTimeout bounds one repository's sync, RRDP and rsync fallback
	// together (DESIGN.md §3: a quarter of the run's timeout); 0 means
	// no bound beyond the context's.
	RepoTimeout time.Duration
	// StopAt is when all syncing stops (DESIGN.md §3: at 7/8 of the
	// run's timeout): a sync that starts later returns fresh=false without
	// touching the network, and a sync in progress is cut off. The zero
	// time means never.
	StopAt time.Time
	// NoRRDP makes every sync use rsync: repositories, and TA
	// certificates (their https URIs are not tried), as rpki-client -R.
	NoRRDP bool
	// Offline makes Sync leave the network alone (tally -n): a repository
	// is served from what earlier runs left in the cache, a complete RRDP
	// copy first, else the rsync copy; with neither, fresh is false and
	// validation uses the validated store.
	Offline bool
	// Now returns the wall clock, used only for StopAt and durations in
	// RepoFact; nil means time.Now. main passes its own clock.
	Now func() time.Time
	// Log receives one line per notable event of a sync (a serial gone
	// backwards, a snapshot forced), with the URI; nil discards them.
	// Failed syncs are reported through Repos, not here.
	Log *slog.Logger
}

// Protocols in RepoFact.
const (
	ProtoRRDP     = "rrdp"     // RRDP brought the repository up to date
	ProtoRsync    = "rsync"    // rsync did, the CA naming no notification URI (or NoRRDP)
	ProtoFallback = "fallback" // RRDP failed and rsync was tried; State is rsync's
	ProtoHTTPS    = "https"    // a trust anchor certificate over https
	ProtoCache    = "cache"    // StopAt had passed or Offline: no network, the cache as it is
)

// States in RepoFact.
const (
	StateOK      = "ok"
	StateFailed  = "failed"
	StateTimeout = "timeout" // the repository deadline, StopAt, or an idle peer
)

// RepoFact is what one repository sync did.
type RepoFact struct {
	URI      string // notification URI, rsync module base or TA certificate URI
	Protocol string // ProtoRRDP, ProtoRsync, ...
	State    string // StateOK, StateFailed or StateTimeout
	Err      string // why it failed, "" when ok
	Duration time.Duration
	Bytes    int64 // bytes received (rsync: of new or changed files)
	Objects  int   // files written or withdrawn (rsync: new or changed files)
}

// Client syncs repositories into a cache and reads them back. Its
// methods are safe for concurrent use.
type Client struct {
	cache    *cache.Cache
	cfg      Config
	http     *http.Client
	rsyncSem chan struct{} // a slot per running rsync process
	httpSem  chan struct{} // a slot per HTTPS transfer in progress

	mu sync.Mutex // guards syncs, sources and facts
	// syncs holds one entry per repository sync of this run, keyed by
	// kind and URI ("rrdp "+notify, "rsync "+module base, "ta "+uri).
	syncs map[string]*entry
	// sources maps a canonical caRepository URI (ending in "/") or TA
	// certificate URI to where its latest download lies.
	sources map[string]source
	facts   []RepoFact
}

// entry is one repository sync. done is closed when the sync has ended;
// the other fields are written before that and only read after.
type entry struct {
	done    chan struct{}
	ok      bool
	stopped bool  // StopAt had passed: no fallback either
	err     error // the caller's context ended: stop the run
	// base is, for RRDP, the rsync module base the repository was allowed
	// to publish under.
	base string
}

// source says where the fresh files of a publication point lie: in area,
// below prefix (relative to the area, "" or ending in "/"), at URI.Path.
type source struct {
	area   cache.Area
	prefix string
}

// New returns a Client that stores into c.
func New(c *cache.Cache, cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		cache:    c,
		cfg:      cfg,
		http:     newHTTPClient(cfg),
		rsyncSem: make(chan struct{}, MaxRsync),
		httpSem:  make(chan struct{}, MaxHTTPS),
		syncs:    make(map[string]*entry),
		sources:  make(map[string]source),
	}
}

// Sync brings the repository of a CA (or a TA certificate, with notifyURI
// "") up to date; see validate.Syncer. Each repository is synced once per
// Client: concurrent and later callers get the first sync's result. A
// repository that cannot be fetched gives fresh=false and a nil error; the
// error is for faults that must stop the run (the cache cannot be written,
// ctx ended).
func (c *Client) Sync(ctx context.Context, notifyURI, rsyncURI string) (fresh bool, err error) {
	u, err := cache.ParseURI(rsyncURI)
	if err != nil {
		c.fact(RepoFact{URI: rsyncURI, Protocol: ProtoRsync, State: StateFailed, Err: err.Error()})
		return false, nil
	}
	if c.cfg.Offline {
		return c.syncOffline(ctx, notifyURI, u)
	}
	// One deadline covers RRDP and the rsync fallback together.
	rctx, cancel := c.repoContext(ctx)
	defer cancel()
	if notifyURI == "" && (u.Scheme() == "https" || !u.IsDir()) {
		if u.Scheme() == "https" && c.cfg.NoRRDP {
			c.fact(RepoFact{URI: u.String(), Protocol: ProtoHTTPS, State: StateFailed, Err: "https not used: rsync only"})
			return false, nil
		}
		return c.syncTA(ctx, rctx, u)
	}
	if u.Scheme() != "rsync" || !u.IsDir() {
		c.fact(RepoFact{URI: rsyncURI, Protocol: ProtoRsync, State: StateFailed,
			Err: "caRepository is not an rsync directory URI"})
		return false, nil
	}
	if notifyURI != "" && !c.cfg.NoRRDP {
		fresh, handled, err := c.syncRRDP(ctx, rctx, notifyURI, u)
		if handled || err != nil {
			return fresh, err
		}
		// RRDP failed, or did not cover this caRepository: rsync.
	}
	return c.syncRsync(ctx, rctx, u)
}

// once runs run for key unless another caller has already, and waits for
// the sync's end. run executes in the first caller's goroutine.
func (c *Client) once(ctx context.Context, key string, run func(e *entry)) (*entry, error) {
	c.mu.Lock()
	e, ok := c.syncs[key]
	if !ok {
		e = &entry{done: make(chan struct{})}
		c.syncs[key] = e
	}
	c.mu.Unlock()
	if !ok {
		defer close(e.done)
		run(e)
		return e, nil
	}
	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// stopped reports whether StopAt has passed.
func (c *Client) stopped() bool {
	return !c.cfg.StopAt.IsZero() && !c.cfg.Now().Before(c.cfg.StopAt)
}

// repoContext bounds one repository sync by RepoTimeout and StopAt.
func (c *Client) repoContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cancels := []context.CancelFunc{}
	if c.cfg.RepoTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.cfg.RepoTimeout, errRepoTimeout)
		cancels = append(cancels, cancel)
	}
	if !c.cfg.StopAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, c.cfg.StopAt, errStopAt)
		cancels = append(cancels, cancel)
	}
	return ctx, func() {
		for _, f := range cancels {
			f()
		}
	}
}

var (
	errRepoTimeout = errors.New("repository deadline passed")
	errStopAt      = errors.New("syncing stopped: run deadline near")
)

// outcome classifies a sync that failed with err within rctx (derived
// from parent) for RepoFact, and says whether the failure must stop the
// run: only the caller's own context ending does.
func outcome(parent, rctx context.Context, err error) (state string, fatal error) {
	if parent.Err() != nil {
		return StateFailed, context.Cause(parent)
	}
	if rctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errRepoTimeout) ||
		errors.Is(err, errStopAt) || errors.Is(err, errIdle) {
		return StateTimeout, nil
	}
	return StateFailed, nil
}

// fact records what one sync did.
func (c *Client) fact(f RepoFact) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.facts = append(c.facts, f)
}

// setSource records where the fresh files below key lie.
func (c *Client) setSource(key string, s source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources[key] = s
}

// log returns the configured logger or one that discards.
func (c *Client) log() *slog.Logger {
	if c.cfg.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.cfg.Log
}

// Syncs returns how many repository syncs have ended so far.
func (c *Client) Syncs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.facts)
}

// Repos returns a fact for every repository sync so far, sorted by URI
// and then protocol.
func (c *Client) Repos() []RepoFact {
	c.mu.Lock()
	out := slices.Clone(c.facts)
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b RepoFact) int {
		return cmp.Or(strings.Compare(a.URI, b.URI), strings.Compare(a.Protocol, b.Protocol))
	})
	return out
}
