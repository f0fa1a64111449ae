package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch/fetchtest"
	"github.com/tally-rpki/tally/output/outputtest"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// testCA signs the certificates of every HTTPS server the tests start;
// TestMain points SSL_CERT_FILE at it before anything reads the system
// roots, which Go does once per process.
var testCA *fetchtest.CA

func TestMain(m *testing.M) {
	if os.Getenv("TALLY_TEST_AS_MAIN") == "1" {
		// A child started by a test to be killed: be tally itself.
		os.Exit(run(context.Background(), append([]string{"tally"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "tally-test-ca")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCA, err = fetchtest.NewCA(dir, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SSL_CERT_FILE", testCA.CertFile)
	os.Setenv("SSL_CERT_DIR", dir) // no system certificates: only the test CA
	status := m.Run()
	os.RemoveAll(dir)
	os.Exit(status)
}

const (
	session1 = "5a0f9a4e-8d3c-4b8e-9f0e-0c2d8a7b6e51"
	session2 = "c3e1b2a4-7f6d-4e5c-8b9a-1d2e3f4a5b6c"
)

// world is a small RPKI served on loopback: a TA whose certificate is on
// an HTTPS server (first TAL URI) and in an rsync module (second), with
// three CAs: ca1 publishing through the RRDP repository r1 (which also
// holds the TA's publication point), ca2 through r2, ca3 by rsync only.
// Every publication point is also in the rsync modules, as real
// repositories do, so rsync can stand in when RRDP fails.
type world struct {
	t       *testing.T
	srv     *fetchtest.Server
	daemon  *fetchtest.Daemon
	modDir  map[string]string // rsync module → directory
	r1, r2  *fetchtest.Repo
	ta      *objecttest.Issuer
	cas     []*objecttest.Issuer // ca1, ca2, ca3
	roas    [][]objecttest.Object
	number  int64 // manifest and CRL number of the next publish
	talFile string
	dir     string
	// until, when set, is every notAfter and nextUpdate, instead of
	// objecttest's a year and a day after objecttest.Now.
	until time.Time
}

func newWorld(t *testing.T) *world { return newWorldUntil(t, time.Time{}) }

func newWorldUntil(t *testing.T, until time.Time) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), modDir: map[string]string{}, number: 1, until: until}
	for _, m := range []string{"repo", "repo2", "repo3"} {
		w.modDir[m] = filepath.Join(w.dir, "modules", m)
		if err := os.MkdirAll(w.modDir[m], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.daemon = fetchtest.Rsyncd(t, w.modDir)
	w.srv = testCA.NewServer(t)
	w.r1 = w.srv.NewRepo("/r1", session1)
	w.r2 = w.srv.NewRepo("/r2", session2)
	base := w.daemon.URL
	ks := objecttest.NewKeySource(7)
	w.ta = ks.NewTA(objecttest.CertSpec{URI: base + "repo/ta.cer", Repo: base + "repo/ta/", Notify: w.r1.NotifyURI(),
		NotAfter: until})
	w.cas = []*objecttest.Issuer{
		w.ta.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16", "2001:db8:1::/48"}, AS: []string{"AS64501"},
			Repo: base + "repo/ca1/", Notify: w.r1.NotifyURI(), NotAfter: until}),
		w.ta.CA(objecttest.CertSpec{IP: []string{"10.2.0.0/16"}, AS: []string{"AS64502"},
			Repo: base + "repo2/ca2/", Notify: w.r2.NotifyURI(), NotAfter: until}),
		w.ta.CA(objecttest.CertSpec{IP: []string{"10.3.0.0/16"}, AS: []string{"AS64503"},
			Repo: base + "repo3/ca3/", NoNotify: true, NotAfter: until}),
	}
	w.roas = make([][]objecttest.Object, len(w.cas))
	for i, ca := range w.cas {
		w.roas[i] = []objecttest.Object{
			w.roa(ca, "a.roa", 64500+int64(i+1), fmt.Sprintf("10.%d.1.0/24", i+1)),
			w.roa(ca, "b.roa", 64500+int64(i+1), fmt.Sprintf("10.%d.2.0/24", i+1)),
		}
	}
	w.roas[0] = append(w.roas[0], ca1v6(w))
	w.talFile = filepath.Join(w.dir, "test.tal")
	writeFile(t, w.talFile, w.ta.TAL(w.srv.URL+"/ta.cer", w.ta.URI))
	return w
}

func ca1v6(w *world) objecttest.Object {
	ca := w.cas[0]
	return ca.ROA(objecttest.ROASpec{ASID: 64501, Prefixes: []objecttest.ROAPrefix{{Prefix: "2001:db8:1::/48", MaxLength: 64}},
		EE: objecttest.CertSpec{URI: ca.Repo + "v6.roa", NotAfter: w.until}})
}

// roa issues a ROA of one prefix named name in ca's publication point.
func (w *world) roa(ca *objecttest.Issuer, name string, asn int64, prefix string) objecttest.Object {
	return ca.ROA(objecttest.ROASpec{ASID: asn, Prefixes: []objecttest.ROAPrefix{{Prefix: prefix}},
		EE: objecttest.CertSpec{URI: ca.Repo + name, NotAfter: w.until}})
}

// publish writes every publication point, with a new manifest and CRL,
// to the rsync modules and as a new serial of both RRDP repositories.
func (w *world) publish() {
	w.t.Helper()
	n := w.number
	w.number++
	point := func(iss *objecttest.Issuer, objs []objecttest.Object) []objecttest.Object {
		crl := iss.CRL(objecttest.CRLSpec{Number: n, NextUpdate: w.until})
		files := append([]objecttest.Object{crl}, objs...)
		return append(files, iss.Manifest(objecttest.MftSpec{Number: n, Files: files, NextUpdate: w.until}))
	}
	taPoint := point(w.ta, []objecttest.Object{w.cas[0].Object, w.cas[1].Object, w.cas[2].Object})
	r1 := map[string][]byte{}
	r2 := map[string][]byte{}
	// The rsync modules hold exactly the current files.
	for _, d := range w.modDir {
		if err := os.RemoveAll(d); err != nil {
			w.t.Fatal(err)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			w.t.Fatal(err)
		}
	}
	put := func(o objecttest.Object, rrdp map[string][]byte) {
		rel := strings.TrimPrefix(o.URI, w.daemon.URL)
		if strings.Contains(rel, "..") || strings.Contains(rel, "%") {
			return // a hostile URI: the test itself must not follow it
		}
		writeFile(w.t, filepath.Join(w.dir, "modules", filepath.FromSlash(rel)), o.DER)
		if rrdp != nil {
			rrdp[o.URI] = o.DER
		}
	}
	put(w.ta.Object, nil)
	w.srv.Set("/ta.cer", w.ta.DER)
	for _, o := range taPoint {
		put(o, r1)
	}
	for i, repo := range []map[string][]byte{r1, r2, nil} {
		for _, o := range point(w.cas[i], w.roas[i]) {
			put(o, repo)
		}
	}
	w.r1.Publish(r1)
	w.r2.Publish(r2)
}

// run runs tally on the world with the given extra flags and returns the
// exit status, the VRPs of the CSV output ("AS64501 10.1.1.0/24 24") and
// stderr.
func (w *world) run(extra ...string) (int, []string, string) {
	w.t.Helper()
	out := filepath.Join(w.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		w.t.Fatal(err)
	}
	args := append([]string{"-t", w.talFile, "-d", filepath.Join(w.dir, "cache"), "-P",
		objecttest.Now().Format(time.RFC3339), "-c"}, extra...)
	status, _, stderr := runTally(w.t, append(args, out)...)
	return status, readVRPs(w.t, filepath.Join(out, "csv")), stderr
}

// readVRPs reads a CSV output; a missing file has none.
func readVRPs(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var vrps []string
	for _, r := range rows[1:] {
		vrps = append(vrps, r[0]+" "+r[1]+" "+r[2])
	}
	slices.Sort(vrps)
	return vrps
}

// vrpsOf lists the VRPs the CAs of the world give; indexes select CAs.
func allVRPs(cas ...int) []string {
	byCA := [][]string{
		{"AS64501 10.1.1.0/24 24", "AS64501 10.1.2.0/24 24", "AS64501 2001:db8:1::/48 64"},
		{"AS64502 10.2.1.0/24 24", "AS64502 10.2.2.0/24 24"},
		{"AS64503 10.3.1.0/24 24", "AS64503 10.3.2.0/24 24"},
	}
	var out []string
	for _, i := range cas {
		out = append(out, byCA[i]...)
	}
	slices.Sort(out)
	return out
}

func wantVRPs(t *testing.T, step string, got, want []string) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: VRPs (-want +got):\n%s", step, diff)
	}
}

// The whole path: TA over https, two RRDP repositories and an rsync-only
// one synced and validated; then r1 publishes a delta (a ROA added, one
// withdrawn, one replaced) and the next run applies the delta, not the
// snapshot, and the VRPs follow; a third run with -n validates what the
// cache holds without touching the network.
func TestFetchEndToEnd(t *testing.T) {
	w := newWorld(t)
	w.publish()
	status, vrps, stderr := w.run()
	if status != exitOK {
		t.Fatalf("first run: status %d\n%s", status, stderr)
	}
	wantVRPs(t, "first run", vrps, allVRPs(0, 1, 2))
	for _, p := range []string{w.r1.SnapshotPath(1), w.r2.SnapshotPath(1), "/ta.cer"} {
		if n := w.srv.Hits(p); n != 1 {
			t.Errorf("first run: %s fetched %d times, want 1", p, n)
		}
	}

	ca1 := w.cas[0]
	w.roas[0] = []objecttest.Object{
		w.roa(ca1, "a.roa", 64511, "10.1.1.0/24"), // replaced: another origin
		w.roa(ca1, "c.roa", 64501, "10.1.3.0/24"), // added; b.roa withdrawn
		ca1v6(w),
	}
	w.publish()
	status, vrps, stderr = w.run()
	if status != exitOK {
		t.Fatalf("second run: status %d\n%s", status, stderr)
	}
	want := append(allVRPs(1, 2), "AS64511 10.1.1.0/24 24", "AS64501 10.1.3.0/24 24", "AS64501 2001:db8:1::/48 64")
	slices.Sort(want)
	wantVRPs(t, "second run", vrps, want)
	if d, s := w.srv.Hits(w.r1.DeltaPath(2)), w.srv.Hits(w.r1.SnapshotPath(2)); d != 1 || s != 0 {
		t.Errorf("second run: delta fetched %d times, snapshot %d; want 1 and 0", d, s)
	}

	// Offline: the same VRPs, no request at all.
	hits := w.srv.Hits(w.r1.NotifyURI()[len(w.srv.URL):])
	status, vrps, stderr = w.run("-n")
	if status != exitOK {
		t.Fatalf("offline run: status %d\n%s", status, stderr)
	}
	wantVRPs(t, "offline run", vrps, want)
	if n := w.srv.Hits("/r1/notify.xml"); n != hits {
		t.Errorf("offline run fetched the notification")
	}
	if strings.Contains(stderr, "repository sync failed") {
		t.Errorf("offline run reports a failed repository although the cache holds them all:\n%s", stderr)
	}
	// Nothing changed since the last run: the memo answers every signature.
	status, vrps, stderr = w.run("-n", "-v")
	if status != exitOK || !strings.Contains(stderr, `msg="signature memo"`) || !strings.Contains(stderr, "verified=0") {
		t.Errorf("rerun: status %d; want the memo to answer everything:\n%s", status, grepLines(stderr, "memo"))
	}
	wantVRPs(t, "memo rerun", vrps, want)
	status, vrps, stderr = w.run("-n", "-v", "--no-memo")
	if status != exitOK || strings.Contains(stderr, "signature memo") {
		t.Errorf("--no-memo: status %d, memo used:\n%s", status, grepLines(stderr, "memo"))
	}
	wantVRPs(t, "no memo", vrps, want)

	// A byte of the cached c.roa changes in place (so in the validated
	// copy too, a hard link of the same file): the next run finds its
	// hash differs from the manifest's, says so, and ca1's point gives
	// nothing, memo or not.
	var cached []string
	filepath.WalkDir(filepath.Join(w.dir, "cache"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "c.roa" {
			cached = append(cached, p)
		}
		return nil
	})
	if len(cached) == 0 {
		t.Fatal("c.roa not found in the cache")
	}
	data, err := os.ReadFile(cached[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached[0], objecttest.FlipByte(data, len(data)/2), 0o644); err != nil {
		t.Fatal(err)
	}
	status, vrps, stderr = w.run("-n", "-v")
	if status != exitOK || !strings.Contains(stderr, "c.roa: RFC 9286 §6.5") {
		t.Errorf("after a flipped byte in the cache: status %d, c.roa not named with RFC 9286 §6.5:\n%s", status, stderr)
	}
	wantVRPs(t, "flipped byte in the cache", vrps, allVRPs(1, 2))
}

// After a good run the rsync server goes away: the next run validates
// ca3 from the validated store, exits 0, and names the failed sync.
func TestFetchRsyncGoneAfterGoodRun(t *testing.T) {
	w := newWorld(t)
	w.publish()
	if status, vrps, stderr := w.run(); status != exitOK || !slices.Equal(vrps, allVRPs(0, 1, 2)) {
		t.Fatalf("first run: status %d, VRPs %q\n%s", status, vrps, stderr)
	}
	// inspect finds a URI's validated copy in the cache.
	uri := w.roas[2][0].URI
	status, stdout, stderr := runTally(t, "inspect", "--json", "-d", filepath.Join(w.dir, "cache"), uri)
	if status != exitOK || !strings.Contains(stdout, `"valid":true`) || !strings.Contains(stdout, "10.3.1.0/24") {
		t.Errorf("inspect %s: status %d\n%s%s", uri, status, stdout, stderr)
	}
	w.daemon.Stop()
	status, vrps, stderr := w.run()
	if status != exitOK {
		t.Fatalf("second run: status %d\n%s", status, stderr)
	}
	wantVRPs(t, "rsync gone", vrps, allVRPs(0, 1, 2))
	if !strings.Contains(stderr, "repo3") {
		t.Errorf("stderr does not name the failed rsync module:\n%s", stderr)
	}
}

// RRDP down (r2's notification answers 503, the TA's https URI 404), rsync
// up: ca2 falls back to rsync and the TA certificate comes from its rsync
// URI; every VRP is there.
func TestFetchRRDPDownRsyncUp(t *testing.T) {
	w := newWorld(t)
	w.publish()
	w.srv.Fail("/r2/notify.xml", 503)
	w.srv.Fail("/ta.cer", 404)
	status, vrps, stderr := w.run("-m")
	if status != exitOK {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	wantVRPs(t, "fallback", vrps, allVRPs(0, 1, 2))
	metrics := readFile(t, filepath.Join(w.dir, "out", "metrics"))
	line := fmt.Sprintf(`tally_repository_protos{tally_repository_protos="rsync",carepo="%srepo2/ca2/",notify="%s"} 1`,
		w.daemon.URL, w.r2.NotifyURI())
	if !strings.Contains(metrics, line) {
		t.Errorf("metrics lack %s:\n%s", line, grepLines(metrics, "repository_protos"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Two runs on one cache: the second exits 1 at once naming the lock.
func TestFetchCacheLocked(t *testing.T) {
	w := newWorld(t)
	w.publish()
	held, err := cache.Open(filepath.Join(w.dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	start := time.Now()
	status, _, stderr := w.run()
	if status != exitFatal || !strings.Contains(stderr, filepath.Join(w.dir, "cache", ".lock")) {
		t.Errorf("status %d, stderr %q; want 1 naming the lock file", status, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("locked run took %s; it must not wait", d)
	}
	if w.srv.Hits("/r1/notify.xml") != 0 {
		t.Errorf("locked run fetched")
	}
}

// ca3's repository is on a server that accepts connections and never
// says a word: its rsync is killed at the repository deadline (a quarter
// of --timeout), the run finishes well within its timeout with every
// other VRP, and no rsync process is left behind.
func TestFetchServerNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accept, then silence
		}
	}()
	w := newWorld(t)
	port := l.Addr().(*net.TCPAddr).Port
	silent := strings.Replace(w.daemon.URL, ":"+strconv.Itoa(w.daemon.Port), ":"+strconv.Itoa(port), 1)
	w.cas[2] = w.ta.CA(objecttest.CertSpec{IP: []string{"10.3.0.0/16"}, AS: []string{"AS64503"},
		Repo: silent + "repo3/ca3/", NoNotify: true})
	w.roas[2] = nil
	w.publish()
	start := time.Now()
	status, vrps, stderr := w.run("-s", "8")
	elapsed := time.Since(start)
	if status != exitOK {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	wantVRPs(t, "silent server", vrps, allVRPs(0, 1))
	if elapsed > 7*time.Second {
		t.Errorf("run took %s with --timeout 8 (repository deadline 2 s)", elapsed)
	}
	if left := rsyncChildren(t, w.daemon.Pid); len(left) > 0 {
		t.Errorf("rsync processes left: %v", left)
	}
	if !strings.Contains(stderr, silent+"repo3/") {
		t.Errorf("stderr does not name the silent repository:\n%s", stderr)
	}
}

// rsyncChildren lists rsync processes whose parent is this test process,
// the daemon (pid except) aside.
func rsyncChildren(t *testing.T, except int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == except {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(rsync") {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// A CA whose SIA names a caRepository with ".." segments (plain and
// percent-encoded) is rejected with the rule; nothing is written outside
// the cache, and the other CAs are unaffected.
func TestFetchTraversalInSIA(t *testing.T) {
	w := newWorld(t)
	for i, repo := range []string{
		w.daemon.URL + "repo3/../../../../escape1/",
		w.daemon.URL + "repo3/%2e%2e/%2e%2e/escape2/",
	} {
		w.cas[2] = w.ta.CA(objecttest.CertSpec{IP: []string{"10.3.0.0/16"}, AS: []string{"AS64503"},
			Repo: repo, Manifest: w.daemon.URL + "repo3/ca3/x.mft", NoNotify: true})
		w.roas[2] = nil
		w.publish()
		status, vrps, stderr := w.run()
		if status != exitOK {
			t.Fatalf("case %d: status %d\n%s", i, status, stderr)
		}
		wantVRPs(t, "traversal", vrps, allVRPs(0, 1))
		if !strings.Contains(stderr, w.cas[2].URI) {
			t.Errorf("case %d: stderr does not name the CA certificate %s:\n%s", i, w.cas[2].URI, stderr)
		}
	}
	// Where a naive join of the cache directory and the URI would land.
	cacheHost := filepath.Join(w.dir, "cache", "rsync", "127.0.0.1:"+strconv.Itoa(w.daemon.Port), "repo3")
	for _, p := range []string{filepath.Join(cacheHost, "../../../../escape1"), filepath.Join(cacheHost, "../../../../../escape1"),
		filepath.Join(w.dir, "escape1"), filepath.Join(w.dir, "cache", "escape1"), "/tmp/escape1", "/escape1"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("written outside the cache: %s (%v)", p, err)
		}
	}
	filepath.WalkDir(filepath.Dir(w.dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(d.Name(), "escape") || strings.Contains(d.Name(), "%")) {
			t.Errorf("written outside the cache: %s", p)
		}
		return nil
	})
}

// Every URI of the TA fails after a good run (https 404, rsync daemon
// gone): the TA certificate kept from the last run is used, so nothing
// below it is lost.
func TestFetchTAKeptWhenAllURIsFail(t *testing.T) {
	w := newWorld(t)
	w.publish()
	if status, vrps, stderr := w.run(); status != exitOK || !slices.Equal(vrps, allVRPs(0, 1, 2)) {
		t.Fatalf("first run: status %d, VRPs %q\n%s", status, vrps, stderr)
	}
	w.srv.Fail("/ta.cer", 404)
	w.daemon.Stop()
	status, vrps, stderr := w.run()
	if status != exitOK {
		t.Fatalf("second run: status %d\n%s", status, stderr)
	}
	wantVRPs(t, "TA URIs failing", vrps, allVRPs(0, 1, 2))
	if !strings.Contains(stderr, w.srv.URL+"/ta.cer") {
		t.Errorf("stderr does not name the failed TA URI:\n%s", stderr)
	}
}

// A CA that disappears from its parent takes its files with it: after
// the next run neither the validated store nor the rsync area holds its
// publication point, and the JSON output counts the files removed.
func TestFetchSweep(t *testing.T) {
	w := newWorld(t)
	w.publish()
	if status, _, stderr := w.run(); status != exitOK {
		t.Fatalf("first run: status %d\n%s", status, stderr)
	}
	cacheDir := filepath.Join(w.dir, "cache")
	ca3Valid := filepath.Join(cacheDir, "valid", "127.0.0.1:"+strconv.Itoa(w.daemon.Port), "repo3", "ca3")
	ca3Rsync := filepath.Join(cacheDir, "rsync", "127.0.0.1:"+strconv.Itoa(w.daemon.Port), "repo3")
	for _, d := range []string{ca3Valid, ca3Rsync} {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("after the first run: %v", err)
		}
	}
	// ca3 is gone: the TA's publication point lists only ca1 and ca2.
	w.cas[2] = w.ta.CA(objecttest.CertSpec{IP: []string{"10.3.0.0/16"}, AS: []string{"AS64503"},
		Repo: w.daemon.URL + "repo/ca1/sub/", Notify: w.r1.NotifyURI()})
	w.roas[2] = nil
	w.publish()
	status, vrps, stderr := w.run("-j")
	if status != exitOK {
		t.Fatalf("second run: status %d\n%s", status, stderr)
	}
	wantVRPs(t, "after removal", vrps, allVRPs(0, 1))
	for _, d := range []string{ca3Valid, ca3Rsync} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still there after the sweep: %v", d, err)
		}
	}
	js := readFile(t, filepath.Join(w.dir, "out", "json"))
	if !strings.Contains(js, `"cachedir_del_files": `) || strings.Contains(js, `"cachedir_del_files": 0,`) {
		t.Errorf("json does not count the removed files:\n%s", grepLines(js, "cachedir"))
	}
}

// Runs killed with SIGKILL at every point of their work (between 0 and
// 300 ms in, while RRDP snapshots and deltas are applied, the validated
// store is promoted and outputs are written) never leave a cache or an
// output the next run cannot use: every output read between kills is one
// whole result, and a run after the kills gives the current VRPs.
func TestFetchKilledRuns(t *testing.T) {
	w := newWorld(t)
	ca1 := w.cas[0]
	sets := [][]objecttest.Object{w.roas[0], {w.roa(ca1, "a.roa", 64511, "10.1.1.0/24"), ca1v6(w)}}
	wants := [][]string{allVRPs(0, 1, 2), append(allVRPs(1, 2), "AS64511 10.1.1.0/24 24", "AS64501 2001:db8:1::/48 64")}
	slices.Sort(wants[1])
	out := filepath.Join(w.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"-t", w.talFile, "-d", filepath.Join(w.dir, "cache"), "-P", objecttest.Now().Format(time.RFC3339), "-c", out}
	for i := range 16 {
		cur := i % 2
		w.roas[0] = sets[cur]
		w.publish()
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "TALLY_TEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i*20) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if got := readVRPs(t, filepath.Join(out, "csv")); got != nil && !slices.Equal(got, wants[0]) && !slices.Equal(got, wants[1]) {
			t.Fatalf("kill %d: output is neither result:\n%q", i, got)
		}
		if i%4 == 3 {
			status, vrps, stderr := w.run()
			// A tally killed while starting rsync leaves its child
			// between fork and exec holding a copy of the lock's
			// descriptor until the exec closes it, which on a loaded
			// machine can take a moment after the kill: that run has
			// ended, so wait for the lock instead of failing.
			for try := 0; try < 50 && strings.Contains(stderr, "in use by another tally"); try++ {
				time.Sleep(100 * time.Millisecond)
				status, vrps, stderr = w.run()
			}
			if status != exitOK {
				t.Fatalf("run after kill %d: status %d\n%s", i, status, stderr)
			}
			wantVRPs(t, fmt.Sprintf("run after kill %d", i), vrps, wants[cur])
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary output left after a complete run: %s", e.Name())
		}
	}
}

// A run that fails leaves every output as it was, except the metrics,
// which it replaces so the failure shows: the drop guard (exit 3) after
// ca1 and ca3 withdraw all their ROAs.
func TestFailedRunWritesMetricsOnly(t *testing.T) {
	w := newWorld(t)
	w.publish()
	if status, _, stderr := w.run("-j", "-m"); status != exitOK {
		t.Fatalf("first run: status %d\n%s", status, stderr)
	}
	out := filepath.Join(w.dir, "out")
	oldCSV, oldJSON := readFile(t, filepath.Join(out, "csv")), readFile(t, filepath.Join(out, "json"))
	oldMetrics := readFile(t, filepath.Join(out, "metrics"))
	w.roas[0], w.roas[2] = nil, nil
	w.publish()
	status, _, stderr := w.run("-j", "-m", "--max-vrp-drop", "10")
	if status != exitDropGuard {
		t.Fatalf("second run: status %d, want %d\n%s", status, exitDropGuard, stderr)
	}
	if readFile(t, filepath.Join(out, "csv")) != oldCSV || readFile(t, filepath.Join(out, "json")) != oldJSON {
		t.Errorf("csv or json replaced by a failed run")
	}
	metrics := readFile(t, filepath.Join(out, "metrics"))
	if metrics == oldMetrics || !strings.Contains(metrics, "\ntally_run_exit_status 3\n") {
		t.Errorf("metrics do not show exit status 3:\n%s", grepLines(metrics, "tally_run"))
	}
	// The last success is the first run's completion, not this run's.
	first := grepLines(oldMetrics, "tally_job_completion_time ")
	last := grepLines(metrics, "tally_last_success_timestamp_seconds ")
	if first == "" || strings.Fields(first)[1] != strings.Fields(last)[1] {
		t.Errorf("last success %q, want the first run's completion %q", last, first)
	}
}

// An output directory tally may not write into (a run as nobody): exit
// status 1 and every old file intact, temporary files gone.
func TestReadOnlyOutputDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test runs tally as nobody and needs root to do so; CI runs as root")
	}
	w := newWorld(t)
	w.publish()
	if status, _, stderr := w.run(); status != exitOK {
		t.Fatalf("first run: status %d\n%s", status, stderr)
	}
	out := filepath.Join(w.dir, "out")
	old := readFile(t, filepath.Join(out, "csv"))
	// nobody owns the cache and may reach everything, but not write out.
	const nobody = 65534
	bin := filepath.Join(w.dir, "tally.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, bin, data)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The test's own directories (below the system's temporary directory,
	// which is world-searchable already) must be open to nobody.
	for d := w.dir; strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	filepath.WalkDir(filepath.Join(w.dir, "cache"), func(p string, _ os.DirEntry, err error) error {
		if err == nil {
			err = os.Lchown(p, nobody, nobody)
		}
		return err
	})
	filepath.WalkDir(w.talFile, func(p string, _ os.DirEntry, err error) error { return os.Chmod(p, 0o644) })
	cmd := exec.Command(bin, "-t", w.talFile, "-d", filepath.Join(w.dir, "cache"), "-P",
		objecttest.Now().Format(time.RFC3339), "-c", out)
	cmd.Env = append(os.Environ(), "TALLY_TEST_AS_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	stderr, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitFatal {
		t.Fatalf("run as nobody: exit %d (%v), want 1\n%s", code, err, stderr)
	}
	if !strings.Contains(string(stderr), "permission denied") {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
	if got := readFile(t, filepath.Join(out, "csv")); got != old {
		t.Errorf("csv changed")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// A run against the loopback repositories writes all the files, and each
// is accepted by the program that reads it: the json served by StayRTR
// and read back over RTR equals the csv; bird and openbgpd (written with
// -A, as Debian's BIRD 2.0.12 and OpenBGPD 7.7 need) parse; the metrics
// parse as Prometheus text. The world is valid for a year from the real
// clock, since StayRTR drops VRPs whose expiry has passed by it.
func TestOutputsAcceptedByConsumers(t *testing.T) {
	w := newWorldUntil(t, time.Now().AddDate(1, 0, 0).Truncate(time.Second))
	w.publish()
	out := filepath.Join(w.dir, "out")
	status, vrps, stderr := w.run("-j", "-m")
	if status != exitOK {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	wantVRPs(t, "run", vrps, allVRPs(0, 1, 2))
	csvVRPs := outputtest.CSVVRPs(t, filepath.Join(out, "csv"))
	if diff := cmp.Diff(csvVRPs, outputtest.StayRTRVRPs(t, filepath.Join(out, "json"))); diff != "" {
		t.Errorf("VRPs over RTR from the json (-csv +rtr):\n%s", diff)
	}
	families := outputtest.ParseMetrics(t, filepath.Join(out, "metrics"))
	if got := families["tally_run_exit_status"].GetMetric()[0].GetGauge().GetValue(); got != 0 {
		t.Errorf("tally_run_exit_status = %v", got)
	}

	// Every file, for the router daemons Debian ships.
	all := filepath.Join(w.dir, "all")
	if err := os.MkdirAll(all, 0o755); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = runTally(t, "-A", "-t", w.talFile, "-d", filepath.Join(w.dir, "cache"), "-P",
		objecttest.Now().Format(time.RFC3339), all)
	if status != exitOK {
		t.Fatalf("-A: status %d\n%s", status, stderr)
	}
	for _, f := range []string{"json", "csv", "openbgpd", "bird", "bird1v4", "bird1v6", "metrics"} {
		if _, err := os.Stat(filepath.Join(all, f)); err != nil {
			t.Errorf("not written: %v", err)
		}
	}
	outputtest.CheckBIRD(t, filepath.Join(all, "bird"))
	outputtest.CheckOpenBGPD(t, filepath.Join(all, "openbgpd"))
	if got := outputtest.CSVVRPs(t, filepath.Join(all, "csv")); !slices.Equal(got, csvVRPs) {
		t.Errorf("-A changed the VRPs")
	}
}
