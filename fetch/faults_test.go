package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/fetchtest"
)

// notice is a notification document with every field under the test's
// control, for the fault table.
type notice struct {
	session  string
	serial   int
	snapURI  string
	snapHash []byte // the bytes whose hash is listed
	deltas   []noticeDelta
}

type noticeDelta struct {
	serial int
	uri    string
	doc    []byte // the bytes whose hash is listed
}

func (n notice) xml() []byte {
	var refs []fetchtest.DeltaRef
	for _, d := range n.deltas {
		refs = append(refs, fetchtest.DeltaRef{Serial: d.serial, URI: d.uri, Hashed: d.doc})
	}
	return fetchtest.NotificationDoc(n.session, n.serial, n.snapURI, n.snapHash, refs)
}

// doc is an RRDP snapshot or delta of any session.
func doc(kind, sess string, serial int, elems []elem) []byte {
	return fetchtest.UpdateDoc(kind, sess, serial, toElems(elems))
}

const session2 = "0c6f31e1-4a2b-4e36-9b0f-5a7e2d1c3b4a"

// TestRRDPFaults starts each case from a good copy of a repository at
// serial 5 (a.roa = "a1", c.crl = "c1"), lets the server publish a faulty
// (or, for the controls, a good) update and checks what the sync returns,
// which documents it fetched, and what the cache holds afterwards. rsync
// is unreachable, so a failed RRDP sync is not fresh. A failure must leave
// the previous copy and its state exactly as they were.
func TestRRDPFaults(t *testing.T) {
	type outcome struct {
		fresh   bool
		serial  uint64 // state afterwards
		session string
		a       string            // a.roa in the copy afterwards; "" for gone
		hits    map[string]int    // path → GETs in the second sync
		errHas  string            // in the RRDP fact's Err when not fresh
		files   map[string]string // other files expected in the copy
	}
	type env struct {
		srv    *server
		repo   string // caRepository, ends in "/"
		module string
	}
	a1, c1 := []byte("a1"), []byte("c1")
	cases := []struct {
		name    string
		publish func(e env) // serves the second notification and its documents
		want    outcome
	}{
		{
			name: "good delta (control)",
			publish: func(e env) {
				d := doc("delta", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a2"), replaces: a1}})
				e.srv.set("/d6.xml", d)
				e.srv.set("/s6.xml", doc("snapshot", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}}))
				e.srv.set("/notify.xml", notice{session, 6, e.srv.URL + "/s6.xml",
					doc("snapshot", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}}),
					[]noticeDelta{{6, e.srv.URL + "/d6.xml", d}}}.xml())
			},
			want: outcome{fresh: true, serial: 6, session: session, a: "a2",
				hits: map[string]int{"/d6.xml": 1, "/s6.xml": 0}, files: map[string]string{"c.crl": "c1"}},
		},
		{
			name: "truncated snapshot",
			publish: func(e env) {
				full := doc("snapshot", session2, 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				cut := full[:len(full)/2]
				e.srv.set("/s.xml", cut)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", cut, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1},
				errHas: "snapshot"},
		},
		{
			name: "snapshot hash mismatch",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", []byte("other"), nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1}, errHas: "hash"},
		},
		{
			name: "delta hash mismatch loads the snapshot",
			publish: func(e env) {
				d := doc("delta", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a2"), replaces: a1}})
				s := doc("snapshot", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a3")}})
				e.srv.set("/d6.xml", d)
				e.srv.set("/s6.xml", s)
				e.srv.set("/notify.xml", notice{session, 6, e.srv.URL + "/s6.xml", s,
					[]noticeDelta{{6, e.srv.URL + "/d6.xml", []byte("not the delta")}}}.xml())
			},
			want: outcome{fresh: true, serial: 6, session: session, a: "a3",
				hits: map[string]int{"/d6.xml": 1, "/s6.xml": 1}},
		},
		{
			name: "delta and snapshot both bad: copy untouched",
			publish: func(e env) {
				d := doc("delta", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a2"), replaces: a1}})
				s := doc("snapshot", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a3")}})
				e.srv.set("/d6.xml", d)
				e.srv.set("/s6.xml", s)
				e.srv.set("/notify.xml", notice{session, 6, e.srv.URL + "/s6.xml", []byte("x"),
					[]noticeDelta{{6, e.srv.URL + "/d6.xml", []byte("y")}}}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", files: map[string]string{"c.crl": "c1"},
				hits: map[string]int{"/d6.xml": 1, "/s6.xml": 1}, errHas: "hash"},
		},
		{
			name: "new session id, snapshot of another serial",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				d := doc("delta", session2, 6, []elem{{uri: e.repo + "b.roa", content: []byte("b")}})
				e.srv.set("/s.xml", s)
				e.srv.set("/d6.xml", d)
				e.srv.set("/notify.xml", notice{session2, 6, e.srv.URL + "/s.xml", s,
					[]noticeDelta{{6, e.srv.URL + "/d6.xml", d}}}.xml())
			},
			// The snapshot says serial 1 but the notification 6: refused.
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1, "/d6.xml": 0},
				errHas: "serial"},
		},
		{
			name: "new session id with a matching snapshot",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{fresh: true, serial: 1, session: session2, a: "a2", hits: map[string]int{"/s.xml": 1},
				files: map[string]string{"c.crl": ""}},
		},
		{
			name: "serial regression reloads the snapshot",
			publish: func(e env) {
				s := doc("snapshot", session, 3, []elem{{uri: e.repo + "a.roa", content: []byte("a0")}})
				e.srv.set("/s3.xml", s)
				e.srv.set("/notify.xml", notice{session, 3, e.srv.URL + "/s3.xml", s, nil}.xml())
			},
			want: outcome{fresh: true, serial: 3, session: session, a: "a0", hits: map[string]int{"/s3.xml": 1}},
		},
		{
			name: "301 deltas behind loads the snapshot",
			publish: func(e env) {
				var ds []noticeDelta
				for s := 6; s <= 306; s++ {
					d := doc("delta", session, s, []elem{{uri: e.repo + fmt.Sprintf("x%d.roa", s), content: []byte("x")}})
					e.srv.set(fmt.Sprintf("/d%d.xml", s), d)
					ds = append(ds, noticeDelta{s, e.srv.URL + fmt.Sprintf("/d%d.xml", s), d})
				}
				s := doc("snapshot", session, 306, []elem{{uri: e.repo + "a.roa", content: []byte("a306")}})
				e.srv.set("/s306.xml", s)
				e.srv.set("/notify.xml", notice{session, 306, e.srv.URL + "/s306.xml", s, ds}.xml())
			},
			want: outcome{fresh: true, serial: 306, session: session, a: "a306",
				hits: map[string]int{"/s306.xml": 1, "/d6.xml": 0, "/d306.xml": 0}},
		},
		{
			name: "300 deltas behind applies them",
			publish: func(e env) {
				var ds []noticeDelta
				for s := 6; s <= 305; s++ {
					d := doc("delta", session, s, []elem{{uri: e.repo + fmt.Sprintf("x%d.roa", s), content: []byte("x")}})
					e.srv.set(fmt.Sprintf("/d%d.xml", s), d)
					ds = append(ds, noticeDelta{s, e.srv.URL + fmt.Sprintf("/d%d.xml", s), d})
				}
				s := doc("snapshot", session, 305, nil)
				e.srv.set("/s305.xml", s)
				e.srv.set("/notify.xml", notice{session, 305, e.srv.URL + "/s305.xml", s, ds}.xml())
			},
			want: outcome{fresh: true, serial: 305, session: session, a: "a1",
				hits:  map[string]int{"/s305.xml": 0, "/d6.xml": 1, "/d305.xml": 1},
				files: map[string]string{"x6.roa": "x", "x305.roa": "x"}},
		},
		{
			name: "delta with neither publish nor withdraw",
			publish: func(e env) {
				d := doc("delta", session, 6, nil)
				s := doc("snapshot", session, 6, []elem{{uri: e.repo + "a.roa", content: []byte("a6")}})
				e.srv.set("/d6.xml", d)
				e.srv.set("/s6.xml", s)
				e.srv.set("/notify.xml", notice{session, 6, e.srv.URL + "/s6.xml", s,
					[]noticeDelta{{6, e.srv.URL + "/d6.xml", d}}}.xml())
			},
			want: outcome{fresh: true, serial: 6, session: session, a: "a6",
				hits: map[string]int{"/d6.xml": 1, "/s6.xml": 1}},
		},
		{
			name: "non-UUID session id",
			publish: func(e env) {
				s := doc("snapshot", "not-a-uuid", 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{"not-a-uuid", 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 0}, errHas: "session"},
		},
		{
			name: "snapshot on another host",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{{uri: e.repo + "a.roa", content: []byte("a2")}})
				e.srv.set("/s.xml", s)
				other := strings.Replace(e.srv.URL, "127.0.0.1", "[::1]", 1)
				e.srv.set("/notify.xml", notice{session2, 1, other + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 0}, errHas: "9674"},
		},
		{
			name: "publish URI outside the repository",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{
					{uri: e.repo + "a.roa", content: []byte("a2")},
					{uri: strings.Replace(e.module, "/repo/", "/elsewhere/", 1) + "x.roa", content: []byte("x")},
				})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1},
				errHas: "not a file under the repository"},
		},
		{
			name: "path traversal in a publish URI",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{
					{uri: e.repo + "a.roa", content: []byte("a2")},
					{uri: e.repo + "../../../../../../tmp/escape.roa", content: []byte("x")},
				})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1}, errHas: ".."},
		},
		{
			name: "encoded path traversal in a publish URI",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{
					{uri: e.repo + "%2e%2e/%2e%2e/escape.roa", content: []byte("x")},
				})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1}, errHas: "%"},
		},
		{
			name: "object over 8 MB",
			publish: func(e env) {
				s := doc("snapshot", session2, 1, []elem{
					{uri: e.repo + "a.roa", content: []byte("a2")},
					{uri: e.repo + "big.roa", content: bytes.Repeat([]byte{'x'}, MaxObjectSize+1)},
				})
				e.srv.set("/s.xml", s)
				e.srv.set("/notify.xml", notice{session2, 1, e.srv.URL + "/s.xml", s, nil}.xml())
			},
			want: outcome{serial: 5, session: session, a: "a1", hits: map[string]int{"/s.xml": 1}, errHas: "larger than 8388608"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			module := closedRsync(t)
			e := env{srv: srv, repo: module + "ca/", module: module}
			ch := openCache(t)
			s5 := doc("snapshot", session, 5, []elem{{uri: e.repo + "a.roa", content: a1}, {uri: e.repo + "c.crl", content: c1}})
			srv.set("/s5.xml", s5)
			srv.set("/notify.xml", notice{session, 5, srv.URL + "/s5.xml", s5, nil}.xml())
			notify := srv.URL + "/notify.xml"
			if fresh, err := New(ch, config(srv.Server)).Sync(t.Context(), notify, e.repo); err != nil || !fresh {
				t.Fatalf("first Sync = %v, %v", fresh, err)
			}
			tc.publish(e)
			before := map[string]int{}
			for p := range tc.want.hits {
				before[p] = srv.hitsOf(p)
			}
			cl := New(ch, config(srv.Server))
			fresh, err := cl.Sync(t.Context(), notify, e.repo)
			if err != nil || fresh != tc.want.fresh {
				t.Fatalf("Sync = %v, %v; want %v, nil (facts %+v)", fresh, err, tc.want.fresh, cl.Repos())
			}
			for p, n := range tc.want.hits {
				if got := srv.hitsOf(p) - before[p]; got != n {
					t.Errorf("%s fetched %d times, want %d", p, got, n)
				}
			}
			f := fact(t, cl, notify)
			if !tc.want.fresh && !strings.Contains(f.Err, tc.want.errHas) {
				t.Errorf("fact error %q does not mention %q", f.Err, tc.want.errHas)
			}
			if tc.want.fresh && (f.State != StateOK || f.Protocol != ProtoRRDP) {
				t.Errorf("fact = %+v, want rrdp ok", f)
			}
			st, err := ch.LoadRRDPState(notify)
			if err != nil || st == nil || st.Serial != tc.want.serial || st.SessionID != tc.want.session {
				t.Errorf("state = %+v, %v; want session %s serial %d", st, err, tc.want.session, tc.want.serial)
			}
			files := map[string]string{"a.roa": tc.want.a}
			for k, v := range tc.want.files {
				files[k] = v
			}
			for name, want := range files {
				got, err := ch.ReadFile(cache.AreaRRDP, cache.RRDPDir(notify)+"/"+pathOf(t, e.repo+name))
				switch {
				case want == "" && !errors.Is(err, fs.ErrNotExist):
					t.Errorf("%s in the copy: %q, %v; want none", name, got, err)
				case want != "" && (err != nil || string(got) != want):
					t.Errorf("%s in the copy = %q, %v; want %q", name, got, err, want)
				}
			}
			assertNoStage(t, ch)
		})
	}
}

func pathOf(t *testing.T, uri string) string {
	t.Helper()
	u, err := cache.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path()
}

// assertNoStage checks that no staging or old copy is left in the rrdp
// area, and nothing escaped the cache.
func assertNoStage(t *testing.T, ch *cache.Cache) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(ch.Dir(), string(cache.AreaRRDP)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the rrdp area: %s", e.Name())
		}
	}
}

// A drip-feeding server sends a byte of the notification every 100 ms,
// never idle long enough for the idle timeout: the repository deadline
// ends the sync, which then counts as timed out.
func TestRRDPDripFeed(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	defer close(stop)
	cfg := config(srv)
	cfg.RepoTimeout = time.Second
	cl := New(openCache(t), cfg)
	start := time.Now()
	fresh, err := cl.Sync(t.Context(), srv.URL+"/notify.xml", closedRsync(t)+"ca/")
	if err != nil || fresh {
		t.Fatalf("Sync = %v, %v; want false, nil", fresh, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Sync took %s with a 1 s repository deadline", d)
	}
	if f := fact(t, cl, srv.URL+"/notify.xml"); f.State != StateTimeout {
		t.Errorf("fact = %+v, want state timeout", f)
	}
}
