package fetch

import (
	"context"
	"errors"
	"fmt"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/rsync"
)

// syncRRDP syncs the RRDP repository of notifyURI for the caRepository u
// within rctx. handled is false when rsync must be tried instead: RRDP
// failed, or the repository's sync (run for the first CA that named it)
// was bound to another rsync module than u's.
func (c *Client) syncRRDP(ctx, rctx context.Context, notifyURI string, u cache.URI) (fresh, handled bool, err error) {
	nu, err := cache.ParseURI(notifyURI)
	if err != nil || nu.Scheme() != "https" {
		c.fact(RepoFact{URI: notifyURI, Protocol: ProtoFallback, State: StateFailed,
			Err: "notification URI is not a valid https URI"})
		return false, false, nil
	}
	notify := nu.String()
	e, err := c.once(ctx, "rrdp "+notify, func(e *entry) {
		e.base = rsync.Base(u.String())
		e.ok, e.stopped, e.err = c.runRRDP(ctx, rctx, notify, e.base)
	})
	switch {
	case err != nil:
		return false, true, err
	case e.err != nil || e.stopped:
		return false, true, e.err
	case !e.ok:
		return false, false, nil
	}
	base, err := cache.ParseURI(e.base)
	if err != nil || (!u.IsUnder(base) && u.String() != base.String()) {
		return false, false, nil
	}
	c.setSource(u.String(), source{area: cache.AreaRRDP, prefix: cache.RRDPDir(notify) + "/"})
	return true, true, nil
}

// runRRDP runs one RRDP sync and records its fact. A failure that is not
// ctx's end gives ok=false and a nil error, so the caller falls back.
func (c *Client) runRRDP(ctx, rctx context.Context, notify, base string) (ok, stopped bool, err error) {
	start := c.cfg.Now()
	f := RepoFact{URI: notify, Protocol: ProtoRRDP, State: StateOK}
	defer func() {
		f.Duration = c.cfg.Now().Sub(start)
		c.fact(f)
	}()
	if c.stopped() {
		f.Protocol, f.State = ProtoCache, StateTimeout
		return false, true, nil
	}
	baseURI, err := cache.ParseURI(base)
	if err != nil {
		f.Protocol, f.State, f.Err = ProtoFallback, StateFailed, "caRepository has no rsync module"
		return false, false, nil
	}
	f.Objects, err = c.rrdp(rctx, notify, baseURI, &f.Bytes)
	if err == nil {
		return true, false, nil
	}
	f.Protocol, f.Err = ProtoFallback, err.Error()
	f.State, err = outcome(ctx, rctx, err)
	return false, false, err
}

// syncRsync syncs the rsync module of the caRepository u within rctx.
func (c *Client) syncRsync(ctx, rctx context.Context, u cache.URI) (bool, error) {
	base := rsync.Base(u.String())
	if base == "" {
		c.fact(RepoFact{URI: u.String(), Protocol: ProtoRsync, State: StateFailed, Err: "no rsync module"})
		return false, nil
	}
	e, err := c.once(ctx, "rsync "+base, func(e *entry) {
		e.ok, e.err = c.runRsync(ctx, rctx, base, base, cache.AreaRsync, "")
	})
	if err != nil {
		return false, err
	}
	if e.ok {
		c.setSource(u.String(), source{area: cache.AreaRsync})
	}
	return e.ok, e.err
}

// runRsync runs rsync for uri into area/prefix+dir, where dir is the
// cache path of dirURI (uri itself for a module, its directory for a
// single file), and records a fact named uri.
func (c *Client) runRsync(ctx, rctx context.Context, uri, dirURI string, area cache.Area, prefix string) (bool, error) {
	start := c.cfg.Now()
	f := RepoFact{URI: uri, Protocol: ProtoRsync, State: StateOK}
	defer func() {
		f.Duration = c.cfg.Now().Sub(start)
		c.fact(f)
	}()
	if c.stopped() {
		f.Protocol, f.State = ProtoCache, StateTimeout
		return false, nil
	}
	fail := func(err error) (bool, error) {
		f.Err = err.Error()
		f.State, err = outcome(ctx, rctx, err)
		return false, err
	}
	d, err := cache.ParseURI(dirURI)
	if err != nil {
		return fail(err)
	}
	dest, err := c.cache.MkdirAll(area, prefix+d.Path())
	if err != nil {
		return fail(err)
	}
	if err := acquire(rctx, c.rsyncSem); err != nil {
		return fail(err)
	}
	st, err := rsync.Run(rctx, c.cfg.Rsync, uri, dest)
	<-c.rsyncSem
	f.Bytes, f.Objects = st.Bytes, st.Files
	if err != nil {
		if cause := context.Cause(rctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		return fail(err)
	}
	return true, nil
}

// syncTA fetches a trust anchor certificate: over https into
// ta/https/<path>, or with rsync into ta/rsync/<path>.
func (c *Client) syncTA(ctx, rctx context.Context, u cache.URI) (bool, error) {
	uri := u.String()
	prefix := taDownloadPrefix(u)
	e, err := c.once(ctx, "ta "+uri, func(e *entry) {
		if u.Scheme() == "https" {
			e.ok, e.err = c.runHTTPSTA(ctx, rctx, u, prefix)
			return
		}
		e.ok, e.err = c.runRsync(ctx, rctx, uri, parentURI(uri), cache.AreaTA, prefix)
	})
	if err != nil {
		return false, err
	}
	if e.ok {
		c.setSource(uri, source{area: cache.AreaTA, prefix: prefix})
	}
	return e.ok, e.err
}

// runHTTPSTA GETs a TA certificate and stores it crash-safely.
func (c *Client) runHTTPSTA(ctx, rctx context.Context, u cache.URI, prefix string) (bool, error) {
	start := c.cfg.Now()
	f := RepoFact{URI: u.String(), Protocol: ProtoHTTPS, State: StateOK}
	defer func() {
		f.Duration = c.cfg.Now().Sub(start)
		c.fact(f)
	}()
	if c.stopped() {
		f.Protocol, f.State = ProtoCache, StateTimeout
		return false, nil
	}
	data, err := c.readAll(rctx, u.String(), MaxObjectSize, &f.Bytes)
	if err == nil {
		err = c.writeTA(prefix+u.Path(), data)
	}
	if err != nil {
		f.Err = err.Error()
		f.State, err = outcome(ctx, rctx, err)
		return false, err
	}
	f.Objects = 1
	return true, nil
}

// parentURI returns the directory URI holding the file URI uri.
func parentURI(uri string) string {
	for i := len(uri) - 1; i >= 0; i-- {
		if uri[i] == '/' {
			return uri[:i+1]
		}
	}
	return uri
}
