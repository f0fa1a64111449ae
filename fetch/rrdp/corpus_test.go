package rrdp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	regressDir = "rpki-client-regress/src/regress/usr.sbin/rpki-client/rrdp/"
	rpkiRSDir  = "rpki-rs/test-data/rrdp/"
	krillDir   = "krill/test-resources/migrations/v0_13_1_pubserver/repo/rrdp/"
	pyDir      = "rpki-rrdp-tools-py/tests/data/"
	pilotDir   = "rpki-monitoring/src/test/resources/rrdp/pilot/"
)

// corpusDocs lists every RRDP XML document in the corpus with its kind and
// whether it must parse; the verdicts follow the EXPECTED.tsv rows of type
// rrdp-xml, and the files without a row are published documents.
var corpusDocs = []struct {
	path  string
	kind  string // notification, snapshot or delta
	valid bool
}{
	{regressDir + "notification.xml", "notification", true},
	{regressDir + "snapshot.xml", "snapshot", true},
	{regressDir + "delta.xml", "delta", true},
	{regressDir + "xxe.xml", "notification", false},
	{regressDir + "billion_lol.xml", "notification", false},
	{regressDir + "notification_xmlns.xml", "notification", false},
	{rpkiRSDir + "lolz-notification.xml", "notification", false},
	{rpkiRSDir + "ripe-notification.xml", "notification", true},
	{rpkiRSDir + "ripe-notification-unsorted.xml", "notification", true},
	{rpkiRSDir + "ripe-notification-with-gaps.xml", "notification", true},
	{rpkiRSDir + "ripe-snapshot.xml", "snapshot", true},
	{rpkiRSDir + "ripe-delta.xml", "delta", true},
	{krillDir + "notification.xml", "notification", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/382/78451657e95955cc/snapshot.xml", "snapshot", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/377/bb8d2585db3056c4/delta.xml", "delta", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/378/a3ea7b4d36eec91d/delta.xml", "delta", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/379/a3241123266859d1/delta.xml", "delta", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/380/51425859f63daa2f/delta.xml", "delta", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/381/ae0ae1a6907446b8/delta.xml", "delta", true},
	{krillDir + "41890b14-62ee-430f-b15d-c4bade57537e/382/6cc1d6b8daed8f9c/delta.xml", "delta", true},
	{pyDir + "sample-snapshot.xml", "snapshot", true},
	{pyDir + "rrdp-content/notification.xml", "notification", true},
	{pyDir + "rrdp-content/26290.xml", "delta", true},
	{pyDir + "rrdp-content/26291.xml", "delta", true},
	{pyDir + "rrdp-content/26292.xml", "delta", true},
	{pyDir + "rrdp-content/26293.xml", "delta", true},
	{pyDir + "rrdp-content/26294.xml", "delta", true},
	{pyDir + "rrdp-content/26295.xml", "delta", true},
	{pyDir + "rrdp-content/26296.xml", "delta", true},
	{pyDir + "rrdp-content/26297.xml", "delta", true},
	{pyDir + "rrdp-content/26298.xml", "delta", true},
	{pilotDir + "notification.xml.gz", "notification", true},
	{pilotDir + "snapshot.xml.gz", "snapshot", true},
}

// parseCorpusDoc parses doc as kind, taking a snapshot's or delta's session
// and serial from its own root.
func parseCorpusDoc(t *testing.T, kind string, doc []byte) (*recorder, error) {
	rec := new(recorder)
	switch kind {
	case "notification":
		_, err := ParseNotification(bytes.NewReader(doc), 1<<20)
		return rec, err
	case "snapshot":
		session, serial := rootIDs(t, doc)
		return rec, ParseSnapshot(bytes.NewReader(doc), session, serial, rec)
	default:
		session, serial := rootIDs(t, doc)
		return rec, ParseDelta(bytes.NewReader(doc), session, serial, rec)
	}
}

func TestCorpus(t *testing.T) {
	for _, c := range corpusDocs {
		t.Run(c.path, func(t *testing.T) {
			doc := readCorpus(t, c.path)
			rec, err := parseCorpusDoc(t, c.kind, doc)
			switch {
			case c.valid && err != nil:
				t.Fatalf("want success, got %v", err)
			case !c.valid && err == nil:
				t.Fatal("want an error, got none")
			case !c.valid && !errors.Is(err, ErrProtocol):
				t.Fatalf("want ErrProtocol, got %v", err)
			case !c.valid:
				t.Logf("rejected: %v", err)
			}
			if c.valid && c.kind != "notification" && len(rec.events) == 0 {
				t.Error("no elements reported")
			}
		})
	}
}

// TestCorpusRegressOutput compares each decoded object with the SHA-256 that
// rpki-client's regress output lists for it (rrdp-r3.out for delta.xml,
// rrdp-r4.out for snapshot.xml).
func TestCorpusRegressOutput(t *testing.T) {
	for _, c := range []struct{ doc, out, kind string }{
		{"delta.xml", "rrdp-r3.out", "delta"},
		{"snapshot.xml", "rrdp-r4.out", "snapshot"},
	} {
		t.Run(c.doc, func(t *testing.T) {
			rec, err := parseCorpusDoc(t, c.kind, readCorpus(t, regressDir+c.doc))
			if err != nil {
				t.Fatal(err)
			}
			want := regressEvents(t, filepath.Join(corpusDir(t), regressDir, c.out))
			if len(want) != len(rec.events) {
				t.Fatalf("%d elements, regress output lists %d", len(rec.events), len(want))
			}
			for i, w := range want {
				got := rec.events[i]
				if got.uri != w.uri {
					t.Errorf("[%d] uri %s, want %s", i, got.uri, w.uri)
				}
				if w.op == "delete" {
					if got.op != "withdraw" || hex.EncodeToString(got.hash[:]) != w.hash {
						t.Errorf("[%d] %s: got %s %x, want withdraw %s", i, w.uri, got.op, got.hash, w.hash)
					}
					continue
				}
				if hex.EncodeToString(got.hash[:]) != w.data {
					t.Errorf("[%d] %s: content sha256 %x, want %s", i, w.uri, got.hash, w.data)
				}
				if (w.op == "update") != (got.replaces != nil) ||
					(got.replaces != nil && hex.EncodeToString(got.replaces[:]) != w.hash) {
					t.Errorf("[%d] %s: replaces %v, want %s %s", i, w.uri, got.replaces, w.op, w.hash)
				}
			}
		})
	}
}

type regressEvent struct{ op, uri, data, hash string }

// regressEvents reads the "type:", "uri:", "data:" and "hash:" lines of a
// test-rrdp output file.
func regressEvents(t *testing.T, path string) []regressEvent {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []regressEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "test-rrdp: "), ": ")
		if !ok {
			continue
		}
		switch key {
		case "type":
			evs = append(evs, regressEvent{op: val})
		case "uri":
			evs[len(evs)-1].uri = val
		case "data":
			evs[len(evs)-1].data = strings.ToLower(val)
		case "hash":
			evs[len(evs)-1].hash = strings.ToLower(val)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestCorpusHashes checks the Krill files against the hashes their
// notification lists, through HashingReader.
func TestCorpusHashes(t *testing.T) {
	n, err := ParseNotification(bytes.NewReader(readCorpus(t, krillDir+"notification.xml")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	local := func(uri string) string {
		_, rest, _ := strings.Cut(uri, "/rrdp/")
		return krillDir + rest
	}
	doc := readCorpus(t, local(n.Snapshot.URI))
	if err := ParseSnapshot(NewHashingReader(bytes.NewReader(doc), n.Snapshot.Hash), n.SessionID, n.Serial, new(discard)); err != nil {
		t.Errorf("snapshot: %v", err)
	}
	for _, d := range n.Deltas {
		doc := readCorpus(t, local(d.URI))
		if err := ParseDelta(NewHashingReader(bytes.NewReader(doc), d.Hash), n.SessionID, d.Serial, new(discard)); err != nil {
			t.Errorf("delta %d: %v", d.Serial, err)
		}
	}
	// The same delta under another delta's hash must fail.
	d := n.Deltas[0]
	doc = readCorpus(t, local(d.URI))
	err = ParseDelta(NewHashingReader(bytes.NewReader(doc), n.Deltas[1].Hash), n.SessionID, d.Serial, new(discard))
	if !errors.Is(err, ErrProtocol) || ruleOf(err) != "RFC 8182 §3.5.1.3" {
		t.Errorf("wrong hash: got %v, want RFC 8182 §3.5.1.3", err)
	}
}
