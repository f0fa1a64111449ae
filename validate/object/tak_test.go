package object

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tally-rpki/tally/validate/object/objecttest"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

func parseCheckTAK(der []byte) error {
	k, err := ParseTAK(der)
	if err != nil {
		return err
	}
	return k.Signed.CheckSignature()
}

func TestTAKCorpus(t *testing.T) {
	checkLabelled(t, "tak", parseCheckTAK)
}

func TestParseTAK(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	next := objecttest.NewTA(objecttest.CertSpec{Key: objecttest.Key(7)})
	cur, succ := ta.TAKey("current key", "ünïcode"), next.TAKey()
	obj := ta.TAK(objecttest.TAKSpec{Current: &cur, Successor: &succ})
	got, err := ParseTAK(obj.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Signed.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	if got.Predecessor != nil || got.Successor == nil {
		t.Fatalf("predecessor %v, successor %v", got.Predecessor, got.Successor)
	}
	if diff := cmp.Diff([]string{"current key", "ünïcode"}, got.Current.Comments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cur.URIs, got.Current.URIs); diff != "" {
		t.Errorf("URIs (-want +got):\n%s", diff)
	}
	if !bytes.Equal(got.Current.SPKI, cur.SPKI) || !bytes.Equal(got.Successor.SPKI, succ.SPKI) {
		t.Error("SPKI differs")
	}
}

// takKey encodes a TAKey from raw steps.
func takKey(comments, uris, spki func(*cryptobyte.Builder)) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, comments)
			b.AddASN1(asn1.SEQUENCE, uris)
			spki(b)
		})
	}
}

func strs(tag asn1.Tag, v ...string) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		for _, s := range v {
			b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
		}
	}
}

func raw(der []byte) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) { b.AddBytes(der) }
}

func takContent(parts ...func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, p := range parts {
			p(b)
		}
	})
	return b.BytesOrPanic()
}

func tagged(n uint8, inner func(*cryptobyte.Builder)) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) { b.AddASN1(asn1.Tag(n).Constructed().ContextSpecific(), inner) }
}

func TestParseTAKContent(t *testing.T) {
	spki := objecttest.NewTA(objecttest.CertSpec{}).SPKI()
	ec := mustMarshalPKIX(t, objecttest.ECKey(0).Public())
	uri := strs(asn1.IA5String, "rsync://example.net/ta/ta.cer")
	none := func(*cryptobyte.Builder) {}
	good := takKey(strs(asn1.UTF8String, "hello"), uri, raw(spki))
	got, err := parseTAKContent(takContent(good, tagged(0, good), tagged(1, good)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Predecessor == nil || got.Successor == nil || got.Current.Comments[0] != "hello" {
		t.Errorf("got %+v", got)
	}

	const r, rk = "RFC 9691 §3", "RFC 9691 §3.1"
	tests := []struct {
		name    string
		content []byte
		rule    string
	}{
		{"version 0 encoded", takContent(func(b *cryptobyte.Builder) { b.AddASN1Int64(0) }, good), r},
		{"version 1", takContent(func(b *cryptobyte.Builder) { b.AddASN1Int64(1) }, good), r},
		{"[0] version", takContent(addExplicitVersion(1), good), rk},
		{"no current", takContent(), rk},
		{"successor before predecessor", takContent(good, tagged(1, good), tagged(0, good)), r},
		{"successor twice", takContent(good, tagged(1, good), tagged(1, good)), r},
		{"IMPLICIT successor", takContent(good, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, strs(asn1.UTF8String))
				b.AddASN1(asn1.SEQUENCE, uri)
				b.AddBytes(spki)
			})
		}), rk},
		{"trailing in [1]", takContent(good, tagged(1, func(b *cryptobyte.Builder) { good(b); b.AddASN1NULL() })), r},
		{"no URIs", takContent(takKey(none, none, raw(spki))), rk},
		{"UTF8String URI", takContent(takKey(none, strs(asn1.UTF8String, "rsync://example.net/ta/ta.cer"), raw(spki))), rk},
		{"http URI", takContent(takKey(none, strs(asn1.IA5String, "http://example.net/ta.cer"), raw(spki))), "RFC 8630 §2.3"},
		{"IA5String comment", takContent(takKey(strs(asn1.IA5String, "x"), uri, raw(spki))), rk},
		{"bad UTF-8 comment", takContent(takKey(strs(asn1.UTF8String, "\xff"), uri, raw(spki))), rk},
		{"EC key", takContent(takKey(none, uri, raw(ec))), "RFC 7935 §3"},
		{"bad SPKI", takContent(takKey(none, uri, func(b *cryptobyte.Builder) { b.AddASN1(asn1.SEQUENCE, none) })), rk},
		{"field after SPKI", takContent(takKey(none, uri, func(b *cryptobyte.Builder) { b.AddBytes(spki); b.AddASN1NULL() })), rk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTAKContent(tt.content)
			assertRule(t, err, tt.rule)
		})
	}
}

func FuzzParseTAK(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".tak") {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := ParseTAK(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && (k == nil || k.Current == nil) {
			t.Fatal("TAK without current key and without an error")
		}
	})
}

func FuzzParseTAKContent(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".tak") {
		if so, err := ParseSignedObject(der, oidCTTAK); err == nil {
			f.Add(so.Content)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		k, err := parseTAKContent(content)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && (k.Current == nil || len(k.Current.URIs) == 0 || k.Current.PublicKey == nil) {
			t.Fatal("incomplete current key without an error")
		}
	})
}
