package outputtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so a test can show that a check rejects a bad file. The embedded
// TB provides TempDir, Cleanup and the rest.
type recorder struct {
	testing.TB
	mu     sync.Mutex // guards failed and msgs
	failed bool
	msgs   []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *recorder) Fail()                             { r.Errorf("Fail") }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// check runs a check against a recorder in its own goroutine, where
// Fatalf's Goexit ends only that goroutine, and returns the recorder.
func check(t *testing.T, f func(tb testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChecksReject shows that each check passes a good file and fails the
// test on a bad one, so that a check accepting everything cannot hide.
func TestChecksReject(t *testing.T) {
	tests := []struct {
		name  string
		check func(tb testing.TB, file string)
		text  string
		fail  bool
	}{
		{"bird", CheckBIRD, "roa4 table ROAS4;\n", false},
		{"bird/unknown-statement", CheckBIRD, "roa4 table ROAS4;\nroa5 table ROAS5;\n", true},
		{"openbgpd", CheckOpenBGPD, "roa-set {\n\t192.0.2.0/24 source-as 64496\n}\n", false},
		{"openbgpd/maxlen-below-length", CheckOpenBGPD, "roa-set {\n\t192.0.2.0/24 maxlen 16 source-as 64496\n}\n", true},
		{"csv", csvCheck, "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS64496,192.0.2.0/24,24,ripe,2114380800\n", false},
		{"csv/four-fields", csvCheck, "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS64496,192.0.2.0/24,24,ripe\n", true},
		{"csv/bad-prefix", csvCheck, "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS64496,192.0.2.0/33,33,ripe,2114380800\n", true},
		{"metrics", metricsCheck, "# HELP tally_x x\n# TYPE tally_x gauge\ntally_x 1\n# EOF\n", false},
		{"metrics/no-eof", metricsCheck, "# HELP tally_x x\n# TYPE tally_x gauge\ntally_x 1\n", true},
		{"metrics/syntax", metricsCheck, "# TYPE tally_x gauge\ntally_x{a=\"b\" 1\n# EOF\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeTemp(t, "file", tt.text)
			r := check(t, func(tb testing.TB) { tt.check(tb, file) })
			if r.Failed() != tt.fail {
				t.Errorf("failed = %v, want %v; messages: %q", r.Failed(), tt.fail, r.msgs)
			}
		})
	}
}

func csvCheck(tb testing.TB, file string)     { CSVVRPs(tb, file) }
func metricsCheck(tb testing.TB, file string) { ParseMetrics(tb, file) }

// TestStayRTRVRPs serves small files: VRPs with an ASN rtrclient prints as
// a negative number, VRPs StayRTR drops as expired (rtrclient aborts on an
// empty table), and a truncated file StayRTR cannot load.
func TestStayRTRVRPs(t *testing.T) {
	const head = `{"metadata": {"buildtime": "2026-01-02T03:04:05Z"}, "roas": [`
	tests := []struct {
		name string
		json string
		want []string
		fail bool
	}{
		{
			name: "served",
			json: head + `
				{"asn": 4294967295, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe", "expires": 2114380800},
				{"asn": 64496, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "arin", "expires": 2114380800}]}`,
			want: []string{"AS4294967295,192.0.2.0/24,24", "AS64496,2001:db8::/32,48"},
		},
		{
			name: "expired",
			json: head + `{"asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe", "expires": 1}]}`,
		},
		{name: "truncated", json: head, fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeTemp(t, "json", tt.json)
			var got []string
			r := check(t, func(tb testing.TB) { got = StayRTRVRPs(tb, file) })
			if r.Failed() != tt.fail {
				t.Fatalf("failed = %v, want %v; messages: %q", r.Failed(), tt.fail, r.msgs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVVRPs(t *testing.T) {
	file := writeTemp(t, "csv", "ASN,IP Prefix,Max Length,Trust Anchor,Expires\n"+
		"AS64496,2001:db8::/32,48,arin,2114380800\n"+
		"AS4294967295,192.0.2.0/24,24,ripe,2114380800\n")
	want := []string{"AS4294967295,192.0.2.0/24,24", "AS64496,2001:db8::/32,48"}
	if diff := cmp.Diff(want, CSVVRPs(t, file)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseRTRClientCSV(t *testing.T) {
	got, err := parseRTRClientCSV("2001:db8::, 32, 48, 64496\n192.0.2.0, 24, 24, -1\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AS4294967295,192.0.2.0/24,24", "AS64496,2001:db8::/32,48"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parseRTRClientCSV("192.0.2.0, 24, 24\n"); err == nil {
		t.Error("three fields accepted")
	}
}
