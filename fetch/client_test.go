package fetch

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tally-rpki/tally/cache"
)

func TestRRDPSnapshotThenDelta(t *testing.T) {
	srv := newServer(t)
	ch := openCache(t)
	module := closedRsync(t)
	repo := module + "ca/"
	a, b, c := repo+"a.roa", repo+"b.mft", repo+"c.crl"
	snap := updateXML("snapshot", 1, []elem{
		{uri: a, content: []byte("a1")},
		{uri: c, content: []byte("c1")},
	})
	notify := srv.publishRepo(1, snap, nil, nil)

	cl := New(ch, config(srv.Server))
	fresh, err := cl.Sync(t.Context(), notify, repo)
	if err != nil || !fresh {
		t.Fatalf("first Sync = %v, %v; want true, nil (facts %+v)", fresh, err, cl.Repos())
	}
	mustFresh(t, cl, a, "a1")
	mustFresh(t, cl, c, "c1")
	if got, want := names(t, cl, repo), []string{"a.roa", "c.crl"}; !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	if f := fact(t, cl, notify); f.Protocol != ProtoRRDP || f.State != StateOK || f.Objects != 2 {
		t.Fatalf("fact = %+v", f)
	}

	// Serial 2: one delta replaces a, adds b and withdraws c.
	d2 := updateXML("delta", 2, []elem{
		{uri: a, content: []byte("a2"), replaces: []byte("a1")},
		{uri: b, content: []byte("b2")},
		{uri: c, replaces: []byte("c1")},
	})
	snap2 := updateXML("snapshot", 2, []elem{
		{uri: a, content: []byte("a2")},
		{uri: b, content: []byte("b2")},
	})
	srv.publishRepo(2, snap2, nil, []delta{{2, d2}})

	cl2 := New(ch, config(srv.Server))
	fresh, err = cl2.Sync(t.Context(), notify, repo)
	if err != nil || !fresh {
		t.Fatalf("second Sync = %v, %v; want true, nil (facts %+v)", fresh, err, cl2.Repos())
	}
	if n := srv.hitsOf("/delta-2.xml"); n != 1 {
		t.Errorf("delta fetched %d times, want 1", n)
	}
	if n := srv.hitsOf("/snapshot-2.xml"); n != 0 {
		t.Errorf("snapshot 2 fetched %d times, want 0: deltas should have been applied", n)
	}
	mustFresh(t, cl2, a, "a2")
	mustFresh(t, cl2, b, "b2")
	if _, err := cl2.Fresh(c); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Fresh(withdrawn) error = %v, want fs.ErrNotExist", err)
	}
	st, err := ch.LoadRRDPState(notify)
	if err != nil || st == nil || st.Serial != 2 || st.SessionID != session {
		t.Fatalf("state = %+v, %v; want serial 2", st, err)
	}
	if f := fact(t, cl2, notify); f.Protocol != ProtoRRDP || f.State != StateOK || f.Objects != 3 {
		t.Fatalf("fact = %+v", f)
	}

	// Promote into the validated store and read it back.
	files := map[string][sha256.Size]byte{"a.roa": sha256.Sum256([]byte("a2")), "b.mft": sha256.Sum256([]byte("b2"))}
	if err := cl2.Promote(repo, files); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if got, err := cl2.Valid(a); err != nil || string(got) != "a2" {
		t.Fatalf("Valid(a) = %q, %v", got, err)
	}

	// A third run with nothing new fetches only the notification.
	cl3 := New(ch, config(srv.Server))
	if fresh, err := cl3.Sync(t.Context(), notify, repo); err != nil || !fresh {
		t.Fatalf("third Sync = %v, %v", fresh, err)
	}
	if n := srv.hitsOf("/delta-2.xml") + srv.hitsOf("/snapshot-2.xml"); n != 1 {
		t.Errorf("%d snapshot and delta fetches after a current sync, want still 1", n)
	}
	mustFresh(t, cl3, b, "b2")
}

func TestRRDPBadDeltaHashLoadsSnapshot(t *testing.T) {
	srv := newServer(t)
	ch := openCache(t)
	repo := closedRsync(t) + "ca/"
	a := repo + "a.roa"
	notify := srv.publishRepo(1, updateXML("snapshot", 1, []elem{{uri: a, content: []byte("a1")}}), nil, nil)
	if fresh, err := New(ch, config(srv.Server)).Sync(t.Context(), notify, repo); err != nil || !fresh {
		t.Fatalf("first Sync = %v, %v", fresh, err)
	}
	// The delta names a wrong hash for the file it replaces.
	d2 := updateXML("delta", 2, []elem{{uri: a, content: []byte("a2"), replaces: []byte("other")}})
	srv.publishRepo(2, updateXML("snapshot", 2, []elem{{uri: a, content: []byte("a2")}}), nil, []delta{{2, d2}})
	cl := New(ch, config(srv.Server))
	if fresh, err := cl.Sync(t.Context(), notify, repo); err != nil || !fresh {
		t.Fatalf("second Sync = %v, %v (facts %+v)", fresh, err, cl.Repos())
	}
	if srv.hitsOf("/delta-2.xml") != 1 || srv.hitsOf("/snapshot-2.xml") != 1 {
		t.Errorf("hits: delta %d, snapshot %d; want 1 each", srv.hitsOf("/delta-2.xml"), srv.hitsOf("/snapshot-2.xml"))
	}
	mustFresh(t, cl, a, "a2")
}

func TestRRDPSnapshotHashMismatchFallsBackToRsync(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ca/a.roa": "from rsync", "ca/x.txt": "not an RPKI file"})
	module := startDaemon(t, dir)
	repo := module + "ca/"
	srv := newServer(t)
	snap := updateXML("snapshot", 1, []elem{{uri: repo + "a.roa", content: []byte("from rrdp")}})
	notify := srv.publishRepo(1, snap, []byte("something else"), nil)

	cl := New(openCache(t), config(srv.Server))
	fresh, err := cl.Sync(t.Context(), notify, repo)
	if err != nil || !fresh {
		t.Fatalf("Sync = %v, %v; want true, nil (facts %+v)", fresh, err, cl.Repos())
	}
	mustFresh(t, cl, repo+"a.roa", "from rsync")
	if got := names(t, cl, repo); !slices.Equal(got, []string{"a.roa"}) {
		t.Errorf("List = %q", got)
	}
	if f := fact(t, cl, notify); f.Protocol != ProtoFallback || f.State != StateFailed || !strings.Contains(f.Err, "hash") {
		t.Errorf("rrdp fact = %+v", f)
	}
	if f := fact(t, cl, module); f.Protocol != ProtoRsync || f.State != StateOK || f.Objects != 1 {
		t.Errorf("rsync fact = %+v", f)
	}
}

func TestRRDPSnapshotHashMismatchNotFresh(t *testing.T) {
	srv := newServer(t)
	repo := closedRsync(t) + "ca/"
	snap := updateXML("snapshot", 1, []elem{{uri: repo + "a.roa", content: []byte("x")}})
	notify := srv.publishRepo(1, snap, []byte("something else"), nil)
	ch := openCache(t)
	cl := New(ch, config(srv.Server))
	if fresh, err := cl.Sync(t.Context(), notify, repo); err != nil || fresh {
		t.Fatalf("Sync = %v, %v; want false, nil", fresh, err)
	}
	if st, err := ch.LoadRRDPState(notify); st != nil || err != nil {
		t.Errorf("state after a bad snapshot = %+v, %v; want none", st, err)
	}
	if _, err := cl.Fresh(repo + "a.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Fresh error = %v, want fs.ErrNotExist", err)
	}
}

func TestRRDPPublishOutsideRepository(t *testing.T) {
	srv := newServer(t)
	module := closedRsync(t)
	repo := module + "ca/"
	other := strings.Replace(module, "/repo/", "/other/", 1)
	snap := updateXML("snapshot", 1, []elem{
		{uri: repo + "a.roa", content: []byte("ok")},
		{uri: other + "evil.roa", content: []byte("evil")},
	})
	notify := srv.publishRepo(1, snap, nil, nil)
	ch := openCache(t)
	cl := New(ch, config(srv.Server))
	if fresh, err := cl.Sync(t.Context(), notify, repo); err != nil || fresh {
		t.Fatalf("Sync = %v, %v; want false, nil", fresh, err)
	}
	if f := fact(t, cl, notify); f.State != StateFailed || !strings.Contains(f.Err, "not a file under the repository") {
		t.Errorf("fact = %+v", f)
	}
	// Nothing of the rejected repository remains.
	if ch.Exists(cache.AreaRRDP, cache.RRDPDir(notify)) {
		t.Error("rrdp directory kept after rejection")
	}
}

func TestNotificationNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // never answer while the client waits
	}))
	defer srv.Close()
	defer close(release)
	cfg := config(srv)
	cfg.RepoTimeout = 300 * time.Millisecond
	cl := New(openCache(t), cfg)
	notify := srv.URL + "/notify.xml"
	fresh, err := cl.Sync(t.Context(), notify, closedRsync(t)+"ca/")
	if err != nil || fresh {
		t.Fatalf("Sync = %v, %v; want false, nil", fresh, err)
	}
	if f := fact(t, cl, notify); f.State != StateTimeout {
		t.Errorf("fact = %+v, want state timeout", f)
	}
}

func TestConcurrentSyncRunsOnce(t *testing.T) {
	srv := newServer(t)
	module := closedRsync(t)
	var elems []elem
	for _, ca := range []string{"ca1", "ca2"} {
		elems = append(elems, elem{uri: module + ca + "/a.roa", content: []byte(ca)})
	}
	notify := srv.publishRepo(1, updateXML("snapshot", 1, elems), nil, nil)
	cl := New(openCache(t), config(srv.Server))
	var wg sync.WaitGroup
	results := make([]bool, 16)
	errs := make([]error, 16)
	for i := range results {
		wg.Go(func() {
			repo := module + []string{"ca1/", "ca2/"}[i%2]
			results[i], errs[i] = cl.Sync(t.Context(), notify, repo)
		})
	}
	wg.Wait()
	for i := range results {
		if !results[i] || errs[i] != nil {
			t.Fatalf("Sync %d = %v, %v", i, results[i], errs[i])
		}
	}
	if n, m := srv.hitsOf("/notify.xml"), srv.hitsOf("/snapshot-1.xml"); n != 1 || m != 1 {
		t.Errorf("notification fetched %d times, snapshot %d; want once each", n, m)
	}
	if len(cl.Repos()) != 1 {
		t.Errorf("facts = %+v, want one", cl.Repos())
	}
	mustFresh(t, cl, module+"ca1/a.roa", "ca1")
	mustFresh(t, cl, module+"ca2/a.roa", "ca2")
}

func TestStopAtSkipsNetwork(t *testing.T) {
	srv := newServer(t)
	notify := srv.publishRepo(1, updateXML("snapshot", 1, nil), nil, nil)
	cfg := config(srv.Server)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return clock }
	cfg.StopAt = clock
	cl := New(openCache(t), cfg)
	if fresh, err := cl.Sync(t.Context(), notify, closedRsync(t)+"ca/"); err != nil || fresh {
		t.Fatalf("Sync = %v, %v; want false, nil", fresh, err)
	}
	if n := srv.hitsOf("/notify.xml"); n != 0 {
		t.Errorf("notification fetched %d times after StopAt", n)
	}
	if f := fact(t, cl, notify); f.Protocol != ProtoCache {
		t.Errorf("fact = %+v", f)
	}
}

func TestRsyncRepositoryAndPromote(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ca/a.roa": "a", "ca/m.mft": "m", "ca/sub/x.cer": "x"})
	module := startDaemon(t, dir)
	repo := module + "ca/"
	cl := New(openCache(t), Config{NoRRDP: true})
	fresh, err := cl.Sync(t.Context(), "https://unused.invalid/notify.xml", repo)
	if err != nil || !fresh {
		t.Fatalf("Sync = %v, %v (facts %+v)", fresh, err, cl.Repos())
	}
	if got := names(t, cl, repo); !slices.Equal(got, []string{"a.roa", "m.mft"}) {
		t.Errorf("List = %q", got)
	}
	if err := cl.Promote(repo, map[string][sha256.Size]byte{"a.roa": sha256.Sum256([]byte("a"))}); err != nil {
		t.Fatal(err)
	}
	if got, err := cl.Valid(repo + "a.roa"); err != nil || string(got) != "a" {
		t.Errorf("Valid = %q, %v", got, err)
	}
	if _, err := cl.Valid(repo + "m.mft"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Valid(unpromoted) error = %v", err)
	}
	if f := fact(t, cl, module); f.Protocol != ProtoRsync || f.State != StateOK {
		t.Errorf("fact = %+v", f)
	}
}

func TestTACertificate(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ta/ta.cer": "rsync TA"})
	module := startDaemon(t, dir)
	srv := newServer(t)
	srv.set("/ta/ta.cer", []byte("https TA"))
	cl := New(openCache(t), config(srv.Server))

	httpsURI := srv.URL + "/ta/ta.cer"
	if fresh, err := cl.Sync(t.Context(), "", httpsURI); err != nil || !fresh {
		t.Fatalf("https Sync = %v, %v (facts %+v)", fresh, err, cl.Repos())
	}
	mustFresh(t, cl, httpsURI, "https TA")
	rsyncURI := module + "ta/ta.cer"
	if fresh, err := cl.Sync(t.Context(), "", rsyncURI); err != nil || !fresh {
		t.Fatalf("rsync Sync = %v, %v (facts %+v)", fresh, err, cl.Repos())
	}
	mustFresh(t, cl, rsyncURI, "rsync TA")
	missing := srv.URL + "/ta/missing.cer"
	if fresh, err := cl.Sync(t.Context(), "", missing); err != nil || fresh {
		t.Fatalf("missing Sync = %v, %v; want false, nil", fresh, err)
	}
	if f := fact(t, cl, missing); f.State != StateFailed || f.Protocol != ProtoHTTPS {
		t.Errorf("fact = %+v", f)
	}
}

func TestSyncCancelled(t *testing.T) {
	srv := newServer(t)
	notify := srv.publishRepo(1, updateXML("snapshot", 1, nil), nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	cl := New(openCache(t), config(srv.Server))
	if fresh, err := cl.Sync(ctx, notify, closedRsync(t)+"ca/"); err == nil || fresh {
		t.Fatalf("Sync = %v, %v; want false and an error", fresh, err)
	}
}

func TestRRDPGzip(t *testing.T) {
	srv := newServer(t)
	repo := closedRsync(t) + "ca/"
	notify := srv.publishRepo(1, updateXML("snapshot", 1, []elem{{uri: repo + "a.roa", content: []byte("a")}}), nil, nil)
	gz := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "want gzip", http.StatusBadRequest)
			return
		}
		srv.mu.Lock()
		body := srv.docs[r.URL.Path]
		srv.mu.Unlock()
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(body)
		zw.Close()
	}))
	defer gz.Close()
	// The same documents, served compressed on the other server's origin.
	notify = strings.Replace(notify, srv.URL, gz.URL, 1)
	srv.mu.Lock()
	srv.docs["/notify.xml"] = []byte(strings.ReplaceAll(string(srv.docs["/notify.xml"]), srv.URL, gz.URL))
	srv.mu.Unlock()
	cl := New(openCache(t), config(gz))
	if fresh, err := cl.Sync(t.Context(), notify, repo); err != nil || !fresh {
		t.Fatalf("Sync = %v, %v (facts %+v)", fresh, err, cl.Repos())
	}
	mustFresh(t, cl, repo+"a.roa", "a")
}

// A TA certificate fetched again unchanged is not written again (no
// write, no fsync on every run); a changed one replaces the old.
func TestTACertificateUnchangedNotRewritten(t *testing.T) {
	srv := newServer(t)
	srv.set("/ta/ta.cer", []byte("TA one"))
	dir := t.TempDir()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uri := srv.URL + "/ta/ta.cer"
	u, err := cache.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, string(cache.AreaTA), taDownloadPrefix(u)+u.Path())
	inode := func() uint64 {
		t.Helper()
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	fetch := func(want string) {
		t.Helper()
		cl := New(c, config(srv.Server)) // a client per run
		if fresh, err := cl.Sync(t.Context(), "", uri); err != nil || !fresh {
			t.Fatalf("Sync = %v, %v", fresh, err)
		}
		mustFresh(t, cl, uri, want)
	}
	fetch("TA one")
	first := inode()
	fetch("TA one")
	if inode() != first {
		t.Error("an unchanged TA certificate was written again")
	}
	srv.set("/ta/ta.cer", []byte("TA two"))
	fetch("TA two")
	if inode() == first {
		t.Error("a changed TA certificate kept the old file")
	}
}
