// Package outputtest checks tally's output files with the programs that
// read them: BIRD parses the bird file (bird -p), OpenBGPD the openbgpd
// file (bgpd -n), StayRTR serves the json file over RTR to rtrclient, and
// the Prometheus text parser reads the metrics file, as node_exporter's
// textfile collector does. It is for tests only: it is imported only from
// _test.go files (output's own tests and the end-to-end test of package
// main, which checks the files a real run wrote), and it imports no tally
// package.
//
// Every function takes the path of a file already written. A consumer's
// rejection fails the test with the consumer's output. A missing program
// fails the test too, naming the Debian package to install; it never
// skips, because CI installs them all:
//
//	apt-get install bird2 openbgpd stayrtr rtr-tools
//
// Every process a function starts has stopped when it returns.
package outputtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// toolTimeout bounds every external program a check runs.
const toolTimeout = 30 * time.Second

// requireTool returns the path of a program, failing the test without it.
func requireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): install the Debian package %s", name, err, pkg)
	}
	return path
}

// runTool runs a program to completion and returns its combined output.
func runTool(path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = time.Second // a stray child holding the pipe must not hang the test
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// includeConf writes a configuration file into a new temporary directory,
// head then an include of file (the same in BIRD and OpenBGPD) then tail,
// and returns its path.
func includeConf(t testing.TB, head, file, tail string) string {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	// Neither parser takes Go's escapes in a quoted string.
	if strings.ContainsAny(abs, "\"\\\n") {
		t.Fatalf("cannot include %q: quote, backslash or newline in the path", abs)
	}
	conf := filepath.Join(t.TempDir(), "check.conf")
	text := head + "include \"" + abs + "\"" + tail
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// BIRDVersion returns the major and minor version of the installed BIRD.
func BIRDVersion(t testing.TB) (major, minor int) {
	t.Helper()
	bird := requireTool(t, "bird", "bird2")
	out, err := runTool(bird, "--version")
	if err != nil {
		t.Fatalf("bird --version: %v\n%s", err, out)
	}
	// "BIRD version 2.0.12"
	f := strings.Fields(out)
	if len(f) < 3 {
		t.Fatalf("bird --version: unexpected output %q", out)
	}
	parts := strings.Split(f[2], ".")
	if len(parts) < 2 {
		t.Fatalf("bird --version: unexpected version %q", f[2])
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("bird --version: unexpected version %q", f[2])
	}
	return major, minor
}

// BIRDSupportsASPA reports whether the installed BIRD parses the bird file
// with its ASPA table, which needs BIRD 2.16 or later (FORMATS.md §6.1).
// Debian's BIRD 2.0.12 rejects it at "aspa table"; check the file written
// with the no-ASPA option there.
func BIRDSupportsASPA(t testing.TB) bool {
	t.Helper()
	major, minor := BIRDVersion(t)
	return major > 2 || major == 2 && minor >= 16
}

// CheckBIRD includes file in a minimal BIRD 2 configuration and parses it
// with bird -p. A rejection fails the test (t.Errorf) with bird's output.
// The BIRD 1 files (bird1v4, bird1v6) need BIRD 1, which Debian no longer
// ships.
func CheckBIRD(t testing.TB, file string) {
	t.Helper()
	bird := requireTool(t, "bird", "bird2")
	conf := includeConf(t, "router id 192.0.2.254;\nprotocol device { }\n", file, ";\n")
	if out, err := runTool(bird, "-p", "-c", conf); err != nil {
		t.Errorf("bird -p rejected %s: %v\n%s", file, err, out)
	}
}

// CheckOpenBGPD includes file in a minimal bgpd.conf and parses it with
// bgpd -n, which must print "configuration OK". A rejection fails the test
// (t.Errorf) with bgpd's output. OpenBGPD 7.7, Debian's, cannot parse
// aspa-set (FORMATS.md §8.2): check the file written with the no-ASPA
// option there.
func CheckOpenBGPD(t testing.TB, file string) {
	t.Helper()
	bgpd := requireTool(t, "bgpd", "openbgpd")
	conf := includeConf(t, "AS 64511\nrouter-id 192.0.2.254\n", file, "\n")
	out, err := runTool(bgpd, "-n", "-f", conf)
	if err != nil || !strings.Contains(out, "configuration OK") {
		t.Errorf("bgpd -n rejected %s: %v\n%s", file, err, out)
	}
}

// StayRTRVRPs serves jsonFile with StayRTR on a free loopback port, reads
// the VRPs back over RTR with rtrclient, stops StayRTR and returns the
// VRPs as sorted "AS<asn>,<prefix>,<maxLength>" keys, comparable with what
// CSVVRPs returns. StayRTR runs with -checktime=false, so a file with a
// fixed build time is served; it still drops VRPs whose "expires" has
// passed by the wall clock. No VRPs give nil. A file StayRTR cannot load,
// or a line rtrclient prints that is not a VRP, fails the test.
func StayRTRVRPs(t testing.TB, jsonFile string) []string {
	t.Helper()
	rtrclient := requireTool(t, "rtrclient", "rtr-tools")
	port, stop := startStayRTR(t, jsonFile)
	defer stop()
	exported := filepath.Join(t.TempDir(), "rtr.csv")
	out, err := runTool(rtrclient, "-e", "-t", "csv", "-o", exported, "tcp", "127.0.0.1", port)
	if err != nil && strings.Contains(out, "Sync successful, received 0 Prefix PDUs,") {
		// rtr-tools 0.8.0 aborts on an assertion when it exports an empty
		// table, after logging that the sync gave it no VRPs.
		return nil
	}
	if err != nil {
		t.Fatalf("rtrclient: %v\n%s", err, out)
	}
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parseRTRClientCSV(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// CSVVRPs reads tally's csv file into the sorted keys StayRTRVRPs
// returns. A line without the five fields or with a bad prefix fails the
// test.
func CSVVRPs(t testing.TB, csvFile string) []string {
	t.Helper()
	b, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parseCSV(string(b))
	if err != nil {
		t.Fatalf("%s: %v", csvFile, err)
	}
	return keys
}

// ParseMetrics reads the metrics file with the Prometheus text parser and
// returns its families by name. A parse error fails the test (t.Fatalf); a
// file that does not end with the "# EOF" line fails it too (t.Errorf).
func ParseMetrics(t testing.TB, file string) map[string]*dto.MetricFamily {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(text, []byte("\n# EOF\n")) {
		t.Errorf(`%s: metrics do not end with "# EOF"`, file)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("%s: parse metrics: %v", file, err)
	}
	return families
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// logWatcher collects a process's output and signals when a line contains
// a marker.
type logWatcher struct {
	marker string
	seen   chan struct{}
	once   sync.Once
	mu     sync.Mutex // guards log
	log    bytes.Buffer
}

func (lw *logWatcher) scan(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		lw.mu.Lock()
		lw.log.WriteString(s.Text() + "\n")
		lw.mu.Unlock()
		if strings.Contains(s.Text(), lw.marker) {
			lw.once.Do(func() { close(lw.seen) })
		}
	}
}

func (lw *logWatcher) String() string {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.log.String()
}

// startStayRTR serves jsonFile over RTR on a loopback port and returns the
// port once StayRTR has loaded the file and accepts connections. stop
// kills StayRTR and waits for it; it is also registered with t.Cleanup,
// so a failing test stops it as well.
func startStayRTR(t testing.TB, jsonFile string) (port string, stop func()) {
	t.Helper()
	stayrtr := requireTool(t, "stayrtr", "stayrtr")
	abs, err := filepath.Abs(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	port = freePort(t)
	// -metrics.addr keeps the metrics listener off the default :9847 on all
	// interfaces; -checktime=false because tests fix the build time.
	cmd := exec.Command(stayrtr, "-bind", "127.0.0.1:"+port,
		"-metrics.addr", "127.0.0.1:"+freePort(t),
		"-cache", abs, "-checktime=false", "-refresh", "86400")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	lw := &logWatcher{marker: "StayRTR Server started", seen: make(chan struct{})}
	scanned := make(chan struct{})
	go func() {
		lw.scan(pr)
		close(scanned)
	}()
	if err := cmd.Start(); err != nil {
		pw.Close()
		<-scanned
		t.Fatalf("start stayrtr: %v", err)
	}
	var exitErr error
	exited := make(chan struct{})
	go func() {
		exitErr = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill() // an error means it has exited already
			<-exited
			<-scanned
		})
	}
	t.Cleanup(stop)
	select {
	case <-lw.seen:
	case <-exited:
		t.Fatalf("stayrtr exited: %v\n%s", exitErr, lw)
	case <-time.After(toolTimeout):
		t.Fatalf("stayrtr did not start within %v\n%s", toolTimeout, lw)
	}
	// StayRTR loads the file before it logs the start, and starts even when
	// the load failed; it then tells clients "No data available", and
	// rtrclient waits for data until its timeout.
	if log := lw.String(); !strings.Contains(log, "New update (") || strings.Contains(log, "level=error") {
		t.Fatalf("stayrtr did not load %s\n%s", abs, log)
	}
	// The listener opens right after the log line: poll for it, about
	// toolTimeout in all.
	addr := net.JoinHostPort("127.0.0.1", port)
	for range 1000 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return port, stop
		}
		select {
		case <-exited:
			t.Fatalf("stayrtr exited: %v\n%s", exitErr, lw)
		case <-time.After(30 * time.Millisecond): // polling, not synchronising
		}
	}
	t.Fatalf("stayrtr does not accept connections on %s\n%s", addr, lw)
	return "", nil
}

// parseRTRClientCSV reads rtrclient's "prefix, length, maxlength, asn"
// lines into sorted "AS<asn>,<prefix>,<maxLength>" keys. rtr-tools 0.8.0
// prints the ASN as a signed 32-bit number (PEERS.md §6).
func parseRTRClientCSV(text string) ([]string, error) {
	var keys []string
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ", ")
		if len(f) != 4 {
			return nil, fmt.Errorf("rtrclient line %q: want 4 fields", line)
		}
		asn, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("rtrclient line %q: %v", line, err)
		}
		if asn < 0 {
			asn += 1 << 32
		}
		key, err := vrpKey(strconv.FormatInt(asn, 10), f[0]+"/"+f[1], f[2])
		if err != nil {
			return nil, fmt.Errorf("rtrclient line %q: %v", line, err)
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}

// parseCSV reads tally's csv file, header first, into the keys
// parseRTRClientCSV makes.
func parseCSV(text string) ([]string, error) {
	var keys []string
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if len(f) != 5 {
			return nil, fmt.Errorf("csv line %q: want 5 fields", line)
		}
		key, err := vrpKey(strings.TrimPrefix(f[0], "AS"), f[1], f[2])
		if err != nil {
			return nil, fmt.Errorf("csv line %q: %v", line, err)
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}

// vrpKey normalises a VRP's text so that equal VRPs give equal keys.
func vrpKey(asn, prefix, maxLen string) (string, error) {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return "", err
	}
	return "AS" + asn + "," + p.Masked().String() + "," + maxLen, nil
}
