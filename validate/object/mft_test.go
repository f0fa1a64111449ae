package object

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tally-rpki/tally/validate/object/objecttest"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

func parseCheckManifest(der []byte) error {
	m, err := ParseManifest(der)
	if err != nil {
		return err
	}
	return m.Signed.CheckSignature()
}

func TestManifestCorpus(t *testing.T) {
	checkLabelled(t, "mft", parseCheckManifest)
}

func TestParseManifest(t *testing.T) {
	pki := objecttest.NewPKI(t)
	crl := pki.CRL(objecttest.CRLSpec{Number: 1})
	roa := pki.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: []objecttest.ROAPrefix{{Prefix: "10.0.0.0/24"}}})
	this := objecttest.Now().Add(-time.Hour)
	next := objecttest.Now().Add(24 * time.Hour)
	mft := pki.Manifest(objecttest.MftSpec{Number: 7, Files: []objecttest.Object{crl, roa}, ThisUpdate: this, NextUpdate: next})
	got, err := ParseManifest(mft.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Signed.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	want := []FileAndHash{{Name: crl.Name, Hash: sha256.Sum256(crl.DER)}, {Name: roa.Name, Hash: sha256.Sum256(roa.DER)}}
	if diff := cmp.Diff(want, got.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if got.Number.Int64() != 7 || !got.ThisUpdate.Equal(this.Truncate(time.Second)) || !got.NextUpdate.Equal(next.Truncate(time.Second)) {
		t.Errorf("got number %v, times %v %v", got.Number, got.ThisUpdate, got.NextUpdate)
	}
}

func TestParseManifestEE(t *testing.T) {
	pki := objecttest.NewPKI(t)
	for name, ee := range map[string]objecttest.CertSpec{
		"explicit IP": {IP: []string{"10.0.0.0/8"}, AS: []string{"inherit"}},
		"explicit AS": {IP: []string{"inherit"}, AS: []string{"AS64496"}},
	} {
		t.Run(name, func(t *testing.T) {
			mft := pki.Manifest(objecttest.MftSpec{Number: 1, EE: ee})
			_, err := ParseManifest(mft.DER)
			assertRule(t, err, "RFC 9286 §5.1")
		})
	}
}

// mftFields are the fields of a Manifest eContent, as raw encoder steps,
// so each test breaks exactly one.
type mftFields struct {
	version  func(b *cryptobyte.Builder)
	number   func(b *cryptobyte.Builder)
	this     func(b *cryptobyte.Builder)
	next     func(b *cryptobyte.Builder)
	alg      func(b *cryptobyte.Builder)
	files    func(b *cryptobyte.Builder)
	trailing func(b *cryptobyte.Builder)
}

func goodMftFields() mftFields {
	return mftFields{
		version: func(*cryptobyte.Builder) {},
		number:  func(b *cryptobyte.Builder) { b.AddASN1Int64(42) },
		this:    func(b *cryptobyte.Builder) { addRawTime(b, "20260101000000Z") },
		next:    func(b *cryptobyte.Builder) { addRawTime(b, "20260102000000Z") },
		alg:     func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{2, 16, 840, 1, 101, 3, 4, 2, 1}) },
		files: func(b *cryptobyte.Builder) {
			addFile(b, "a.crl", make([]byte, 32))
			addFile(b, "b-_9.roa", make([]byte, 32))
		},
		trailing: func(*cryptobyte.Builder) {},
	}
}

func (f mftFields) encode() []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		f.version(b)
		f.number(b)
		f.this(b)
		f.next(b)
		f.alg(b)
		b.AddASN1(asn1.SEQUENCE, f.files)
		f.trailing(b)
	})
	return b.BytesOrPanic()
}

func addRawTime(b *cryptobyte.Builder, s string) {
	b.AddASN1(asn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
}

func addFile(b *cryptobyte.Builder, name string, hash []byte) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
		b.AddASN1BitString(hash)
	})
}

func addExplicitVersion(v int64) func(b *cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Int64(v) })
	}
}

func TestParseManifestContent(t *testing.T) {
	m, err := parseManifestContent(goodMftFields().encode())
	if err != nil {
		t.Fatal(err)
	}
	if m.Number.Int64() != 42 || len(m.Files) != 2 || m.Files[1].Name != "b-_9.roa" {
		t.Errorf("got %+v", m)
	}
	big20 := new(big.Int).Lsh(big.NewInt(1), 159) // needs 21 octets
	max20 := new(big.Int).Sub(big20, big.NewInt(1))
	f := goodMftFields()
	f.number = func(b *cryptobyte.Builder) { b.AddASN1BigInt(max20) }
	if _, err := parseManifestContent(f.encode()); err != nil {
		t.Errorf("20-octet manifestNumber: %v", err)
	}

	tests := []struct {
		name string
		edit func(*mftFields)
		rule string
	}{
		{"explicit version 0", func(f *mftFields) { f.version = addExplicitVersion(0) }, "X.690 §11.5"},
		{"version 1", func(f *mftFields) { f.version = addExplicitVersion(1) }, "RFC 9286 §4.2.1"},
		{"negative number", func(f *mftFields) { f.number = func(b *cryptobyte.Builder) { b.AddASN1Int64(-1) } }, "RFC 9286 §4.2.1"},
		{"21-octet number", func(f *mftFields) { f.number = func(b *cryptobyte.Builder) { b.AddASN1BigInt(big20) } }, "RFC 9286 §4.2.1"},
		{"non-minimal number", func(f *mftFields) {
			f.number = func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes([]byte{0, 1}) })
			}
		}, "RFC 9286 §4.2.1"},
		{"UTCTime", func(f *mftFields) {
			f.this = func(b *cryptobyte.Builder) { b.AddASN1UTCTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) }
		}, "RFC 9286 §4.2.1"},
		{"time offset", func(f *mftFields) { f.this = func(b *cryptobyte.Builder) { addRawTime(b, "20260101000000+0100") } }, "RFC 9286 §4.2.1"},
		{"fractional seconds", func(f *mftFields) { f.next = func(b *cryptobyte.Builder) { addRawTime(b, "20260102000000.5Z") } }, "RFC 9286 §4.2.1"},
		{"next before this", func(f *mftFields) { f.next = func(b *cryptobyte.Builder) { addRawTime(b, "20251231000000Z") } }, "RFC 9286 §4.2.1"},
		{"next equals this", func(f *mftFields) { f.next = func(b *cryptobyte.Builder) { addRawTime(b, "20260101000000Z") } }, "RFC 9286 §4.2.1"},
		{"SHA-1", func(f *mftFields) {
			f.alg = func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 3, 14, 3, 2, 26}) }
		}, "RFC 7935 §2"},
		{"short hash", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, "a.crl", make([]byte, 20)) } }, "RFC 9286 §4.2.1"},
		{"padded hash", func(f *mftFields) {
			f.files = func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("a.crl")) })
					b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddUint8(1); b.AddBytes(make([]byte, 32)) })
				})
			}
		}, "RFC 9286 §4.2.1"},
		{"UTF8String name", func(f *mftFields) {
			f.files = func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("a.crl")) })
					b.AddASN1BitString(make([]byte, 32))
				})
			}
		}, "RFC 9286 §4.2.1"},
		{"entry trailing", func(f *mftFields) {
			f.files = func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("a.crl")) })
					b.AddASN1BitString(make([]byte, 32))
					b.AddASN1NULL()
				})
			}
		}, "RFC 9286 §4.2.1"},
		{"non-ASCII name", func(f *mftFields) {
			f.files = func(b *cryptobyte.Builder) { addFile(b, "\xc3\xa9.crl", make([]byte, 32)) }
		}, "RFC 9286 §4.2.2"},
		{"path in name", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, "../a.crl", make([]byte, 32)) } }, "RFC 9286 §4.2.2"},
		{"no stem", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, ".crl", make([]byte, 32)) } }, "RFC 9286 §4.2.2"},
		{"four-letter extension", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, "a.crls", make([]byte, 32)) } }, "RFC 9286 §4.2.2"},
		{"two dots", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, "a.b.crl", make([]byte, 32)) } }, "RFC 9286 §4.2.2"},
		{"digit extension", func(f *mftFields) { f.files = func(b *cryptobyte.Builder) { addFile(b, "a.cr1", make([]byte, 32)) } }, "RFC 9286 §4.2.2"},
		{"duplicate", func(f *mftFields) {
			f.files = func(b *cryptobyte.Builder) {
				addFile(b, "a.crl", make([]byte, 32))
				addFile(b, "b.roa", make([]byte, 32))
				addFile(b, "a.crl", make([]byte, 32))
			}
		}, "RFC 9286 §4.2.2"},
		{"trailing field", func(f *mftFields) { f.trailing = func(b *cryptobyte.Builder) { b.AddASN1NULL() } }, "RFC 9286 §4.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodMftFields()
			tt.edit(&f)
			_, err := parseManifestContent(f.encode())
			assertRule(t, err, tt.rule)
		})
	}
	t.Run("trailing bytes", func(t *testing.T) {
		_, err := parseManifestContent(append(goodMftFields().encode(), 0))
		assertRule(t, err, "RFC 9286 §4.2.1")
	})
}

func FuzzParseManifest(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".mft") {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		m, err := ParseManifest(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && (m == nil || m.Signed == nil) {
			t.Fatal("incomplete manifest without an error")
		}
	})
}

func FuzzParseManifestContent(f *testing.F) {
	f.Add(goodMftFields().encode())
	for _, der := range objecttest.Corpus(f, ".mft")[:50] {
		if so, err := ParseSignedObject(der, oidCTMFT); err == nil {
			f.Add(so.Content)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		m, err := parseManifestContent(content)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && !m.NextUpdate.After(m.ThisUpdate) {
			t.Fatal("accepted nextUpdate not after thisUpdate")
		}
	})
}

// twnic returns the snapshot files with extension ext.
func twnic(b *testing.B, ext string) [][]byte {
	var out [][]byte
	for _, f := range objecttest.CorpusFiles(b, ext) {
		if strings.HasPrefix(f.Path, "snapshot-2026-03-16-twnic"+string(filepath.Separator)) ||
			strings.HasPrefix(f.Path, "snapshot-2026-03-16-twnic/") {
			out = append(out, f.Data)
		}
	}
	if len(out) == 0 {
		b.Fatalf("no %s files in the TWNIC snapshot", ext)
	}
	return out
}

// benchParse parses every file once per iteration and reports bytes and
// allocations per full pass over the snapshot.
func benchParse(b *testing.B, files [][]byte, parse func([]byte) error) {
	var n int64
	for _, f := range files {
		n += int64(len(f))
		if err := parse(f); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if err := parse(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(files)), "files/op")
}

func BenchmarkParseManifest(b *testing.B) {
	benchParse(b, twnic(b, ".mft"), func(der []byte) error { _, err := ParseManifest(der); return err })
}
