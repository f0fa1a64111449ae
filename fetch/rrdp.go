package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/rrdp"
)

// rrdp brings the RRDP repository of notify up to date in
// rrdp/<RRDPDir(notify)>/ and returns how many objects it wrote or
// withdrew; bytes received are added to *n. Every file it writes must lie
// under base, the rsync module of the CA that named the repository.
//
// Crash safety: the state file is only ever rewritten after the files it
// describes are in place, and before files are touched it is made to
// describe nothing a delta can apply to:
//   - deltas are applied in place, file by file (each write crash-safe),
//     after the state is replaced by an empty one; a crash or a bad delta
//     leaves that empty state, so the next sync loads the snapshot;
//   - a snapshot first removes the repository (state first, then files),
//     then writes every published file, then saves the new state; a bad
//     snapshot is removed again, and a crash leaves no state, so the next
//     sync loads the snapshot again. The files of a failed sync are never
//     read: the caller falls back to rsync, whose files live in another
//     area.
func (c *Client) rrdp(ctx context.Context, notify string, base cache.URI, n *int64) (int, error) {
	b, err := c.get(ctx, notify, MaxNotificationSize, n)
	if err != nil {
		return 0, err
	}
	notif, err := rrdp.ParseNotification(b, MaxNotificationSize)
	err = errors.Join(err, b.Close())
	if err != nil {
		return 0, fmt.Errorf("notification %s: %w", notify, err)
	}
	if err := notif.CheckOrigin(notify); err != nil {
		return 0, fmt.Errorf("notification %s: %w", notify, err)
	}
	st, err := c.cache.LoadRRDPState(notify)
	if err != nil {
		st = nil // corrupt: the snapshot replaces it
	}
	w := &writer{cache: c.cache, dir: cache.RRDPDir(notify), base: base}
	if st != nil && st.SessionID == notif.SessionID && !deltaChanged(st, notif) {
		if deltas, ok := notif.DeltasSince(st.Serial); ok {
			if len(deltas) == 0 {
				return 0, nil // current
			}
			err := c.applyDeltas(ctx, notify, notif, deltas, w, n)
			if err == nil || ctx.Err() != nil {
				return w.objects, err
			}
			// A bad delta: the snapshot may still be good (RFC 8182 §3.4.1).
		}
	}
	w.objects = 0
	if err := c.cache.RemoveRRDP(notify); err != nil {
		return 0, err
	}
	w.delta = false
	b, err = c.get(ctx, notif.Snapshot.URI, MaxRRDPBytes-*n, n)
	if err != nil {
		return 0, err
	}
	err = rrdp.ParseSnapshot(rrdp.NewHashingReader(b, notif.Snapshot.Hash), notif.SessionID, notif.Serial, w)
	err = errors.Join(err, b.Close())
	if err != nil {
		// Drop what the bad snapshot wrote; without a state it is never used.
		return w.objects, errors.Join(fmt.Errorf("snapshot %s: %w", notif.Snapshot.URI, err),
			c.cache.RemoveRRDP(notify))
	}
	return w.objects, c.cache.SaveRRDPState(notify, newState(notif))
}

// applyDeltas applies deltas in order and saves the new state.
func (c *Client) applyDeltas(ctx context.Context, notify string, notif *rrdp.Notification,
	deltas []rrdp.Delta, w *writer, n *int64) error {
	// An empty state: a crash from here on forces a snapshot.
	if err := c.cache.SaveRRDPState(notify, &cache.RRDPState{}); err != nil {
		return err
	}
	w.delta = true
	for _, d := range deltas {
		b, err := c.get(ctx, d.URI, MaxRRDPBytes-*n, n)
		if err != nil {
			return err
		}
		err = rrdp.ParseDelta(rrdp.NewHashingReader(b, d.Hash), notif.SessionID, d.Serial, w)
		err = errors.Join(err, b.Close())
		if err != nil {
			return fmt.Errorf("delta %d %s: %w", d.Serial, d.URI, err)
		}
	}
	return c.cache.SaveRRDPState(notify, newState(notif))
}

// deltaChanged reports whether a delta the state saw has another hash in
// the notification: the repository rewrote history, so only a snapshot
// can be trusted (DESIGN.md §4).
func deltaChanged(st *cache.RRDPState, n *rrdp.Notification) bool {
	seen := make(map[uint64]string, len(st.Deltas))
	for _, d := range st.Deltas {
		seen[d.Serial] = d.Hash
	}
	for _, d := range n.Deltas {
		if h, ok := seen[d.Serial]; ok && h != hex.EncodeToString(d.Hash[:]) {
			return true
		}
	}
	return false
}

// newState is the state after applying n.
func newState(n *rrdp.Notification) *cache.RRDPState {
	st := &cache.RRDPState{SessionID: n.SessionID, Serial: n.Serial}
	for _, d := range n.Deltas {
		st.Deltas = append(st.Deltas, cache.RRDPDelta{Serial: d.Serial, Hash: hex.EncodeToString(d.Hash[:])})
	}
	return st
}

// scopeRule names the rule a publish or withdraw outside the repository
// breaks.
const scopeRule = "DESIGN.md §4 (repository scope)"

// writer is the rrdp.Handler that writes a snapshot's or delta's
// elements into rrdp/<dir>/<URI path>.
type writer struct {
	cache   *cache.Cache
	dir     string    // cache.RRDPDir of the notification URI
	base    cache.URI // every URI must lie under this rsync module
	delta   bool
	objects int
}

// path checks uri and returns its file, relative to the rrdp area.
func (w *writer) path(uri string) (string, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return "", &rrdp.Error{Rule: scopeRule, Msg: err.Error()}
	}
	if u.Scheme() != "rsync" || u.IsDir() || !u.IsUnder(w.base) {
		return "", &rrdp.Error{Rule: scopeRule,
			Msg: fmt.Sprintf("%s is not a file under the repository %s", uri, w.base)}
	}
	return w.dir + "/" + u.Path(), nil
}

// Publish writes content to uri's file, crash-safely. A replacing
// publish must name the hash of the current file (RFC 8182 §3.4.2).
func (w *writer) Publish(uri string, replaces *[32]byte, content io.Reader) error {
	rel, err := w.path(uri)
	if err != nil {
		return err
	}
	if replaces != nil {
		if err := w.checkHash(uri, rel, *replaces); err != nil {
			return err
		}
	}
	f, err := w.cache.Create(cache.AreaRRDP, rel)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, content); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	w.objects++
	return nil
}

// Withdraw removes uri's file, which must have the given hash.
func (w *writer) Withdraw(uri string, hash [32]byte) error {
	rel, err := w.path(uri)
	if err != nil {
		return err
	}
	if err := w.checkHash(uri, rel, hash); err != nil {
		return err
	}
	if err := w.cache.Remove(cache.AreaRRDP, rel); err != nil {
		return err
	}
	w.objects++
	return nil
}

// checkHash fails with an *rrdp.Error unless the file rel exists with
// the SHA-256 want.
func (w *writer) checkHash(uri, rel string, want [32]byte) error {
	f, err := w.cache.OpenFile(cache.AreaRRDP, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return &rrdp.Error{Rule: "RFC 8182 §3.4.2", Msg: uri + ": replaced or withdrawn file does not exist"}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	var got [32]byte
	if h.Sum(got[:0]); got != want {
		return &rrdp.Error{Rule: "RFC 8182 §3.4.2", Msg: fmt.Sprintf("%s: current file has hash %x, not %x", uri, got, want)}
	}
	return nil
}
