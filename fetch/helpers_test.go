package fetch

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/fetchtest"
	"github.com/tally-rpki/tally/validate"
)

// The Client must satisfy validate's interfaces; main wires it in.
var (
	_ validate.Syncer = (*Client)(nil)
	_ validate.Store  = (*Client)(nil)
)

const session = "9df4b597-af9e-4dca-bdda-719cce2c4e28"

// server is a loopback HTTPS server of fixed documents that counts hits.
type server struct {
	*httptest.Server
	mu   sync.Mutex        // guards docs and hits
	docs map[string][]byte // path → body
	hits map[string]int    // path → GETs
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{docs: make(map[string][]byte), hits: make(map[string]int)}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, ok := s.docs[r.URL.Path]
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = body
}

func (s *server) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// config returns a Config trusting the test server.
func config(s *httptest.Server) Config {
	return Config{TLS: s.Client().Transport.(*http.Transport).TLSClientConfig}
}

func openCache(t *testing.T) *cache.Cache {
	t.Helper()
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// elem is one publish or withdraw element (fetchtest.Elem).
type elem struct {
	uri      string
	content  []byte // nil for a withdraw
	replaces []byte // content replaced or withdrawn; nil for a new object
}

func toElems(elems []elem) []fetchtest.Elem {
	out := make([]fetchtest.Elem, len(elems))
	for i, e := range elems {
		out[i] = fetchtest.Elem{URI: e.uri, Content: e.content, Replaces: e.replaces}
	}
	return out
}

// updateXML is a snapshot or delta of the tests' session.
func updateXML(kind string, serial int, elems []elem) []byte {
	return fetchtest.UpdateDoc(kind, session, serial, toElems(elems))
}

// delta is a delta's serial and document for notificationXML.
type delta struct {
	serial int
	doc    []byte
}

// publishRepo serves a notification of serial with the snapshot snap
// (listed with hash snapHash, or snap's own hash when nil) and deltas, and
// returns the notification URI.
func (s *server) publishRepo(serial int, snap []byte, snapHash []byte, deltas []delta) string {
	if snapHash == nil {
		snapHash = snap
	}
	s.set(fmt.Sprintf("/snapshot-%d.xml", serial), snap)
	var refs []fetchtest.DeltaRef
	for _, d := range deltas {
		s.set(fmt.Sprintf("/delta-%d.xml", d.serial), d.doc)
		refs = append(refs, fetchtest.DeltaRef{Serial: d.serial, URI: fmt.Sprintf("%s/delta-%d.xml", s.URL, d.serial), Hashed: d.doc})
	}
	s.set("/notify.xml", fetchtest.NotificationDoc(session, serial, fmt.Sprintf("%s/snapshot-%d.xml", s.URL, serial), snapHash, refs))
	return s.URL + "/notify.xml"
}

// closedRsync returns a module URI on a loopback port nobody listens on,
// so an rsync fallback fails at once without leaving the machine.
func closedRsync(t *testing.T) string {
	return fmt.Sprintf("rsync://127.0.0.1:%d/repo/", freePort(t))
}

// startDaemon serves dir as module "repo" from an rsync daemon on
// 127.0.0.1 and returns the module's URI.
func startDaemon(t *testing.T, dir string) string {
	t.Helper()
	return fetchtest.Rsyncd(t, map[string]string{"repo": dir}).URL + "repo/"
}

func freePort(t *testing.T) int { return fetchtest.FreePort(t) }

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mustFresh checks that uri's fresh content is want.
func mustFresh(t *testing.T, c *Client, uri, want string) {
	t.Helper()
	got, err := c.Fresh(uri)
	if err != nil {
		t.Fatalf("Fresh(%s): %v", uri, err)
	}
	if string(got) != want {
		t.Fatalf("Fresh(%s) = %q, want %q", uri, got, want)
	}
}

// fact returns the one fact about uri.
func fact(t *testing.T, c *Client, uri string) RepoFact {
	t.Helper()
	var found []RepoFact
	for _, f := range c.Repos() {
		if f.URI == uri {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("facts about %s: %+v, want one (all: %+v)", uri, found, c.Repos())
	}
	return found[0]
}

func names(t *testing.T, c *Client, dir string) []string {
	t.Helper()
	n, err := c.List(dir)
	if err != nil {
		t.Fatalf("List(%s): %v", dir, err)
	}
	return slices.Clip(n)
}
