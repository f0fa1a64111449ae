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
func (c *Client) syncOffline(ctx context.Context, notifyURI string, u cache.URI) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, context.Cause(ctx)
	}
	isTA := notifyURI == "" && (u.Scheme() == "https" || !u.IsDir())
	var src source
	var found bool
	factURI := u.String()
	switch {
	case isTA:
		src, found = c.offlineTA(u)
	case u.Scheme() != "rsync" || !u.IsDir():
	default:
		if base := rsync.Base(u.String()); base != "" {
			factURI = base
		}
		if notifyURI != "" && !c.cfg.NoRRDP {
			if nu, err := cache.ParseURI(notifyURI); err == nil && nu.Scheme() == "https" {
				factURI = nu.String()
				src, found = c.offlineRRDP(nu.String(), u)
			}
		}
		if !found && c.exists(cache.AreaRsync, u.Path()) {
			src, found = source{area: cache.AreaRsync}, true
		}
	}
	// One fact per repository, as online.
	e, err := c.once(ctx, "offline "+factURI, func(e *entry) {
		f := RepoFact{URI: factURI, Protocol: ProtoCache, State: StateOK}
		if !found {
			f.State, f.Err = StateFailed, "not in the cache"
		}
		c.fact(f)
	})
	if err != nil || e == nil {
		return false, err
	}
	if !found {
		return false, nil
	}
	c.setSource(u.String(), src)
	return true, nil
}

// offlineTA finds the download of a TA certificate: ta/<scheme>/<path>,
// or for an rsync URI a copy in the rsync area.
func (c *Client) offlineTA(u cache.URI) (source, bool) {
	prefix := u.Scheme() + "/"
	if c.exists(cache.AreaTA, prefix+u.Path()) {
		return source{area: cache.AreaTA, prefix: prefix}, true
	}
	if u.Scheme() == "rsync" && c.exists(cache.AreaRsync, u.Path()) {
		return source{area: cache.AreaRsync}, true
	}
	return source{}, false
}

// offlineRRDP finds u's directory in the RRDP copy of notify, if the
// copy's last sync completed.
func (c *Client) offlineRRDP(notify string, u cache.URI) (source, bool) {
	st, err := c.cache.LoadRRDPState(notify)
	if err != nil || st == nil || st.SessionID == "" {
		return source{}, false // never synced, interrupted, or damaged
	}
	dir := cache.RRDPDir(notify)
	if !c.exists(cache.AreaRRDP, dir+"/"+u.Path()) {
		return source{}, false
	}
	return source{area: cache.AreaRRDP, prefix: dir + "/"}, true
}

// exists reports whether rel exists in area.
func (c *Client) exists(area cache.Area, rel string) bool {
	_, err := c.cache.Stat(area, rel)
	return err == nil
}
