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
// Deltas and snapshots are written into a cache.RRDPStage, so a sync that
// fails, at any point and for any reason, leaves the previous copy and its
// state exactly as they were; the stage becomes the copy only once the
// whole update checked out (see cache.RRDPStage.Commit for crashes).
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
		c.log().Warn("RRDP state unusable, loading the snapshot", "uri", notify, "err", err)
		st = nil
	}
	switch {
	case st == nil || st.SessionID == "":
	case st.SessionID != notif.SessionID:
		c.log().Info("RRDP session changed, loading the snapshot", "uri", notify,
			"old", st.SessionID, "new", notif.SessionID)
	case notif.Serial < st.Serial:
		c.log().Warn("RFC 8182 §3.4.1: RRDP serial went backwards, loading the snapshot", "uri", notify,
			"old", st.Serial, "new", notif.Serial)
	case deltaChanged(st, notif):
		c.log().Warn("RFC 8182 §3.4.1: a delta already applied changed its hash, loading the snapshot",
			"uri", notify)
	default:
		deltas, ok := notif.DeltasSince(st.Serial)
		if ok && len(deltas) == 0 {
			return 0, nil // current
		}
		if ok {
			objects, err := c.applyDeltas(ctx, notify, notif, deltas, base, n)
			if err == nil || ctx.Err() != nil {
				return objects, err
			}
			// A bad delta: the snapshot may still be good (RFC 8182 §3.4.1).
			c.log().Warn("RRDP delta failed, loading the snapshot", "uri", notify, "err", err)
		} else {
			c.log().Info("RRDP deltas do not reach back to our serial, loading the snapshot", "uri", notify,
				"serial", st.Serial)
		}
	}
	stage, err := c.cache.BeginRRDP(notify, false)
	if err != nil {
		return 0, err
	}
	w := &writer{stage: stage, base: base}
	err = c.fetchUpdate(ctx, notif.Snapshot.URI, notif.Snapshot.Hash, n, func(r io.Reader) error {
		return rrdp.ParseSnapshot(r, notif.SessionID, notif.Serial, w)
	})
	if err != nil {
		return 0, errors.Join(fmt.Errorf("snapshot %s: %w", notif.Snapshot.URI, err), stage.Abort())
	}
	if err := stage.Commit(newState(notif)); err != nil {
		return 0, errors.Join(err, stage.Abort())
	}
	return w.objects, nil
}

// applyDeltas applies deltas in order over the copy and saves the new
// state; on any error the copy is untouched.
func (c *Client) applyDeltas(ctx context.Context, notify string, notif *rrdp.Notification,
	deltas []rrdp.Delta, base cache.URI, n *int64) (int, error) {
	stage, err := c.cache.BeginRRDP(notify, true)
	if err != nil {
		return 0, err
	}
	w := &writer{stage: stage, base: base}
	for _, d := range deltas {
		err := c.fetchUpdate(ctx, d.URI, d.Hash, n, func(r io.Reader) error {
			return rrdp.ParseDelta(r, notif.SessionID, d.Serial, w)
		})
		if err != nil {
			return 0, errors.Join(fmt.Errorf("delta %d %s: %w", d.Serial, d.URI, err), stage.Abort())
		}
	}
	if err := stage.Commit(newState(notif)); err != nil {
		return 0, errors.Join(err, stage.Abort())
	}
	return w.objects, nil
}

// fetchUpdate GETs a snapshot or delta and hands parse its body, checked
// against hash as it streams; bytes count against the repository's cap.
func (c *Client) fetchUpdate(ctx context.Context, uri string, hash [32]byte, n *int64, parse func(io.Reader) error) error {
	b, err := c.get(ctx, uri, MaxRRDPBytes-*n, n)
	if err != nil {
		return err
	}
	return errors.Join(parse(rrdp.NewHashingReader(b, hash)), b.Close())
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
// elements into a stage of the repository.
type writer struct {
	stage   *cache.RRDPStage
	base    cache.URI // every URI must lie under this rsync module
	objects int
}

// path checks uri and returns its path in the repository's copy.
func (w *writer) path(uri string) (string, error) {
	u, err := cache.ParseURI(uri)
	if err != nil {
		return "", &rrdp.Error{Rule: scopeRule, Msg: err.Error()}
	}
	if u.Scheme() != "rsync" || u.IsDir() || !u.IsUnder(w.base) {
		return "", &rrdp.Error{Rule: scopeRule,
			Msg: fmt.Sprintf("%s is not a file under the repository %s", uri, w.base)}
	}
	return u.Path(), nil
}

// Publish writes content to uri's file. A replacing publish must name
// the hash of the current file (RFC 8182 §3.4.2).
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
	if err := w.stage.Write(rel, content); err != nil {
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
	if err := w.stage.Withdraw(rel); err != nil {
		return err
	}
	w.objects++
	return nil
}

// checkHash fails with an *rrdp.Error unless the file rel exists, as the
// sync sees it, with the SHA-256 want.
func (w *writer) checkHash(uri, rel string, want [32]byte) error {
	f, err := w.stage.Open(rel)
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
