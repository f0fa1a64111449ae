package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// runTally runs the command line in-process and returns its exit status and outputs.
func runTally(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := run(context.Background(), append([]string{"tally"}, args...), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		flag string // the flag the one-line message must name
	}{
		{"unknown flag", []string{"--bogus"}, "bogus"},
		{"workers zero", []string{"-p", "0"}, "--workers"},
		{"workers too many", []string{"--workers", "129"}, "--workers"},
		{"workers not a number", []string{"-p", "many"}, "-p"},
		{"negative timeout", []string{"-s", "-1"}, "--timeout"},
		{"bad time", []string{"-P", "yesterday"}, "--time"},
		{"negative time", []string{"-P", "-5"}, "--time"},
		{"bad overclaim", []string{"--overclaim", "keep"}, "--overclaim"},
		{"bad unsafe-vrps", []string{"--unsafe-vrps", "drop"}, "--unsafe-vrps"},
		{"drop over 100", []string{"--max-vrp-drop", "101"}, "--max-vrp-drop"},
		{"drop negative", []string{"--max-vrp-drop", "-1"}, "--max-vrp-drop"},
		{"two output dirs", []string{"/tmp/a", "/tmp/b"}, "OUTPUTDIR"},
		{"stdout without a format", []string{"-n", "-"}, "OUTPUTDIR"},
		{"stdout with two formats", []string{"-n", "-c", "-j", "-"}, "OUTPUTDIR"},
		{"inspect unknown flag", []string{"inspect", "--yaml", "x"}, "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, stdout, stderr := runTally(t, tt.args...)
			if status != exitUsage {
				t.Errorf("exit status %d, want %d (stderr %q)", status, exitUsage, stderr)
			}
			if n := strings.Count(stderr, "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want one: %q", n, stderr)
			}
			if !strings.Contains(stderr, tt.flag) {
				t.Errorf("stderr %q does not name %s", stderr, tt.flag)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	status, stdout, _ := runTally(t, "version")
	if status != exitOK || stdout != "tally "+version+"\n" {
		t.Errorf("version: status %d, stdout %q", status, stdout)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"1795435200", "2026-11-23T12:00:00Z", "2026-11-23T13:00:00+01:00"} {
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
}

// Every long flag of the main job appears in the manual and the README, so
// --help, man/tally.8 and README.md cannot drift apart silently.
func TestFlagsDocumented(t *testing.T) {
	man := readFile(t, "man/tally.8")
	readme := readFile(t, "README.md")
	for _, f := range runFlags() {
		name := f.Names()[0]
		if !strings.Contains(man, "Fl Fl "+name) {
			t.Errorf("man/tally.8 does not document --%s", name)
		}
		if !strings.Contains(readme, "`--"+name) {
			t.Errorf("README.md does not document --%s", name)
		}
	}
	for _, status := range []string{"0", "1", "2", "3"} {
		if !strings.Contains(man, ".It "+status+"\n") {
			t.Errorf("man/tally.8 does not document exit status %s", status)
		}
		if !strings.Contains(readme, "| "+status+" |") {
			t.Errorf("README.md does not document exit status %s", status)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// inspect decodes real signed objects, reports each as one JSON object with
// the verdict, and exits 1 when any file is not valid.
func TestInspect(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{IP: []string{"192.0.2.0/24"}, AS: []string{"AS64496"}})
	roa := ca.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24", MaxLength: 25}}})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.roa")
	// Named .cer, but the contents say ROA: the type comes from the contents.
	misnamed := filepath.Join(dir, "sub", "misnamed.cer")
	writeFile(t, good, roa.DER)
	writeFile(t, misnamed, roa.DER)

	status, stdout, stderr := runTally(t, "inspect", "--json", dir)
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	reports := decodeReports(t, stdout)
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2 (directory walked): %s", len(reports), stdout)
	}
	for _, r := range reports {
		if r["type"] != "roa" || r["valid"] != true || r["asid"] != float64(64496) {
			t.Errorf("report %v: want a valid roa for AS64496", r)
		}
		prefixes, _ := r["prefixes"].([]any)
		if len(prefixes) != 1 || prefixes[0].(map[string]any)["prefix"] != "192.0.2.0/24" ||
			prefixes[0].(map[string]any)["max_length"] != float64(25) {
			t.Errorf("prefixes %v, want 192.0.2.0/24 max 25", r["prefixes"])
		}
		if _, ok := r["signing_time"]; !ok {
			t.Errorf("no signing_time in %v", r)
		}
	}

	// The last byte is in the CMS signature: the object must be rejected.
	bad := filepath.Join(dir, "bad.roa")
	writeFile(t, bad, objecttest.FlipByte(roa.DER, len(roa.DER)-1))
	status, stdout, _ = runTally(t, "inspect", "--json", good, bad)
	if status != exitFatal {
		t.Errorf("status %d with a bad signature, want %d", status, exitFatal)
	}
	reports = decodeReports(t, stdout)
	if len(reports) != 2 || reports[1]["valid"] != false || !strings.Contains(reports[1]["error"].(string), "signature") {
		t.Errorf("reports %v: want the second invalid with a signature error", reports)
	}

	// Text output names the fields too.
	status, stdout, _ = runTally(t, "inspect", good)
	if status != exitOK || !strings.Contains(stdout, "asid: 64496") || !strings.Contains(stdout, "valid: true") {
		t.Errorf("text output (status %d): %s", status, stdout)
	}
}

func TestInspectNoFile(t *testing.T) {
	if status, _, _ := runTally(t, "inspect"); status != exitUsage {
		t.Errorf("inspect without files: status %d, want %d", status, exitUsage)
	}
	if status, _, _ := runTally(t, "inspect", filepath.Join(t.TempDir(), "missing.roa")); status != exitFatal {
		t.Errorf("inspect of a missing file: status %d, want %d", status, exitFatal)
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeReports(t *testing.T, out string) []map[string]any {
	t.Helper()
	var reports []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("stdout is not one JSON object per file: %v\n%s", err, out)
		}
		reports = append(reports, r)
	}
	return reports
}

// An offline run (-n) over a cache built here validates it from the TAL and
// writes the VRPs; the same cache and --time give byte-identical files with
// one worker and with eight.
func TestOfflineRun(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{IP: []string{"192.0.2.0/24", "2001:db8::/32"}, AS: []string{"AS64496-AS64511"}})
	roa := ca.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: []objecttest.ROAPrefix{
		{Prefix: "192.0.2.0/24", MaxLength: 24}, {Prefix: "2001:db8::/32", MaxLength: 48}}})
	roa2 := ca.ROA(objecttest.ROASpec{ASID: 64497, Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.128/25"}}})
	// Out of the CA's resources: the ROA is rejected, the run goes on.
	bad := ca.ROA(objecttest.ROASpec{ASID: 64498, Prefixes: []objecttest.ROAPrefix{{Prefix: "198.51.100.0/24"}}})
	caCRL := ca.CRL(objecttest.CRLSpec{Number: 1})
	caMft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{caCRL, roa, roa2, bad}})
	taCRL := ta.CRL(objecttest.CRLSpec{Number: 1})
	taMft := ta.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{taCRL, ca.Object}})

	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	for _, o := range []objecttest.Object{ta.Object, ca.Object, roa, roa2, bad, caCRL, caMft, taCRL, taMft} {
		writeFile(t, filepath.Join(cacheDir, "rsync", strings.TrimPrefix(o.URI, "rsync://")), o.DER)
	}
	tal := filepath.Join(dir, "test.tal")
	writeFile(t, tal, ta.TAL())
	now := objecttest.Now().Format(time.RFC3339)

	var csv [2]string
	for i, workers := range []string{"1", "8"} {
		out := filepath.Join(dir, "out"+workers)
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		status, _, stderr := runTally(t, "-n", "-t", tal, "-d", cacheDir, "-P", now, "-p", workers, "-c", "-j", out)
		if status != exitOK {
			t.Fatalf("-p %s: status %d, stderr %s", workers, status, stderr)
		}
		if !strings.Contains(stderr, "198.51.100.0/24") {
			t.Errorf("stderr does not report the ROA outside its EE resources: %s", stderr)
		}
		csv[i] = readFile(t, filepath.Join(out, "csv"))
		if _, err := os.Stat(filepath.Join(out, "json")); err != nil {
			t.Errorf("-j: %v", err)
		}
		if _, err := os.Stat(filepath.Join(out, "openbgpd")); err == nil {
			t.Errorf("openbgpd written without -o")
		}
	}
	expires := fmt.Sprint(objecttest.Now().Add(24 * time.Hour).Unix())
	want := "ASN,IP Prefix,Max Length,Trust Anchor,Expires\n" +
		"AS64496,192.0.2.0/24,24,test," + expires + "\n" +
		"AS64497,192.0.2.128/25,25,test," + expires + "\n" +
		"AS64496,2001:db8::/32,48,test," + expires + "\n"
	if diff := cmp.Diff(want, csv[0]); diff != "" {
		t.Errorf("csv (-want +got):\n%s", diff)
	}
	if csv[0] != csv[1] {
		t.Errorf("csv differs between -p 1 and -p 8")
	}

	// "-" as OUTPUTDIR: the one format on stdout, byte for byte the file.
	// The run leaves the garbage collector as it found it (the end of a
	// run leaves it to the memory limit).
	const percent = 123
	old := debug.SetGCPercent(percent)
	defer debug.SetGCPercent(old)
	status, stdout, stderr := runTally(t, "-n", "-t", tal, "-d", cacheDir, "-P", now, "-c", "-")
	if status != exitOK || stdout != csv[0] {
		t.Errorf("-c -: status %d, stdout %q, stderr %s", status, stdout, stderr)
	}
	if got := debug.SetGCPercent(percent); got != percent {
		t.Errorf("GC percent after a run: %d, want %d as before it", got, percent)
	}
}

// The drop guard: a rerun with the same cache does not trip it; after a
// CA deletes most of its ROAs it trips, exits 3, names the TA with its old
// and new counts and leaves the previous outputs as they were; without the
// guard the same cache is written out.
func TestDropGuard(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{IP: []string{"192.0.2.0/24"}, AS: []string{"AS64496-AS64511"}})
	var roas []objecttest.Object
	for i := range 4 {
		roas = append(roas, ca.ROA(objecttest.ROASpec{ASID: int64(64496 + i), Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24"}}}))
	}
	crl := ca.CRL(objecttest.CRLSpec{Number: 1})
	taCRL := ta.CRL(objecttest.CRLSpec{Number: 1})
	taMft := ta.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{taCRL, ca.Object}})

	dir := t.TempDir()
	cacheDir, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	put := func(objs ...objecttest.Object) {
		for _, o := range objs {
			writeFile(t, filepath.Join(cacheDir, "rsync", strings.TrimPrefix(o.URI, "rsync://")), o.DER)
		}
	}
	put(ta.Object, taCRL, taMft, ca.Object, crl, ca.Manifest(objecttest.MftSpec{Number: 1, Files: append([]objecttest.Object{crl}, roas...)}))
	put(roas...)
	tal := filepath.Join(dir, "guard.tal")
	writeFile(t, tal, ta.TAL())
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "-t", tal, "-d", cacheDir, "-P", objecttest.Now().Format(time.RFC3339), "-c", "--max-vrp-drop", "50", out}

	if status, _, stderr := runTally(t, args...); status != exitOK {
		t.Fatalf("first run: status %d: %s", status, stderr)
	}
	if status, _, stderr := runTally(t, args...); status != exitOK {
		t.Fatalf("unchanged rerun tripped the guard: status %d: %s", status, stderr)
	}
	before := readFile(t, filepath.Join(out, "csv"))

	// The CA withdraws three of its four ROAs: 75 % of the TA's VRPs.
	for _, r := range roas[1:] {
		if err := os.Remove(filepath.Join(cacheDir, "rsync", strings.TrimPrefix(r.URI, "rsync://"))); err != nil {
			t.Fatal(err)
		}
	}
	put(ca.Manifest(objecttest.MftSpec{Number: 2, Files: []objecttest.Object{crl, roas[0]}}))
	status, _, stderr := runTally(t, args...)
	if status != exitDropGuard || !strings.Contains(stderr, "guard") || !strings.Contains(stderr, "from 4 to 1") {
		t.Fatalf("status %d, stderr %q; want %d naming the TA and 4 to 1", status, stderr, exitDropGuard)
	}
	if after := readFile(t, filepath.Join(out, "csv")); after != before {
		t.Errorf("outputs replaced although the guard tripped")
	}
	if status, _, stderr := runTally(t, append(args[:len(args)-3:len(args)-3], out)...); status != exitOK {
		t.Fatalf("run without the guard: status %d: %s", status, stderr)
	}
	if n := strings.Count(readFile(t, filepath.Join(out, "csv")), "\n"); n != 2 {
		t.Errorf("csv after the unguarded run has %d lines, want header and one VRP", n)
	}
}
