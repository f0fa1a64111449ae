package cache

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const stageNotify = "https://rrdp.example.net/notification.xml"

func stageWrite(t *testing.T, s *RRDPStage, rel, data string) {
	t.Helper()
	if err := s.Write(rel, strings.NewReader(data)); err != nil {
		t.Fatalf("Write(%s): %v", rel, err)
	}
}

func stageRead(t *testing.T, s *RRDPStage, rel string) (string, error) {
	t.Helper()
	f, err := s.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

// repoFiles lists the files of the repository's copy, state included.
func repoFiles(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	for _, f := range files(t, dir) {
		if rel, ok := strings.CutPrefix(f, "rrdp/"); ok {
			got = append(got, rel)
		}
	}
	return got
}

func TestRRDPStageSnapshotAndDelta(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	d := RRDPDir(stageNotify)

	// A snapshot: nothing visible until Commit.
	s, err := c.BeginRRDP(stageNotify, false)
	if err != nil {
		t.Fatal(err)
	}
	stageWrite(t, s, "h/repo/a.roa", "a1")
	stageWrite(t, s, "h/repo/b.roa", "b1")
	if _, err := c.ReadFile(AreaRRDP, d+"/h/repo/a.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("staged file visible before Commit: %v", err)
	}
	if err := s.Commit(&RRDPState{SessionID: "s", Serial: 1}); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, c, AreaRRDP, d+"/h/repo/a.roa"); got != "a1" {
		t.Fatalf("after snapshot a.roa = %q", got)
	}
	if st, err := c.LoadRRDPState(stageNotify); err != nil || st.Serial != 1 {
		t.Fatalf("state %+v, %v", st, err)
	}

	// A delta sees the copy through Open, and its own changes over it.
	s, err = c.BeginRRDP(stageNotify, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stageRead(t, s, "h/repo/a.roa"); got != "a1" || err != nil {
		t.Fatalf("delta Open(a) = %q, %v", got, err)
	}
	stageWrite(t, s, "h/repo/a.roa", "a2")
	if err := s.Withdraw("h/repo/b.roa"); err != nil {
		t.Fatal(err)
	}
	stageWrite(t, s, "h/repo/sub/c.roa", "c2")
	if got, err := stageRead(t, s, "h/repo/a.roa"); got != "a2" || err != nil {
		t.Fatalf("delta Open(a) after Write = %q, %v", got, err)
	}
	if _, err := stageRead(t, s, "h/repo/b.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("delta Open(withdrawn) = %v", err)
	}
	if got := mustRead(t, c, AreaRRDP, d+"/h/repo/b.roa"); got != "b1" {
		t.Fatalf("copy changed before Commit: b.roa = %q", got)
	}
	if err := s.Commit(&RRDPState{SessionID: "s", Serial: 2}); err != nil {
		t.Fatal(err)
	}
	want := []string{d + "/.state.json", d + "/h/repo/a.roa", d + "/h/repo/sub/c.roa"}
	if got := repoFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("copy after delta = %q, want %q", got, want)
	}
	if got := mustRead(t, c, AreaRRDP, d+"/h/repo/a.roa"); got != "a2" {
		t.Fatalf("after delta a.roa = %q", got)
	}

	// An aborted sync changes nothing.
	s, err = c.BeginRRDP(stageNotify, false)
	if err != nil {
		t.Fatal(err)
	}
	stageWrite(t, s, "h/repo/z.roa", "z")
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := repoFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("copy after Abort = %q, want %q", got, want)
	}
	if st, err := c.LoadRRDPState(stageNotify); err != nil || st.Serial != 2 {
		t.Fatalf("state after Abort %+v, %v", st, err)
	}
}

func TestRRDPStageBadPaths(t *testing.T) {
	c := openCache(t, t.TempDir())
	s, err := c.BeginRRDP(stageNotify, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	for _, rel := range []string{"../x", "/abs", "a/../../x", "a\x00b", ""} {
		if err := s.Write(rel, strings.NewReader("x")); !errors.Is(err, ErrBadPath) {
			t.Errorf("Write(%q) = %v, want ErrBadPath", rel, err)
		}
		if _, err := s.Open(rel); !errors.Is(err, ErrBadPath) {
			t.Errorf("Open(%q) = %v, want ErrBadPath", rel, err)
		}
		if err := s.Withdraw(rel); !errors.Is(err, ErrBadPath) {
			t.Errorf("Withdraw(%q) = %v, want ErrBadPath", rel, err)
		}
	}
}

// A run killed in the middle of a sync leaves a stage (and, between the
// two renames of a snapshot commit, an old copy); Open removes both and
// the repository's copy is as before.
func TestOpenRemovesStages(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.BeginRRDP(stageNotify, false)
	if err != nil {
		t.Fatal(err)
	}
	stageWrite(t, s, "h/repo/a.roa", "a1")
	if err := s.Commit(&RRDPState{SessionID: "s", Serial: 1}); err != nil {
		t.Fatal(err)
	}
	s, err = c.BeginRRDP(stageNotify, false)
	if err != nil {
		t.Fatal(err)
	}
	stageWrite(t, s, "h/repo/a.roa", "half")
	c.Close() // killed: no Commit, no Abort
	old := filepath.Join(dir, "rrdp", oldPrefix+RRDPDir(stageNotify))
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	c = openCache(t, dir)
	entries, err := os.ReadDir(filepath.Join(dir, "rrdp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != RRDPDir(stageNotify) {
		t.Fatalf("rrdp area after Open: %v", entries)
	}
	if got := mustRead(t, c, AreaRRDP, RRDPDir(stageNotify)+"/h/repo/a.roa"); got != "a1" {
		t.Fatalf("a.roa = %q", got)
	}
}

// A stage refuses an object larger than it holds in memory, whatever the
// caller's own limits, and leaves no file for it.
func TestRRDPStageObjectTooLarge(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	s, err := c.BeginRRDP("https://h.example/notify.xml", false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	big := io.LimitReader(zeros{}, maxStageObject+1)
	if err := s.Write("h/repo/big.roa", big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Write of %d bytes: %v", maxStageObject+1, err)
	}
	if f, err := s.Open("h/repo/big.roa"); err == nil {
		f.Close()
		t.Error("the refused object was written")
	}
	if err := s.Write("h/repo/ok.roa", strings.NewReader("ok")); err != nil {
		t.Fatalf("Write after a refusal: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
