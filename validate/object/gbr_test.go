package object

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

func parseCheckGBR(der []byte) error {
	g, err := ParseGBR(der)
	if err != nil {
		return err
	}
	return g.Signed.CheckSignature()
}

func TestGBRCorpus(t *testing.T) {
	checkLabelled(t, "gbr", parseCheckGBR)
}

func TestParseGBR(t *testing.T) {
	pki := objecttest.NewPKI(t)
	obj := pki.GBR(objecttest.GBRSpec{})
	got, err := ParseGBR(obj.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Signed.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	want := &GBR{VCard: objecttest.DefaultVCard, FN: "Test Operator", ORG: "Example", Emails: []string{"noc@example.net"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(GBR{}, "Signed")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func vcard(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func TestParseGBRContent(t *testing.T) {
	folded := vcard("BEGIN:VCARD", "VERSION:4.0", "FN:Jane", " Doe", "item1.TEL;TYPE=\"voice,x:y\";VALUE=uri:tel:+1-555-0100",
		"ADR;TYPE=work:;;1 Main St;Town;;12345;NL", "EMAIL:a@example.net", "email:b@example.net", "END:VCARD")
	got, err := parseGBRContent([]byte(folded))
	if err != nil {
		t.Fatal(err)
	}
	want := &GBR{VCard: folded, FN: "JaneDoe", Phones: []string{"tel:+1-555-0100"},
		Addresses: []string{";;1 Main St;Town;;12345;NL"}, Emails: []string{"a@example.net", "b@example.net"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	const profile, lines = "RFC 6493 §5", "RFC 6350 §3.2"
	tests := []struct {
		name, vcard, rule string
	}{
		{"empty", "", lines},
		{"LF only", strings.ReplaceAll(objecttest.DefaultVCard, "\r\n", "\n"), lines},
		{"no final CRLF", strings.TrimSuffix(objecttest.DefaultVCard, "\r\n"), lines},
		{"blank line", vcard("BEGIN:VCARD", "VERSION:4.0", "", "FN:x", "EMAIL:a@b", "END:VCARD"), lines},
		{"version 3.0", vcard("BEGIN:VCARD", "VERSION:3.0", "FN:x", "EMAIL:a@b", "END:VCARD"), profile},
		{"version not second", vcard("BEGIN:VCARD", "FN:x", "VERSION:4.0", "EMAIL:a@b", "END:VCARD"), profile},
		{"no END", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "EMAIL:a@b"), profile},
		{"after END", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "EMAIL:a@b", "END:VCARD", "NOTE:x"), profile},
		{"no FN", vcard("BEGIN:VCARD", "VERSION:4.0", "EMAIL:a@b", "END:VCARD"), profile},
		{"two FN", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "FN:y", "EMAIL:a@b", "END:VCARD"), profile},
		{"no contact", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "ORG:y", "END:VCARD"), profile},
		{"N property", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "N:;;;;", "EMAIL:a@b", "END:VCARD"), profile},
		{"nested BEGIN", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "BEGIN:VCARD", "EMAIL:a@b", "END:VCARD"), profile},
		{"two ORG", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "ORG:a", "ORG:b", "EMAIL:a@b", "END:VCARD"), profile},
		{"no colon", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "EMAIL", "END:VCARD"), "RFC 6350 §3.3"},
		{"bad name", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:x", "E MAIL:a@b", "END:VCARD"), "RFC 6350 §3.3"},
		{"not UTF-8", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:\xff", "EMAIL:a@b", "END:VCARD"), "RFC 6350 §3.1"},
		{"huge", vcard("BEGIN:VCARD", "VERSION:4.0", "FN:"+strings.Repeat("x", maxVCard), "EMAIL:a@b", "END:VCARD"), profile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseGBRContent([]byte(tt.vcard))
			assertRule(t, err, tt.rule)
		})
	}
}

func FuzzParseGBR(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".gbr") {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		g, err := ParseGBR(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && g == nil {
			t.Fatal("nil GBR without an error")
		}
	})
}

func FuzzParseGBRContent(f *testing.F) {
	f.Add([]byte(objecttest.DefaultVCard))
	for _, der := range objecttest.Corpus(f, ".gbr") {
		if so, err := ParseSignedObject(der, oidCTGBR); err == nil {
			f.Add(so.Content)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		g, err := parseGBRContent(content)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && len(g.Addresses)+len(g.Phones)+len(g.Emails) == 0 {
			t.Fatal("accepted a vCard without ADR, TEL or EMAIL")
		}
	})
}
