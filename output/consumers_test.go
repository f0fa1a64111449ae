package output

// Tests that the programs reading tally's files accept them: BIRD and
// OpenBGPD parse their configuration, StayRTR serves the JSON over RTR, and
// the Prometheus text parser reads the metrics. CI installs the tools:
//
//	apt-get install stayrtr rtr-tools bird2 openbgpd
//
// A missing tool fails the test.

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

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tally-rpki/tally/validate"
)

// toolTimeout bounds every external program a test runs.
const toolTimeout = 30 * time.Second

// requireTool returns the path of a program, failing the test without it.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): install the Debian package %s", name, err, pkg)
	}
	return path
}

// writeFile renders f into dir and returns the file's path.
func writeFile(t *testing.T, dir string, f Format, r *validate.Result) string {
	t.Helper()
	path := filepath.Join(dir, f.File)
	if err := os.WriteFile(path, render(t, f, r), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runTool runs a program to completion and returns its combined output.
func runTool(t *testing.T, path string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	return string(out), err
}

// birdVersion returns BIRD's major and minor version.
func birdVersion(t *testing.T, bird string) (major, minor int) {
	t.Helper()
	out, err := runTool(t, bird, "--version")
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

// TestBIRDParses checks the bird file with bird -p. Debian's BIRD 2.0.12
// predates ASPA and rejects the 2.16+ file at "aspa table" (FORMATS.md
// §6.1), so there only the variant without ASPA is checked; the full file
// is checked with BIRD 2.16 or later, and by the golden test. The BIRD 1
// files (bird1v4, bird1v6) need BIRD 1, which Debian no longer ships.
func TestBIRDParses(t *testing.T) {
	bird := requireTool(t, "bird", "bird2")
	major, minor := birdVersion(t, bird)
	cases := []Options{{NoASPA: true}}
	if major > 2 || major == 2 && minor >= 16 {
		cases = append(cases, Options{})
	}
	for _, opt := range cases {
		t.Run(fmt.Sprintf("NoASPA=%v", opt.NoASPA), func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, dir, format(t, "bird", opt), goldenResult(t))
			conf := filepath.Join(dir, "bird-check.conf")
			text := fmt.Sprintf("router id 192.0.2.254;\nprotocol device { }\ninclude %q;\n", file)
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := runTool(t, bird, "-p", "-c", conf); err != nil {
				t.Errorf("bird -p rejected the file: %v\n%s", err, out)
			}
		})
	}
}

// TestOpenBGPDParses checks the openbgpd file without aspa-set with
// bgpd -n; Debian's OpenBGPD 7.7 cannot parse aspa-set (FORMATS.md §8.2).
func TestOpenBGPDParses(t *testing.T) {
	bgpd := requireTool(t, "bgpd", "openbgpd")
	dir := t.TempDir()
	file := writeFile(t, dir, format(t, "openbgpd", Options{NoASPA: true}), goldenResult(t))
	conf := filepath.Join(dir, "bgpd-check.conf")
	text := fmt.Sprintf("AS 64511\nrouter-id 192.0.2.254\ninclude %q\n", file)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, bgpd, "-n", "-f", conf)
	if err != nil || !strings.Contains(out, "configuration OK") {
		t.Errorf("bgpd -n rejected the file: %v\n%s", err, out)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
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

// startStayRTR serves jsonPath over RTR on a loopback port, stopped in
// t.Cleanup, and returns the port once StayRTR has loaded the file.
func startStayRTR(t *testing.T, jsonPath string) string {
	t.Helper()
	stayrtr := requireTool(t, "stayrtr", "stayrtr")
	port := freePort(t)
	// -metrics.addr keeps the metrics listener off the default :9847 on all
	// interfaces; -checktime=false because the build time is fixed.
	cmd := exec.Command(stayrtr, "-bind", "127.0.0.1:"+port,
		"-metrics.addr", "127.0.0.1:"+freePort(t),
		"-cache", jsonPath, "-checktime=false", "-refresh", "86400")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	lw := &logWatcher{marker: "StayRTR Server started", seen: make(chan struct{})}
	scanned := make(chan struct{})
	go func() {
		lw.scan(pr)
		close(scanned)
	}()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stayrtr: %v", err)
	}
	exited := make(chan error, 1)
	go func() {
		exited <- cmd.Wait()
		pw.Close()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		<-scanned
	})
	select {
	case <-lw.seen:
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("stayrtr exited: %v\n%s", err, lw)
	case <-time.After(toolTimeout):
		t.Fatalf("stayrtr did not start within %v\n%s", toolTimeout, lw)
	}
	// The listener opens right after the log line; wait for it.
	deadline := time.Now().Add(toolTimeout)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("stayrtr does not accept connections: %v\n%s", err, lw)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not synchronising
	}
}

// TestStayRTRServesJSON feeds the json file to StayRTR, reads the VRPs
// back over RTR with rtrclient and compares them with the csv file.
func TestStayRTRServesJSON(t *testing.T) {
	rtrclient := requireTool(t, "rtrclient", "rtr-tools")
	r := goldenResult(t)
	dir := t.TempDir()
	port := startStayRTR(t, writeFile(t, dir, format(t, "json", Options{}), r))

	exported := filepath.Join(dir, "rtr.csv")
	if out, err := runTool(t, rtrclient, "-e", "-t", "csv", "-o", exported, "tcp", "127.0.0.1", port); err != nil {
		t.Fatalf("rtrclient: %v\n%s", err, out)
	}
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseRTRClientCSV(string(b))
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseCSVOutput(string(render(t, format(t, "csv", Options{}), r)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VRPs served by StayRTR (-csv file +rtrclient):\n%s", diff)
	}
}

// parseRTRClientCSV reads rtrclient's "prefix, length, maxlength, asn"
// lines into sorted "ASN,prefix,maxLength" keys. rtr-tools 0.8.0 prints the
// ASN as a signed 32-bit number (PEERS.md §6).
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

// parseCSVOutput reads tally's csv file into the keys parseRTRClientCSV
// makes.
func parseCSVOutput(text string) ([]string, error) {
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

// TestMetricsParse reads the metrics file with the Prometheus text parser,
// as node_exporter's textfile collector does.
func TestMetricsParse(t *testing.T) {
	r := goldenResult(t)
	text := render(t, format(t, "metrics", Options{}), r)
	if !bytes.HasSuffix(text, []byte("\n# EOF\n")) {
		t.Error(`metrics do not end with "# EOF"`)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	var names []string
	for name, mf := range families {
		names = append(names, name)
		if mf.GetType().String() != "GAUGE" {
			t.Errorf("%s: type %v, want gauge", name, mf.GetType())
		}
	}
	slices.Sort(names)
	wantNames := []string{
		"tally_duration", "tally_info", "tally_job_completion_time",
		"tally_last_success_timestamp_seconds", "tally_objects", "tally_repository",
		"tally_repository_duration", "tally_repository_objects", "tally_repository_protos",
		"tally_repository_state", "tally_run_exit_status", "tally_run_start_timestamp_seconds",
		"tally_ta_objects", "tally_ta_vrps",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	value := func(family string, labels map[string]string) float64 {
		t.Helper()
		for _, m := range families[family].GetMetric() {
			got := make(map[string]string)
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			if cmp.Equal(labels, got) {
				return m.GetGauge().GetValue()
			}
		}
		t.Errorf("%s%v: no sample", family, labels)
		return 0
	}
	checks := []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"tally_objects", map[string]string{"type": "vrp", "state": "unique"}, float64(len(r.VRPs))},
		{"tally_objects", map[string]string{"type": "vap overflowed"}, 0},
		{"tally_ta_objects", map[string]string{"type": "roa", "state": "valid", "name": "apnic"}, 3},
		{"tally_job_completion_time", map[string]string{}, float64(r.Metadata.BuildTime.Unix())},
		{"tally_duration", map[string]string{"type": "elapsed"}, 75.5},
		{"tally_run_exit_status", map[string]string{}, 0},
		{"tally_run_start_timestamp_seconds", map[string]string{}, float64(r.Metadata.Start.Unix())},
		{"tally_repository_state", map[string]string{"tally_repository_state": "failed",
			"carepo": "rsync://rsync.example.org/module/"}, 1},
		{"tally_info", map[string]string{"nodename": "rtr1", "domainname": "example.net",
			"release": "0.1.0-test"}, 1},
	}
	for _, c := range checks {
		if got := value(c.family, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
}

// TestMetricsEmpty writes metrics for an empty result: families without
// samples still print their HELP and TYPE lines, and the file parses.
func TestMetricsEmpty(t *testing.T) {
	text := render(t, format(t, "metrics", Options{}), &validate.Result{})
	if !bytes.Contains(text, []byte("# HELP tally_ta_objects total number of objects per TAL\n# TYPE tally_ta_objects gauge\n# HELP")) {
		t.Errorf("empty family missing:\n%s", text)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(bytes.NewReader(text)); err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
}
