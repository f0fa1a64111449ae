package validate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/tally-rpki/tally/validate/object"
)

// walker walks the tree below the TA certificates. Its fields are set
// before the walk and only read during it.
type walker struct {
	k       checker
	workers int
	syncs   int
	syncer  Syncer
	store   Store
	log     *slog.Logger
	// progress is Config.Progress; points counts the calls.
	progress func(points int)
	points   int
}

// repoKey names one repository: the pair Syncer.Sync takes.
type repoKey struct{ notify, rsync string }

// repoState is the coordinator's view of one repository.
type repoState struct {
	synced  bool
	fresh   bool  // synced and the download can be tried
	waiting []*CA // CAs to visit once synced
}

// job is one publication point to validate on the pool.
type job struct {
	ca    *CA
	fresh bool // try the fresh download before the validated copy
}

// syncResult is what a sync goroutine sends back.
type syncResult struct {
	key   repoKey
	fresh bool
}

// coordinator is the state of one walk. Only the goroutine running walk
// touches it; the goroutines it starts own nothing but what they send.
type coordinator struct {
	w         *walker
	agg       *aggregate
	repos     map[repoKey]*repoState
	visited   map[string]bool // by manifest URI and SKI
	ready     []job           // publication points whose repository is synced
	syncQueue []repoKey       // repositories not yet synced
	running   int             // point jobs started and not yet received
	syncing   int             // syncs started and not yet received
	results   chan pointResult
	synced    chan syncResult
}

// walk visits every CA reachable from roots and merges what their
// publication points give into agg. It starts work only when its own
// counts show a free slot, so g.Go never waits on a goroutine that is
// stuck sending to the coordinator; the group's limit is a safety net.
func (w *walker) walk(ctx context.Context, roots []*CA, agg *aggregate) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.workers + w.syncs)
	c := &coordinator{
		w:       w,
		agg:     agg,
		repos:   make(map[repoKey]*repoState),
		visited: make(map[string]bool),
		results: make(chan pointResult),
		synced:  make(chan syncResult),
	}
	for _, ca := range roots {
		c.enqueue(ca)
	}
	for {
		c.start(gctx, g)
		if c.running == 0 && c.syncing == 0 {
			break // done, or cancelled with work still queued
		}
		c.receive()
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return context.Cause(ctx)
}

// start starts point jobs and syncs while there are free slots.
func (c *coordinator) start(ctx context.Context, g *errgroup.Group) {
	for len(c.ready) > 0 && c.running < c.w.workers && ctx.Err() == nil {
		j := c.ready[0]
		c.ready, c.running = c.ready[1:], c.running+1
		g.Go(func() error {
			r := c.w.visit(j.ca, j.fresh)
			c.results <- r
			return r.err // cancels ctx for every other goroutine
		})
	}
	for len(c.syncQueue) > 0 && c.syncing < c.w.syncs && ctx.Err() == nil {
		key := c.syncQueue[0]
		c.syncQueue, c.syncing = c.syncQueue[1:], c.syncing+1
		g.Go(func() error {
			fresh, err := c.w.syncer.Sync(ctx, key.notify, key.rsync)
			c.synced <- syncResult{key, fresh && err == nil}
			return err
		})
	}
}

// receive waits for one point job or sync to finish and takes in what it
// sent: a point's results and children, or a repository's CAs now ready.
func (c *coordinator) receive() {
	select {
	case r := <-c.results:
		c.running--
		if r.err != nil {
			return // the group has the error and cancels the walk
		}
		c.agg.merge(r)
		if c.w.progress != nil {
			c.w.points++
			c.w.progress(c.w.points)
		}
		for _, ca := range r.children {
			c.enqueue(ca)
		}
	case s := <-c.synced:
		c.syncing--
		st := c.repos[s.key]
		st.synced, st.fresh = true, s.fresh
		for _, ca := range st.waiting {
			c.ready = append(c.ready, job{ca, s.fresh})
		}
		st.waiting = nil
		c.agg.synced(s.key, s.fresh)
	}
}

// enqueue schedules the publication point of ca: at once when its
// repository is synced, else after the sync, which it requests the first
// time the repository comes up. A CA already seen is skipped.
func (c *coordinator) enqueue(ca *CA) {
	id := ca.Cert.Manifest + " " + hex.EncodeToString(ca.Cert.SKI)
	if c.visited[id] {
		c.agg.warn(fmt.Sprintf("%s: publication point %s reached again, visited once", ca.URI, ca.Cert.CARepository))
		return
	}
	c.visited[id] = true
	key := repoKey{ca.Cert.Notify, ca.Cert.CARepository}
	st := c.repos[key]
	switch {
	case st == nil:
		c.repos[key] = &repoState{waiting: []*CA{ca}}
		c.syncQueue = append(c.syncQueue, key)
	case st.synced:
		c.ready = append(c.ready, job{ca, st.fresh})
	default:
		st.waiting = append(st.waiting, ca)
	}
}

// visit validates the publication point of ca: the fresh download when
// fresh is set, and the validated copy when that is not set or fails. It
// runs on the pool, reads only its arguments and the store, and promotes
// a fresh point that validated.
func (w *walker) visit(ca *CA, fresh bool) pointResult {
	out := pointResult{ca: ca}
	var rejectedMft []byte
	if fresh {
		p := w.newPoint(ca, w.store.Fresh, false)
		err := p.run()
		if err == nil {
			if err := w.store.Promote(ca.Cert.CARepository, p.files); err != nil {
				return pointResult{ca: ca, err: fmt.Errorf("%s: promote: %w", ca.Cert.CARepository, err)}
			}
			return *p.res
		}
		if !errors.Is(err, errPointRejected) {
			return pointResult{ca: ca, err: err}
		}
		// Only the object at fault was counted; nothing else was kept.
		out.stats, out.warnings = p.res.stats, p.res.warnings
		rejectedMft = p.badMft
	}
	p := w.newPoint(ca, w.store.Valid, true)
	p.rejectedMft = rejectedMft
	p.res.stats, p.res.warnings = out.stats, out.warnings
	err := p.run()
	switch {
	case err == nil:
		return *p.res
	case !errors.Is(err, errPointRejected):
		return pointResult{ca: ca, err: err}
	}
	out.stats, out.warnings = p.res.stats, p.res.warnings
	out.stats[KindCert].NonFunctional++
	out.nonFunctional = true
	out.rejected = []object.Resources{ca.Resources}
	msg := fmt.Sprintf("%s: RFC 9286 §6.6: no usable manifest in %s, nothing below it validated", ca.URI, ca.Cert.CARepository)
	out.warnings = append(out.warnings, msg)
	if w.log != nil {
		w.log.Warn(msg)
	}
	return out
}

// newPoint prepares a point job for ca reading through read.
func (w *walker) newPoint(ca *CA, read func(string) ([]byte, error), fromCache bool) *point {
	return &point{
		k:         &w.k,
		store:     w.store,
		log:       w.log,
		read:      read,
		fromCache: fromCache,
		iss:       issuing{ca: ca, expires: ca.Expires},
		res:       &pointResult{ca: ca},
		files:     make(map[string][32]byte),
	}
}
