package cache

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRRDPState(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const notify = "https://rrdp.example.net/notification.xml"
	if st, err := c.LoadRRDPState(notify); st != nil || err != nil {
		t.Fatalf("no state yet: got %+v, %v", st, err)
	}
	want := &RRDPState{
		SessionID: "9df4b597-af9e-4dca-bdda-719cce2c4e28",
		Serial:    42,
		Deltas:    []RRDPDelta{{Serial: 41, Hash: "ab"}, {Serial: 42, Hash: "cd"}},
	}
	if err := c.SaveRRDPState(notify, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadRRDPState(notify)
	if err != nil {
		t.Fatal(err)
	}
	want.NotifyURI = notify
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if st, err := c.LoadRRDPState("https://other.example/n.xml"); st != nil || err != nil {
		t.Errorf("other repository: %+v, %v", st, err)
	}

	statePath := filepath.Join(dir, "rrdp", RRDPDir(notify), stateName)
	if err := os.WriteFile(statePath, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadRRDPState(notify); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt state: %v, want ErrCorrupt", err)
	}
	if err := os.WriteFile(statePath, []byte(`{"notify_uri":"https://x/n.xml"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadRRDPState(notify); !errors.Is(err, ErrCorrupt) {
		t.Errorf("state of another URI: %v, want ErrCorrupt", err)
	}

	mustWrite(t, c, AreaRRDP, RRDPDir(notify)+"/h/a.roa", "a")
	if err := c.RemoveRRDP(notify); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rrdp", RRDPDir(notify))); !os.IsNotExist(err) {
		t.Errorf("repository still there: %v", err)
	}
}
