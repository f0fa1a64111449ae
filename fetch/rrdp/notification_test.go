package rrdp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testSession = "9df4b597-af9e-4dca-bdda-719cce2c4e28"
	hashA       = "0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"
	hexA        = hashA + "2829"
)

var testHash = [32]byte{
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
}

// notif builds a notification whose root has the given attributes.
func notif(rootAttrs, body string) string {
	return `<notification ` + rootAttrs + `>` + body + `</notification>`
}

const (
	goodRoot  = `xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="` + testSession + `" serial="3"`
	goodSnap  = `<snapshot uri="https://rrdp.example.net/s/3/snapshot.xml" hash="` + hexA + `"/>`
	goodDelta = `<delta serial="3" uri="https://rrdp.example.net/s/3/delta.xml" hash="` + hexA + `"/>` +
		`<delta serial="2" uri="https://rrdp.example.net/s/2/delta.xml" hash="` + hexA + `"/>`
)

func goodNotification() *Notification {
	return &Notification{
		SessionID: testSession,
		Serial:    3,
		Snapshot:  Snapshot{URI: "https://rrdp.example.net/s/3/snapshot.xml", Hash: testHash},
		Deltas: []Delta{
			{Serial: 2, URI: "https://rrdp.example.net/s/2/delta.xml", Hash: testHash},
			{Serial: 3, URI: "https://rrdp.example.net/s/3/delta.xml", Hash: testHash},
		},
	}
}

func TestParseNotification(t *testing.T) {
	good := notif(goodRoot, "\n  "+goodSnap+"\n  "+goodDelta+"\n")
	tests := []struct {
		name string
		doc  string
		want *Notification // nil: want an error
		rule string        // the error's Rule
	}{
		{name: "good", doc: good, want: goodNotification()},
		{name: "declaration, BOM, comments, PI", want: goodNotification(),
			doc: "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<?pi x?>" + good + "\n<!-- end -->\n"},
		{name: "single quotes, spaces around =, upper-case hex", want: goodNotification(),
			doc: notif(goodRoot, `<snapshot uri = 'https://rrdp.example.net/s/3/snapshot.xml' hash='`+strings.ToUpper(hexA)+`'></snapshot>`+goodDelta)},
		{name: "upper-case session is folded", want: goodNotification(),
			doc: notif(strings.Replace(goodRoot, testSession, strings.ToUpper(testSession), 1), goodSnap+goodDelta)},
		{name: "references in a uri", want: func() *Notification {
			n := goodNotification()
			n.Snapshot.URI = "https://rrdp.example.net/s/3/snapshot.xml?a=1&b=<"
			return n
		}(), doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s/3/snapshot.xml?a=1&amp;b=&#x3c;" hash="`+hexA+`"/>`+goodDelta)},
		{name: "no deltas", want: &Notification{SessionID: testSession, Serial: 3, Snapshot: goodNotification().Snapshot},
			doc: notif(goodRoot, goodSnap)},
		{name: "child repeats xmlns", want: &Notification{SessionID: testSession, Serial: 3, Snapshot: goodNotification().Snapshot},
			doc: notif(goodRoot, `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" uri="https://rrdp.example.net/s/3/snapshot.xml" hash="`+hexA+`"/>`)},

		{name: "DOCTYPE", rule: "XML 1.0 §2.8", doc: `<!DOCTYPE notification>` + good},
		{name: "undefined entity", rule: "XML 1.0", doc: notif(goodRoot, `<snapshot uri="https://h/&x;" hash="`+hexA+`"/>`)},
		{name: "entity in text", rule: "RFC 8182 §3.5.4", doc: notif(goodRoot, goodSnap+`&lol;`)},
		{name: "CDATA", rule: "XML 1.0", doc: notif(goodRoot, goodSnap+`<![CDATA[x]]>`)},
		{name: "late XML declaration", rule: "XML 1.0 §2.8", doc: "\n<?xml version=\"1.0\"?>" + good},
		{name: "UTF-16 declaration", rule: "XML 1.0 §2.8", doc: `<?xml version="1.0" encoding="UTF-16"?>` + good},
		{name: "wrong namespace", rule: notificationRule, doc: notif(strings.Replace(goodRoot, "ripe.net", "example.com", 1), goodSnap)},
		{name: "no namespace", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `xmlns="http://www.ripe.net/rpki/rrdp" `, "", 1), goodSnap)},
		{name: "wrong namespace on a child", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot xmlns="urn:x" uri="https://rrdp.example.net/s" hash="`+hexA+`"/>`)},
		{name: "prefixed names", rule: notificationRule,
			doc: `<r:notification xmlns:r="http://www.ripe.net/rpki/rrdp" version="1" session_id="` + testSession + `" serial="3">` + goodSnap + `</r:notification>`},
		{name: "wrong root", rule: notificationRule, doc: `<snapshot ` + goodRoot + `/>`},
		{name: "version 2", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `version="1"`, `version="2"`, 1), goodSnap)},
		{name: "no version", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `version="1" `, "", 1), goodSnap)},
		{name: "session not a UUID", rule: notificationRule, doc: notif(strings.Replace(goodRoot, testSession, "9df4b597af9e4dcabdda719cce2c4e28", 1), goodSnap)},
		{name: "session with bad hex", rule: notificationRule, doc: notif(strings.Replace(goodRoot, "9df4", "9dg4", 1), goodSnap)},
		{name: "serial 0", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `serial="3"`, `serial="0"`, 1), goodSnap)},
		{name: "serial with leading zero", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `serial="3"`, `serial="03"`, 1), goodSnap)},
		{name: "serial with sign", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `serial="3"`, `serial="+3"`, 1), goodSnap)},
		{name: "serial over 64 bits", rule: notificationRule, doc: notif(strings.Replace(goodRoot, `serial="3"`, `serial="18446744073709551616"`, 1), goodSnap)},
		{name: "unknown root attribute", rule: notificationRule, doc: notif(goodRoot+` extra="1"`, goodSnap)},
		{name: "repeated attribute", rule: "XML 1.0", doc: notif(goodRoot+` version="1"`, goodSnap)},
		{name: "unknown snapshot attribute", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+hexA+`" size="1"/>`)},
		{name: "unknown element", rule: notificationRule, doc: notif(goodRoot, goodSnap+`<mirror uri="https://x/"/>`)},
		{name: "element inside snapshot", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+hexA+`"><x/></snapshot>`)},
		{name: "text inside snapshot", rule: "RFC 8182 §3.5.4",
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+hexA+`">x</snapshot>`)},
		{name: "text in root", rule: "RFC 8182 §3.5.4", doc: notif(goodRoot, goodSnap+"text")},
		{name: "no snapshot", rule: notificationRule, doc: notif(goodRoot, "")},
		{name: "empty root", rule: notificationRule, doc: `<notification ` + goodRoot + `/>`},
		{name: "two snapshots", rule: notificationRule, doc: notif(goodRoot, goodSnap+goodSnap)},
		{name: "delta before snapshot", rule: notificationRule, doc: notif(goodRoot, goodDelta+goodSnap)},
		{name: "delta serial above", rule: notificationRule,
			doc: notif(goodRoot, goodSnap+`<delta serial="4" uri="https://rrdp.example.net/d" hash="`+hexA+`"/>`)},
		{name: "duplicate delta serial", rule: notificationRule,
			doc: notif(goodRoot, goodSnap+goodDelta+`<delta serial="2" uri="https://rrdp.example.net/d" hash="`+hexA+`"/>`)},
		{name: "delta without serial", rule: notificationRule,
			doc: notif(goodRoot, goodSnap+`<delta uri="https://rrdp.example.net/d" hash="`+hexA+`"/>`)},
		{name: "short hash", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+hexA[1:]+`"/>`)},
		{name: "non-hex hash", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+"zz"+hexA[2:]+`"/>`)},
		{name: "http uri", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="http://rrdp.example.net/s" hash="`+hexA+`"/>`)},
		{name: "rsync uri", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="rsync://rrdp.example.net/s" hash="`+hexA+`"/>`)},
		{name: "uri with userinfo", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://u:p@rrdp.example.net/s" hash="`+hexA+`"/>`)},
		{name: "uri with space", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/a b" hash="`+hexA+`"/>`)},
		{name: "uri too long", rule: notificationRule,
			doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/`+strings.Repeat("a", MaxURILen)+`" hash="`+hexA+`"/>`)},
		{name: "no uri", rule: notificationRule, doc: notif(goodRoot, `<snapshot hash="`+hexA+`"/>`)},
		{name: "second root", rule: "XML 1.0 §2.1", doc: good + `<notification/>`},
		{name: "trailing text", rule: "RFC 8182 §3.5.4", doc: good + "junk"},
		{name: "mismatched end tag", rule: "XML 1.0", doc: notif(goodRoot, `<snapshot uri="https://rrdp.example.net/s" hash="`+hexA+`"></delta>`)},
		{name: "unterminated attribute", rule: "XML 1.0", doc: notif(goodRoot, `<snapshot uri="https://x hash='`+hexA+`'/>`)},
		{name: "'<' in attribute", rule: "XML 1.0", doc: notif(goodRoot, `<snapshot uri="https://x/<" hash="`+hexA+`"/>`)},
		{name: "unterminated comment", rule: "XML 1.0", doc: good + "<!-- ..."},
		{name: "empty input", rule: "XML 1.0", doc: ""},
		{name: "truncated", rule: "XML 1.0", doc: good[:len(good)-5]},
		{name: "truncated in a tag", rule: "XML 1.0", doc: good[:40]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotification(strings.NewReader(tt.doc), 1<<20)
			if tt.want == nil {
				if err == nil {
					t.Fatal("want an error, got none")
				}
				if !errors.Is(err, ErrProtocol) || ruleOf(err) != tt.rule {
					t.Fatalf("got %v (rule %q), want ErrProtocol with rule %q", err, ruleOf(err), tt.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseNotificationTruncatedIs(t *testing.T) {
	doc := notif(goodRoot, goodSnap)
	_, err := ParseNotification(strings.NewReader(doc[:len(doc)-3]), 1<<20)
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want ErrTruncated and ErrProtocol", err)
	}
	_, err = ParseNotification(strings.NewReader(doc+"x"), 1<<20)
	if errors.Is(err, ErrTruncated) {
		t.Fatalf("trailing junk reported as truncation: %v", err)
	}
}

func TestParseNotificationSize(t *testing.T) {
	doc := notif(goodRoot, goodSnap+goodDelta)
	if _, err := ParseNotification(strings.NewReader(doc), int64(len(doc))); err != nil {
		t.Fatalf("exactly maxBytes: %v", err)
	}
	_, err := ParseNotification(strings.NewReader(doc), int64(len(doc)-1))
	if !errors.Is(err, ErrProtocol) || ruleOf(err) != "limit" {
		t.Fatalf("one byte over: got %v, want a limit error", err)
	}
	// An endless notification stops at the cap.
	endless := &repeatReader{pattern: []byte(`<delta serial="1" uri="https://h/d" hash="` + hexA + `"/>`)}
	r := ioMulti(notif(goodRoot, goodSnap)[:len(notif(goodRoot, goodSnap))-len("</notification>")], endless)
	if _, err := ParseNotification(r, 1<<20); !errors.Is(err, ErrProtocol) || ruleOf(err) != "limit" {
		t.Fatalf("endless: got %v, want a limit error", err)
	}
}

func TestDeltasSince(t *testing.T) {
	n := &Notification{Serial: 1000}
	for s := uint64(500); s <= 1000; s++ {
		if s == 600 {
			continue // a gap
		}
		n.Deltas = append(n.Deltas, Delta{Serial: s})
	}
	serials := func(ds []Delta) []uint64 {
		var out []uint64
		for _, d := range ds {
			out = append(out, d.Serial)
		}
		return out
	}
	tests := []struct {
		from  uint64
		first uint64 // of the result; 0 for none
		count int
		ok    bool
	}{
		{from: 1000, ok: true},
		{from: 999, first: 1000, count: 1, ok: true},
		{from: 700, first: 701, count: 300, ok: true},
		{from: 699, ok: false}, // 301 deltas: take the snapshot
		{from: 1001, ok: false},
		{from: 590, ok: false}, // over the gap, and too many
		{from: 100, ok: false},
	}
	for _, tt := range tests {
		got, ok := n.DeltasSince(tt.from)
		if ok != tt.ok || len(got) != tt.count || (tt.count > 0 && got[0].Serial != tt.first) {
			t.Errorf("DeltasSince(%d) = %d deltas from %v, %v; want %d from %d, %v",
				tt.from, len(got), serials(got[:min(1, len(got))]), ok, tt.count, tt.first, tt.ok)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Serial != got[i-1].Serial+1 {
				t.Errorf("DeltasSince(%d): not contiguous at %d", tt.from, got[i].Serial)
			}
		}
	}
	// A gap inside the window.
	gap := &Notification{Serial: 10, Deltas: []Delta{{Serial: 8}, {Serial: 10}}}
	if _, ok := gap.DeltasSince(7); ok {
		t.Error("DeltasSince over a gap succeeded")
	}
	// The corpus notification with gaps, and the unsorted one.
	for _, c := range []struct {
		file string
		ok   bool
	}{{"ripe-notification-with-gaps.xml", false}, {"ripe-notification-unsorted.xml", true}} {
		n, err := ParseNotification(bytes.NewReader(readCorpus(t, rpkiRSDir+c.file)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		first := n.Deltas[0].Serial - 1
		if _, ok := n.DeltasSince(first); ok != c.ok {
			t.Errorf("%s: DeltasSince(%d) ok = %v, want %v", c.file, first, ok, c.ok)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	const notify = "https://rrdp.example.net/notification.xml"
	tests := []struct {
		uri  string
		want bool
	}{
		{"https://rrdp.example.net/a/snapshot.xml", true},
		{"https://RRDP.example.net:443/a/snapshot.xml", true},
		{"HTTPS://rrdp.example.net/x", true},
		{"https://rrdp.example.net:8443/a", false},
		{"http://rrdp.example.net/a", false},
		{"https://cdn.example.net/a", false},
		{"https://rrdp.example.net.evil/a", false},
		{"//rrdp.example.net/a", false},
		{"::bad", false},
	}
	for _, tt := range tests {
		if got := SameOrigin(notify, tt.uri); got != tt.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", notify, tt.uri, got, tt.want)
		}
	}
	if SameOrigin("https://h:8443/n", "https://h:8443/s") != true {
		t.Error("explicit equal ports differ")
	}
	if SameOrigin("not a url", "not a url") {
		t.Error("origin of a relative reference")
	}
}

func TestCheckOrigin(t *testing.T) {
	n := goodNotification()
	if err := n.CheckOrigin("https://rrdp.example.net/notification.xml"); err != nil {
		t.Fatal(err)
	}
	if err := n.CheckOrigin("https://other.example.net/notification.xml"); !errors.Is(err, ErrProtocol) || ruleOf(err) != "RFC 9674" {
		t.Fatalf("snapshot elsewhere: got %v", err)
	}
	n.Deltas[1].URI = "https://cdn.example.org/d.xml"
	if err := n.CheckOrigin("https://rrdp.example.net/notification.xml"); !errors.Is(err, ErrProtocol) || ruleOf(err) != "RFC 9674" {
		t.Fatalf("delta elsewhere: got %v", err)
	}
}
