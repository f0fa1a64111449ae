package fetch

import (
	"context"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/rsync"
)

// syncOffline finds, without the network, the latest download of the
// repository of u that earlier runs left in the cache. For a CA: the RRDP
// copy of notifyURI if its last sync completed (it has a state with a
// session) and holds u's directory, else the rsync copy of u's directory.
// For a TA certificate: its https or rsync download. A repository found
// nowhere gives fresh=false.
//
// What concerns a whole repository (is its RRDP copy complete, is its
// rsync module there) is decided once, as online, and recorded as one
// fact; each CA then costs one look for its own directory.
func (c *Client) syncOffline(ctx context.Context, notifyURI string, u cache.URI) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, context.Cause(ctx)
	}
	if u.Scheme() == "https" || !u.IsDir() {
		if notifyURI != "" || u.Scheme() != "rsync" && u.Scheme() != "https" {
			return false, nil
		}
		src, ok := c.offlineTA(u)
		return c.found(u, src, ok)
	}
	if notifyURI != "" && !c.cfg.NoRRDP {
		if nu, err := cache.ParseURI(notifyURI); err == nil && nu.Scheme() == "https" {
			notify := nu.String()
			e, err := c.once(ctx, "offline "+notify, func(e *entry) {
				st, err := c.cache.LoadRRDPState(notify)
				e.ok = err == nil && st != nil && st.SessionID != "" // not interrupted or damaged
				if e.ok {
					// Without a copy the rsync module stands in, as after a
					// fallback online: its fact tells how that went.
					c.offlineFact(notify, true)
				}
			})
			if err != nil {
				return false, err
			}
			if dir := cache.RRDPDir(notify); e.ok && c.exists(cache.AreaRRDP, dir+"/"+u.Path()) {
				return c.found(u, source{area: cache.AreaRRDP, prefix: dir + "/"}, true)
			}
		}
	}
	base := rsync.Base(u.String())
	if base == "" {
		return false, nil
	}
	e, err := c.once(ctx, "offline "+base, func(e *entry) {
		b, err := cache.ParseURI(base)
		e.ok = err == nil && c.exists(cache.AreaRsync, b.Path())
		c.offlineFact(base, e.ok)
	})
	if err != nil {
		return false, err
	}
	return c.found(u, source{area: cache.AreaRsync}, e.ok && c.exists(cache.AreaRsync, u.Path()))
}

// found records src as where u's files lie when ok, and returns ok.
func (c *Client) found(u cache.URI, src source, ok bool) (bool, error) {
	if ok {
		c.setSource(u.String(), src)
	}
	return ok, nil
}

// offlineFact records how an offline look at a repository went.
func (c *Client) offlineFact(uri string, ok bool) {
	f := RepoFact{URI: uri, Protocol: ProtoCache, State: StateOK}
	if !ok {
		f.State, f.Err = StateFailed, "not in the cache"
	}
	c.fact(f)
}

// offlineTA finds the download of a TA certificate, ta/<scheme>/<path>,
// or for an rsync URI a copy in the rsync area, and records a fact.
func (c *Client) offlineTA(u cache.URI) (source, bool) {
	src, ok := source{area: cache.AreaTA, prefix: taDownloadPrefix(u)}, true
	switch {
	case c.exists(cache.AreaTA, src.prefix+u.Path()):
	case u.Scheme() == "rsync" && c.exists(cache.AreaRsync, u.Path()):
		src = source{area: cache.AreaRsync}
	default:
		ok = false
	}
	c.offlineFact(u.String(), ok)
	return src, ok
}

// exists reports whether rel exists in area.
func (c *Client) exists(area cache.Area, rel string) bool {
	return c.cache.Exists(area, rel)
}
