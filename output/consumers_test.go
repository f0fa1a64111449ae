package output

// Tests that the programs reading tally's files accept them: BIRD and
// OpenBGPD parse their configuration, StayRTR serves the JSON over RTR, and
// the Prometheus text parser reads the metrics. The checks live in
// outputtest, which the end-to-end test shares; it fails the test when a
// program is missing. CI installs them:
//
//	apt-get install stayrtr rtr-tools bird2 openbgpd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/output/outputtest"
	"github.com/tally-rpki/tally/validate"
)

// writeFile renders f into dir and returns the file's path.
func writeFile(t *testing.T, dir string, f Format, r *validate.Result) string {
	t.Helper()
	path := filepath.Join(dir, f.File)
	if err := os.WriteFile(path, render(t, f, r), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBIRDParses checks the bird file with bird -p. Debian's BIRD 2.0.12
// predates ASPA and rejects the 2.16+ file at "aspa table" (FORMATS.md
// §6.1), so there only the variant without ASPA is checked; the full file
// is checked with BIRD 2.16 or later, and by the golden test. The BIRD 1
// files (bird1v4, bird1v6) need BIRD 1, which Debian no longer ships.
func TestBIRDParses(t *testing.T) {
	cases := []Options{{NoASPA: true}}
	if outputtest.BIRDSupportsASPA(t) {
		cases = append(cases, Options{})
	}
	for _, opt := range cases {
		t.Run(fmt.Sprintf("NoASPA=%v", opt.NoASPA), func(t *testing.T) {
			outputtest.CheckBIRD(t, writeFile(t, t.TempDir(), format(t, "bird", opt), goldenResult(t)))
		})
	}
}

// TestOpenBGPDParses checks the openbgpd file without aspa-set with
// bgpd -n; Debian's OpenBGPD 7.7 cannot parse aspa-set (FORMATS.md §8.2).
func TestOpenBGPDParses(t *testing.T) {
	file := writeFile(t, t.TempDir(), format(t, "openbgpd", Options{NoASPA: true}), goldenResult(t))
	outputtest.CheckOpenBGPD(t, file)
}

// TestStayRTRServesJSON feeds the json file to StayRTR, reads the VRPs
// back over RTR with rtrclient and compares them with the csv file.
func TestStayRTRServesJSON(t *testing.T) {
	r := goldenResult(t)
	dir := t.TempDir()
	got := outputtest.StayRTRVRPs(t, writeFile(t, dir, format(t, "json", Options{}), r))
	want := outputtest.CSVVRPs(t, writeFile(t, dir, format(t, "csv", Options{}), r))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VRPs served by StayRTR (-csv file +rtrclient):\n%s", diff)
	}
}

// TestMetricsParse reads the metrics file with the Prometheus text parser,
// as node_exporter's textfile collector does.
func TestMetricsParse(t *testing.T) {
	r := goldenResult(t)
	families := outputtest.ParseMetrics(t, writeFile(t, t.TempDir(), format(t, "metrics", Options{}), r))
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
	file := filepath.Join(t.TempDir(), "metrics")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	outputtest.ParseMetrics(t, file)
}
