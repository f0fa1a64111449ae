package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
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

// The main job is not built yet: it must say so and fail, never silently
// succeed with no output.
func TestRunNotImplemented(t *testing.T) {
	status, _, stderr := runTally(t, "-n", "-j", t.TempDir())
	if status != exitFatal || !strings.Contains(stderr, "not implemented yet") {
		t.Errorf("status %d, stderr %q; want %d and \"not implemented yet\"", status, stderr, exitFatal)
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
