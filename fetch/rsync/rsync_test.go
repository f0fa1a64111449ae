package rsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tally-rpki/tally/fetch/fetchtest"
)

// needRsync fails the test when the rsync program is missing: CI installs
// it, and a skipped test would hide that the fetcher cannot work.
func needRsync(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("the rsync program is required (apt-get install rsync): %v", err)
	}
}

// startDaemon serves dir as module "repo" from an rsync daemon on
// 127.0.0.1 and returns the module's URI. The daemon stops at cleanup.
func startDaemon(t *testing.T, dir string) string {
	t.Helper()
	return fetchtest.Rsyncd(t, map[string]string{"repo": dir}).URL + "repo/"
}

func writeFile(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte{'x'}, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listFiles returns every entry below dir (files, links, directories)
// relative to dir, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if info.Mode()&os.ModeSymlink != 0 {
			rel += "@"
		}
		got = append(got, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestRunFiltersTypesAndSymlinks(t *testing.T) {
	src := t.TempDir()
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.roa"), 10)
	writeFile(t, filepath.Join(src, "a.roa"), 100)
	writeFile(t, filepath.Join(src, "b.cer"), 200)
	writeFile(t, filepath.Join(src, "notes.txt"), 300)
	writeFile(t, filepath.Join(src, "sub", "c.mft"), 400)
	writeFile(t, filepath.Join(src, "sub", "d.crl"), 500)
	for link, target := range map[string]string{
		"link.roa": "a.roa",                              // a symlink with an RPKI name
		"escape":   outside,                              // a directory outside the module
		"out.roa":  filepath.Join(outside, "secret.roa"), // a file outside the module
	} {
		if err := os.Symlink(target, filepath.Join(src, link)); err != nil {
			t.Fatal(err)
		}
	}
	uri := startDaemon(t, src)
	dest := t.TempDir()

	st, err := Run(context.Background(), Config{}, uri, dest)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"a.roa", "b.cer", "sub", "sub/c.mft", "sub/d.crl"}
	if got := listFiles(t, dest); !slices.Equal(got, want) {
		t.Errorf("fetched %q, want %q", got, want)
	}
	if st.Files != 4 || st.Bytes != 1200 {
		t.Errorf("stats: %d files, %d bytes; want 4 files, 1200 bytes", st.Files, st.Bytes)
	}

	// A second run changes nothing; a file deleted upstream goes.
	if err := os.Remove(filepath.Join(src, "b.cer")); err != nil {
		t.Fatal(err)
	}
	st, err = Run(context.Background(), Config{}, uri, dest)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if st.Files != 0 {
		t.Errorf("second run counted %d changed files, want 0", st.Files)
	}
	want = []string{"a.roa", "sub", "sub/c.mft", "sub/d.crl"}
	if got := listFiles(t, dest); !slices.Equal(got, want) {
		t.Errorf("after deletion upstream: %q, want %q", got, want)
	}
}

func TestRunMaxSize(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "limit.cer"), MaxObjectSize)
	writeFile(t, filepath.Join(src, "huge.crl"), MaxObjectSize+1)
	uri := startDaemon(t, src)
	dest := t.TempDir()
	if _, err := Run(context.Background(), Config{}, uri, dest); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := listFiles(t, dest), []string{"limit.cer"}; !slices.Equal(got, want) {
		t.Errorf("fetched %q, want %q", got, want)
	}
}

func TestRunUnknownModule(t *testing.T) {
	uri := startDaemon(t, t.TempDir())
	bad := strings.Replace(uri, "/repo/", "/nosuchmodule/", 1)
	_, err := Run(context.Background(), Config{}, bad, t.TempDir())
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("Run: got %v, want *Error", err)
	}
	if re.URI != bad || re.Code == 0 || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %q: want the URI and a non-zero code", err)
	}
}

// TestRunStalledPeerKilled points rsync at a server that accepts and
// never answers: the context deadline must kill rsync, and the process
// must be reaped with nothing left in its process group.
func TestRunStalledPeerKilled(t *testing.T) {
	needRsync(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dest := t.TempDir()
	pids := make(chan int, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			pids <- 0
			return
		}
		defer c.Close()
		// rsync is connected now, so it is running: find it.
		pids <- childWithArg(dest)
		io.Copy(io.Discard, c) // read rsync's greeting, answer nothing, until it dies
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	uri := fmt.Sprintf("rsync://%s/repo/", l.Addr())
	_, err = Run(ctx, Config{}, uri, dest)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), uri) {
		t.Fatalf("Run: got %v, want a deadline error naming %s", err, uri)
	}
	pid := <-pids
	if pid == 0 {
		t.Fatal("did not find the rsync process while it was connected")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rsync pid %d still exists after Run (alive or zombie)", pid)
	}
	if left := groupMembers(pid); len(left) > 0 {
		t.Errorf("processes left in rsync's group %d: %v", pid, left)
	}
}

// childWithArg returns the pid of a child of this process whose command
// line contains arg, or 0.
func childWithArg(arg string) int {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		ppid, _, ok := procStat(pid)
		cmdline, err := os.ReadFile(p + "/cmdline")
		if ok && err == nil && ppid == os.Getpid() && bytes.Contains(cmdline, []byte(arg)) {
			return pid
		}
	}
	return 0
}

// groupMembers lists the processes whose process group is pgid.
func groupMembers(pgid int) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if _, pg, ok := procStat(pid); ok && pg == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStat reads the parent pid and process group of pid from
// /proc/pid/stat; the fields after the parenthesised command name are
// state, ppid, pgrp.
func procStat(pid int) (ppid, pgrp int, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	return ppid, pgrp, err1 == nil && err2 == nil
}

func TestRunMissingProgram(t *testing.T) {
	uri := "rsync://127.0.0.1:1/repo/"
	_, err := Run(context.Background(), Config{Program: "/nonexistent/rsync"}, uri, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), uri) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run with a missing program: got %v, want a not-exist error naming the URI", err)
	}
}

func TestRunRefusesOtherSchemes(t *testing.T) {
	for _, uri := range []string{"", "-e sh", "--rsh=sh", "https://example.net/x", "host:/path", "RSYNC://x/y/"} {
		if _, err := Run(context.Background(), Config{}, uri, t.TempDir()); err == nil {
			t.Errorf("Run(%q) succeeded", uri)
		}
	}
}

func TestArgs(t *testing.T) {
	got := Args(Config{Address: "192.0.2.1"}, "rsync://h/m/", "/c/rsync/h/m")
	want := []string{"-rt", "--delete", "--no-motd", "--stats", "--contimeout=15", "--timeout=30",
		"--max-size=8000000", "--address=192.0.2.1",
		"--include=*/", "--include=*.cer", "--include=*.crl", "--include=*.mft",
		"--include=*.roa", "--include=*.asa", "--include=*.gbr", "--include=*.tak",
		"--exclude=*", "--", "rsync://h/m/", "/c/rsync/h/m/"}
	if !slices.Equal(got, want) {
		t.Errorf("Args:\n got %q\nwant %q", got, want)
	}
	for _, a := range Args(Config{}, "rsync://h/m/", "/d") {
		if a == "--address=" || a == "-l" || a == "-L" || a == "-e" || strings.HasPrefix(a, "--rsh") ||
			strings.HasPrefix(a, "--links") || strings.HasPrefix(a, "--copy-links") {
			t.Errorf("Args contains %q", a)
		}
	}
}

func TestBase(t *testing.T) {
	for uri, want := range map[string]string{
		"rsync://rpki.example.net/repo/":           "rsync://rpki.example.net/repo/",
		"rsync://rpki.example.net/repo":            "rsync://rpki.example.net/repo/",
		"rsync://rpki.example.net/repo/a/b/c.roa":  "rsync://rpki.example.net/repo/",
		"rsync://127.0.0.1:8873/repo/x/":           "rsync://127.0.0.1:8873/repo/",
		"rsync://[::1]:8873/repo/x/":               "rsync://[::1]:8873/repo/",
		"rsync://rpki.example.net/":                "",
		"rsync://rpki.example.net":                 "",
		"rsync:///repo/":                           "",
		"https://rpki.example.net/repo/notify.xml": "",
		"": "",
	} {
		if got := Base(uri); got != want {
			t.Errorf("Base(%q) = %q, want %q", uri, got, want)
		}
	}
}

func TestParseStats(t *testing.T) {
	out := `
Number of files: 1,234 (reg: 1,200, dir: 34)
Number of created files: 3 (reg: 3)
Number of deleted files: 0
Number of regular files transferred: 1,021
Total file size: 2,345,678 bytes
Total transferred file size: 1,987,654 bytes
Literal data: 1,987,654 bytes
Total bytes received: 2,001,002

sent 20,123 bytes  received 2,001,002 bytes  4,042,250.00 bytes/sec
`
	if files, bytes := parseStats(out); files != 1021 || bytes != 1987654 {
		t.Errorf("parseStats = %d files, %d bytes; want 1021 and 1987654", files, bytes)
	}
	if files, bytes := parseStats("rsync: garbage\n"); files != 0 || bytes != 0 {
		t.Errorf("parseStats(garbage) = %d, %d", files, bytes)
	}
}
