package cache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunState(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if st, err := c.LoadRunState(); st != nil || err != nil {
		t.Fatalf("fresh cache: %v, %v; want no state", st, err)
	}
	want := &RunState{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), VRPs: map[string]int{"ripe": 10, "arin": 0}}
	if err := c.SaveRunState(want); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadRunState()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(filepath.Join(dir, runStateName), []byte(`{"time":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadRunState(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated state: %v, want ErrCorrupt", err)
	}
}
