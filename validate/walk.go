package validate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"

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

// dirJobs are the jobs of one directory: at most one running, the rest
// waiting. A waiting job is moved back to ready when the running one ends.
type dirJobs struct {
	running bool
	waiting []job
}

// syncResult is what a sync goroutine sends back.
type syncResult struct {
	key   repoKey
	fresh bool
}

// coordinator is the state of one walk. Only the goroutine running walk
// touches it; the goroutines it starts own nothing but what they send.
type coordinator struct {
	w       *walker
	agg     *aggregate
	repos   map[repoKey]*repoState
	visited map[string]bool // by visitKey
	// ready holds the publication points whose repository is synced. It
	// is a stack: the walk goes depth first, so the CAs found but not yet
	// visited (each holding its certificate and the bytes it was parsed
	// from) stay few. Breadth first, a 40,000-CA world kept most of its CA
	// certificates in memory at once (peak RSS 460 MiB instead of 370).
	// Which order the points are visited in does not change the result.
	ready []job
	// dirs holds the publication point directories with a job running;
	// a second job for one (CAs sharing a directory, or a CA certified
	// twice) waits its turn, so two jobs never promote one directory at
	// once.
	dirs      map[string]*dirJobs
	syncQueue []repoKey // repositories not yet synced
	running   int       // point jobs started and not yet received
	syncing   int       // syncs started and not yet received
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
		dirs:    make(map[string]*dirJobs),
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
		j := c.ready[len(c.ready)-1]
		c.ready[len(c.ready)-1] = job{} // the CA is the job's now
		c.ready = c.ready[:len(c.ready)-1]
		dir := j.ca.Cert.CARepository
		d := c.dirs[dir]
		if d == nil {
			d = &dirJobs{}
			c.dirs[dir] = d
		}
		if d.running {
			d.waiting = append(d.waiting, j)
			continue
		}
		d.running = true
		c.running++
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
		dir := r.ca.Cert.CARepository
		d := c.dirs[dir]
		d.running = false
		if len(d.waiting) > 0 {
			c.ready = append(c.ready, d.waiting[0])
			d.waiting = d.waiting[1:]
		} else {
			delete(c.dirs, dir)
		}
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
	id := visitKey(ca)
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

// visitKey says when two CAs are the same for the walk: same manifest,
// key, trust anchor, effective resources and expiry. A CA certified by
// two parents (a key certified twice, as during a transfer) with other
// resources or another expiry is visited once per certificate, so the
// result is the union over every valid chain and never depends on which
// parent the walk reached first. The same certificate reached twice (a
// copy published in two places) is visited once.
func visitKey(ca *CA) string {
	b := make([]byte, 0, 128)
	b = append(b, ca.Cert.Manifest...)
	b = append(b, 0)
	b = append(b, ca.Cert.SKI...)
	b = append(b, 0)
	b = append(b, ca.TA...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(ca.Expires.Unix()))
	for _, set := range []*object.IPSet{ca.Resources.IPv4, ca.Resources.IPv6} {
		if set == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.BigEndian.AppendUint32(b, uint32(len(set.Ranges)))
		for _, r := range set.Ranges {
			b = append(b, r.Min.AsSlice()...)
			b = append(b, r.Max.AsSlice()...)
		}
	}
	if as := ca.Resources.AS; as != nil {
		b = append(b, 1)
		for _, r := range as.Ranges {
			b = binary.BigEndian.AppendUint32(b, r.Min)
			b = binary.BigEndian.AppendUint32(b, r.Max)
		}
	}
	if len(b) <= 256 {
		return string(b)
	}
	sum := sha256.Sum256(b) // a big resource set: keep the map small
	return string(sum[:])
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
		if d := w.freshDir(ca.Cert.CARepository); d != nil {
			defer d.Close()
			p.read = func(uri string) ([]byte, error) {
				if name, ok := nameIn(ca.Cert.CARepository, uri); ok {
					return d.ReadFile(name)
				}
				return w.store.Fresh(uri)
			}
			p.list = d.List
			if pf, ok := d.(Prefetcher); ok {
				// The manifest and its validated copy (to compare) now,
				// the files it lists once it has been checked.
				var first []string
				if name, ok := nameIn(ca.Cert.CARepository, ca.Cert.Manifest); ok {
					first = []string{name}
				}
				pf.Prefetch(first, []string{ca.Cert.Manifest})
				p.readValid = pf.ReadValid
				p.prefetch = func(names []string) { pf.Prefetch(names, nil) }
			}
		}
		err := p.run()
		if err == nil && !p.unchanged {
			if err := w.store.Promote(ca.Cert.CARepository, p.files); err != nil {
				return pointResult{ca: ca, err: fmt.Errorf("%s: promote: %w", ca.Cert.CARepository, err)}
			}
		}
		if err == nil {
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

// nameIn returns the name of the file uri directly in the directory
// dirURI, if it is one.
func nameIn(dirURI, uri string) (string, bool) {
	name, ok := strings.CutPrefix(uri, dirURI)
	return name, ok && name != "" && !strings.Contains(name, "/")
}

// freshDir opens the publication point dirURI of the latest download
// when the store can, or returns nil: files are then read by URI.
func (w *walker) freshDir(dirURI string) DirReader {
	o, ok := w.store.(DirOpener)
	if !ok {
		return nil
	}
	d, err := o.OpenFreshDir(dirURI)
	if err != nil {
		return nil // missing or refused: reading by URI says so in its own terms
	}
	return d
}

// newPoint prepares a point job for ca reading through read.
func (w *walker) newPoint(ca *CA, read func(string) ([]byte, error), fromCache bool) *point {
	return &point{
		k:         &w.k,
		store:     w.store,
		log:       w.log,
		read:      read,
		readValid: w.store.Valid,
		list:      func() ([]string, error) { return w.store.List(ca.Cert.CARepository) },
		fromCache: fromCache,
		iss:       issuing{ca: ca, expires: ca.Expires},
		res:       &pointResult{ca: ca},
		files:     make(map[string][32]byte),
	}
}
