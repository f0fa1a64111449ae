package object

import (
	"bytes"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// mkTLV encodes one DER element from its contents, given in parts.
func mkTLV(tag asn1.Tag, parts ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(tag, func(b *cryptobyte.Builder) {
		for _, p := range parts {
			b.AddBytes(p)
		}
	})
	return b.BytesOrPanic()
}

func mkSeq(parts ...[]byte) []byte  { return mkTLV(asn1.SEQUENCE, parts...) }
func mkOID(contents []byte) []byte  { return mkTLV(asn1.OBJECT_IDENTIFIER, contents) }
func mkInt(contents ...byte) []byte { return mkTLV(asn1.INTEGER, contents) }
func mkUTC(s string) []byte         { return mkTLV(asn1.UTCTime, []byte(s)) }
func mkGen(s string) []byte         { return mkTLV(asn1.GeneralizedTime, []byte(s)) }
func mkOctets(b []byte) []byte      { return mkTLV(asn1.OCTET_STRING, b) }

// mkAlg encodes an AlgorithmIdentifier with NULL parameters.
func mkAlg(oid []byte) []byte { return mkSeq(mkOID(oid), []byte{0x05, 0x00}) }

// mkExt encodes an Extension; critical is the raw BOOLEAN element or nil.
func mkExt(oid, critical, value []byte) []byte {
	return mkSeq(mkOID(oid), critical, mkOctets(value))
}

var testKeyID = bytes.Repeat([]byte{0xab}, 20)

func mkAKI(id []byte) []byte {
	return mkExt(oidExtAKI, nil, mkSeq(mkTLV(asn1.Tag(0).ContextSpecific(), id)))
}
func mkCRLNumber(n ...byte) []byte { return mkExt(oidExtCRLNumber, nil, mkInt(n...)) }

// crlSpec lists the elements of a CRL, each already encoded, so a test
// case can break exactly one of them. Signatures are not valid.
type crlSpec struct {
	version                []byte   // INTEGER element; nil leaves it out
	alg, outerAlg          []byte   // AlgorithmIdentifier elements
	issuer                 []byte   // Name element
	thisUpdate, nextUpdate []byte   // time elements; nil leaves one out
	revoked                [][]byte // entries; nil leaves the list out
	exts                   [][]byte // Extension elements
	extsTag                asn1.Tag // normally [0] constructed
	sigBits                []byte   // BIT STRING contents
	trailing               []byte
}

func goodCRLSpec() crlSpec {
	alg := mkAlg(oidSHA256WithRSAEncryption)
	return crlSpec{
		version:    mkInt(1),
		alg:        alg,
		outerAlg:   alg,
		issuer:     mkSeq(mkTLV(asn1.SET, mkSeq(mkOID([]byte{0x55, 0x04, 0x03}), mkTLV(asn1.PrintableString, []byte("test-ca"))))),
		thisUpdate: mkUTC("260102030405Z"),
		nextUpdate: mkUTC("260103030405Z"),
		revoked: [][]byte{
			mkSeq(mkInt(0x00, 0x90), mkUTC("251201000000Z")),
			mkSeq(mkInt(0x05), mkUTC("251201000000Z")),
			mkSeq(mkInt(0x01, 0x02), mkUTC("251201000000Z")),
		},
		exts:    [][]byte{mkAKI(testKeyID), mkCRLNumber(0x2a)},
		extsTag: asn1.Tag(0).Constructed().ContextSpecific(),
		sigBits: append([]byte{0}, bytes.Repeat([]byte{0x55}, 256)...),
	}
}

func (s crlSpec) build() []byte {
	var tbs [][]byte
	tbs = append(tbs, s.version, s.alg, s.issuer, s.thisUpdate, s.nextUpdate)
	if s.revoked != nil {
		tbs = append(tbs, mkSeq(s.revoked...))
	}
	tbs = append(tbs, mkTLV(s.extsTag, mkSeq(s.exts...)))
	list := mkSeq(mkSeq(tbs...), s.outerAlg, mkTLV(asn1.BIT_STRING, s.sigBits))
	return append(list, s.trailing...)
}

func TestParseCRLFields(t *testing.T) {
	der := goodCRLSpec().build()
	c, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Raw, der) || !bytes.Equal(c.AKI, testKeyID) || c.Number.Cmp(big.NewInt(42)) != 0 {
		t.Errorf("Raw, AKI or Number wrong: %x %d", c.AKI, c.Number)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !c.ThisUpdate.Equal(want) {
		t.Errorf("ThisUpdate %v, want %v", c.ThisUpdate, want)
	}
	if want := time.Date(2026, 1, 3, 3, 4, 5, 0, time.UTC); !c.NextUpdate.Equal(want) {
		t.Errorf("NextUpdate %v, want %v", c.NextUpdate, want)
	}
	var got [][]byte
	for _, r := range c.Revoked {
		got = append(got, r.Serial)
	}
	if want := [][]byte{{0x05}, {0x90}, {0x01, 0x02}}; !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("Revoked serials %x, want %x (sorted by value)", got, want)
	}
	for _, tt := range []struct {
		serial []byte
		want   bool
	}{
		{[]byte{0x05}, true}, {[]byte{0x90}, true}, {[]byte{0x00, 0x90}, true}, {[]byte{0x01, 0x02}, true},
		{[]byte{0x06}, false}, {[]byte{0x02, 0x01}, false}, {[]byte{0x01}, false}, {nil, false},
	} {
		if got := c.IsRevoked(tt.serial); got != tt.want {
			t.Errorf("IsRevoked(%x) = %v, want %v", tt.serial, got, tt.want)
		}
	}
}

func TestParseCRLAccepts(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*crlSpec)
	}{
		{"no revoked list", func(s *crlSpec) { s.revoked = nil }},
		// Krill encodes an empty list instead of leaving it out.
		{"empty revoked list", func(s *crlSpec) { s.revoked = [][]byte{} }},
		{"algorithm without parameters", func(s *crlSpec) {
			s.alg = mkSeq(mkOID(oidSHA256WithRSAEncryption))
			s.outerAlg = s.alg
		}},
		{"GeneralizedTime from 2050", func(s *crlSpec) { s.nextUpdate = mkGen("20500101000000Z") }},
		{"UTCTime 1950", func(s *crlSpec) { s.thisUpdate = mkUTC("500101000000Z") }},
		{"extensions in other order", func(s *crlSpec) { s.exts[0], s.exts[1] = s.exts[1], s.exts[0] }},
		{"CRLNumber zero", func(s *crlSpec) { s.exts[1] = mkCRLNumber(0) }},
		{"CRLNumber of 20 octets with sign octet", func(s *crlSpec) {
			s.exts[1] = mkCRLNumber(append([]byte{0}, bytes.Repeat([]byte{0xff}, 20)...)...)
		}},
		{"serial of 20 octets with sign octet", func(s *crlSpec) {
			s.revoked[0] = mkSeq(mkInt(append([]byte{0}, bytes.Repeat([]byte{0xff}, 20)...)...), mkUTC("251201000000Z"))
		}},
		{"29 February of a leap year", func(s *crlSpec) { s.thisUpdate = mkUTC("240229000000Z") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goodCRLSpec()
			tt.modify(&s)
			if _, err := ParseCRL(s.build()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseCRLRejects(t *testing.T) {
	sha1WithRSA := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}
	entry := func(serial []byte, rest ...[]byte) []byte {
		return mkSeq(append([][]byte{mkTLV(asn1.INTEGER, serial), mkUTC("251201000000Z")}, rest...)...)
	}
	tests := []struct {
		name   string
		modify func(*crlSpec)
		rule   string
	}{
		{"v1 (version absent)", func(s *crlSpec) { s.version = nil }, "RFC 6487 §5"},
		{"version 3", func(s *crlSpec) { s.version = mkInt(2) }, "RFC 6487 §5"},
		{"version not minimal", func(s *crlSpec) { s.version = mkInt(0, 1) }, "RFC 6487 §5"},
		{"sha1WithRSAEncryption", func(s *crlSpec) { s.alg = mkAlg(sha1WithRSA); s.outerAlg = s.alg }, "RFC 7935 §2"},
		{"bad algorithm parameters", func(s *crlSpec) {
			s.alg = mkSeq(mkOID(oidSHA256WithRSAEncryption), mkInt(0))
			s.outerAlg = s.alg
		}, "RFC 4055 §5"},
		{"inner and outer algorithms differ", func(s *crlSpec) { s.alg = mkSeq(mkOID(oidSHA256WithRSAEncryption)) }, "RFC 5280 §5.1.2.2"},
		{"issuer with organization", func(s *crlSpec) {
			s.issuer = mkSeq(mkTLV(asn1.SET, mkSeq(mkOID([]byte{0x55, 0x04, 0x0a}), mkTLV(asn1.PrintableString, []byte("x")))))
		}, "RFC 6487 §4.5"},
		{"nextUpdate absent", func(s *crlSpec) { s.nextUpdate = nil }, "RFC 6487 §5"},
		{"thisUpdate with offset", func(s *crlSpec) { s.thisUpdate = mkUTC("260102030405+0100") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate without seconds", func(s *crlSpec) { s.thisUpdate = mkUTC("2601020304Z") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate GeneralizedTime before 2050", func(s *crlSpec) { s.thisUpdate = mkGen("20260102030405Z") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate with fraction", func(s *crlSpec) { s.thisUpdate = mkGen("20500102030405.5Z") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate 30 February", func(s *crlSpec) { s.thisUpdate = mkUTC("260230030405Z") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate hour 24", func(s *crlSpec) { s.thisUpdate = mkUTC("260102240000Z") }, "RFC 5280 §5.1.2.4"},
		{"thisUpdate with a sign in a digit", func(s *crlSpec) { s.thisUpdate = mkUTC("26-102030405Z") }, "RFC 5280 §5.1.2.4"},
		{"nextUpdate GeneralizedTime before 2050", func(s *crlSpec) { s.nextUpdate = mkGen("20260103030405Z") }, "RFC 6487 §5"},
		{"nextUpdate before thisUpdate", func(s *crlSpec) { s.nextUpdate = mkUTC("260101030405Z") }, "RFC 5280 §5.1.2.5"},
		{"entry extensions", func(s *crlSpec) {
			s.revoked[1] = entry([]byte{5}, mkSeq(mkSeq(mkOID([]byte{0x55, 0x1d, 0x15}), mkOctets([]byte{0x0a, 0x01, 0x01}))))
		}, "RFC 6487 §5"},
		{"entry without date", func(s *crlSpec) { s.revoked[1] = mkSeq(mkInt(5)) }, "RFC 5280 §5.1.2.6"},
		{"entry date with offset", func(s *crlSpec) {
			s.revoked[1] = mkSeq(mkInt(5), mkUTC("251201000000-0500"))
		}, "RFC 5280 §5.1.2.6"},
		{"serial negative", func(s *crlSpec) { s.revoked[1] = entry([]byte{0x85}) }, "RFC 6487 §4.2"},
		{"serial zero", func(s *crlSpec) { s.revoked[1] = entry([]byte{0}) }, "RFC 6487 §4.2"},
		{"serial not minimal", func(s *crlSpec) { s.revoked[1] = entry([]byte{0, 5}) }, "X.690 §8.3.2"},
		{"serial empty", func(s *crlSpec) { s.revoked[1] = entry(nil) }, "X.690 §8.3.2"},
		{"serial of 21 octets", func(s *crlSpec) { s.revoked[1] = entry(bytes.Repeat([]byte{0x7f}, 21)) }, "RFC 5280 §4.1.2.2"},
		{"no extensions", func(s *crlSpec) { s.exts = nil }, "RFC 6487 §5"},
		{"extensions with the wrong tag", func(s *crlSpec) { s.extsTag = asn1.Tag(1).Constructed().ContextSpecific() }, "RFC 6487 §5"},
		{"AKI missing", func(s *crlSpec) { s.exts = s.exts[1:] }, "RFC 6487 §5"},
		{"CRLNumber missing", func(s *crlSpec) { s.exts = s.exts[:1] }, "RFC 6487 §5"},
		{"AKI twice", func(s *crlSpec) { s.exts = append(s.exts, mkAKI(testKeyID)) }, "RFC 5280 §4.2"},
		{"CRLNumber twice", func(s *crlSpec) { s.exts = append(s.exts, mkCRLNumber(1)) }, "RFC 5280 §4.2"},
		{"other extension", func(s *crlSpec) {
			s.exts = append(s.exts, mkExt([]byte{0x55, 0x1d, 0x1c}, nil, mkSeq()))
		}, "RFC 6487 §5"},
		{"critical AKI", func(s *crlSpec) {
			s.exts[0] = mkExt(oidExtAKI, []byte{0x01, 0x01, 0xff}, mkSeq(mkTLV(asn1.Tag(0).ContextSpecific(), testKeyID)))
		}, "RFC 6487 §5"},
		{"critical FALSE encoded", func(s *crlSpec) { s.exts[1] = mkExt(oidExtCRLNumber, []byte{0x01, 0x01, 0x00}, mkInt(1)) }, "RFC 6487 §5"},
		{"AKI of 19 octets", func(s *crlSpec) { s.exts[0] = mkAKI(testKeyID[1:]) }, "RFC 6487 §4.8.2"},
		{"AKI with issuer and serial", func(s *crlSpec) {
			s.exts[0] = mkExt(oidExtAKI, nil, mkSeq(mkTLV(asn1.Tag(0).ContextSpecific(), testKeyID),
				mkTLV(asn1.Tag(2).ContextSpecific(), []byte{1})))
		}, "RFC 6487 §4.8.3"},
		{"AKI trailing bytes in extnValue", func(s *crlSpec) {
			s.exts[0] = mkExt(oidExtAKI, nil, append(mkSeq(mkTLV(asn1.Tag(0).ContextSpecific(), testKeyID)), 0))
		}, "RFC 6487 §4.8.3"},
		{"CRLNumber negative", func(s *crlSpec) { s.exts[1] = mkCRLNumber(0x80) }, "RFC 5280 §5.2.3"},
		{"CRLNumber not minimal", func(s *crlSpec) { s.exts[1] = mkCRLNumber(0, 1) }, "X.690 §8.3.2"},
		{"CRLNumber of 21 octets", func(s *crlSpec) { s.exts[1] = mkCRLNumber(bytes.Repeat([]byte{0x7f}, 21)...) }, "RFC 5280 §5.2.3"},
		{"CRLNumber not an INTEGER", func(s *crlSpec) { s.exts[1] = mkExt(oidExtCRLNumber, nil, mkOctets([]byte{1})) }, "RFC 5280 §5.2.3"},
		{"signature with unused bits", func(s *crlSpec) { s.sigBits[0] = 1 }, "RFC 5280 §5.1.1.3"},
		{"trailing bytes", func(s *crlSpec) { s.trailing = []byte{0} }, "RFC 5280 §5.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goodCRLSpec()
			tt.modify(&s)
			c, err := ParseCRL(s.build())
			if c != nil {
				t.Errorf("got a CRL along with the error")
			}
			checkRule(t, err, tt.rule)
		})
	}
}

// TestParseCRLTruncated cuts a real CRL at every length: every prefix must
// be rejected as malformed, not panic.
func TestParseCRLTruncated(t *testing.T) {
	der := goodCRLSpec().build()
	for n := range len(der) {
		if _, err := ParseCRL(der[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%d of %d bytes: %v", n, len(der), err)
		}
	}
}

// TestParseCRLCorpus parses every CRL the corpus lists: all are labelled
// valid, and all parse.
func TestParseCRLCorpus(t *testing.T) {
	n := 0
	for _, e := range rowsEndingIn(t, ".crl") {
		c, err := ParseCRL(mustRead(t, e.path))
		if (err == nil) != e.valid {
			t.Errorf("%s: %v (expected valid=%v: %s)", e.path, err, e.valid, e.reason)
			continue
		}
		if err != nil {
			continue
		}
		n++
		if !slices.IsSortedFunc(c.Revoked, func(a, b RevokedCert) int { return compareSerials(a.Serial, b.Serial) }) {
			t.Errorf("%s: Revoked not sorted", e.path)
		}
		for _, r := range c.Revoked {
			if !c.IsRevoked(r.Serial) {
				t.Errorf("%s: IsRevoked(%x) false for a listed serial", e.path, r.Serial)
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d CRLs parsed", n)
	}
}

// TestCRLCheckSignatureFrom verifies every TWNIC CRL whose issuer is in the
// tree (matched by AKI and SKI), and that a changed byte fails.
func TestCRLCheckSignatureFrom(t *testing.T) {
	bySKI := twnicCertsBySKI(t)
	crls := filesEndingIn(t, twnicDir, ".crl")
	var orphans []string
	for path, der := range crls {
		c, err := ParseCRL(der)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		issuer, ok := bySKI[string(c.AKI)]
		if !ok {
			orphans = append(orphans, path)
			continue
		}
		if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
			t.Errorf("%s: issuer name differs from the subject of the CA with SKI %X", path, c.AKI)
		}
		if err := c.CheckSignatureFrom(issuer); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		// The last octet of the CRL number: still a valid CRL, not the signed one.
		bad := bytes.Clone(der)
		j := bytes.LastIndex(bad, mkOID(oidExtCRLNumber)) + len(mkOID(oidExtCRLNumber))
		bad[j+4+int(bad[j+3])-1] ^= 1 // OCTET STRING, INTEGER headers, then the value
		if c, err := ParseCRL(bad); err != nil {
			t.Errorf("%s: changed CRL number: %v", path, err)
		} else if err := c.CheckSignatureFrom(issuer); !errors.Is(err, ErrSignature) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: changed CRL number: %v, want ErrSignature", path, err)
		}
		bad = bytes.Clone(der)
		bad[len(bad)-1] ^= 1
		if c, err := ParseCRL(bad); err != nil {
			t.Errorf("%s: changed signature: %v", path, err)
		} else if err := c.CheckSignatureFrom(issuer); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: changed signature: %v, want ErrSignature", path, err)
		}
	}
	// Only TWNICCA's own CRLs (three keys) lack their issuer: APNIC's
	// certificates for TWNICCA are not part of the snapshot.
	for _, path := range orphans {
		if filepath.Base(filepath.Dir(path)) != "TWNICCA" {
			t.Errorf("%s: no issuer in the tree", path)
		}
	}
	if verified := len(crls) - len(orphans); verified < 400 {
		t.Errorf("only %d of %d CRLs verified", verified, len(crls))
	}
	if err := (&CRL{}).CheckSignatureFrom(nil); !errors.Is(err, ErrSignature) {
		t.Errorf("nil issuer: %v", err)
	}
}

// benchFiles returns the contents of the TWNIC files ending in ext, in a
// fixed order, and their total size.
func benchFiles(b *testing.B, ext string) ([][]byte, int) {
	files := filesEndingIn(b, twnicDir, ext)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	out, total := make([][]byte, 0, len(names)), 0
	for _, name := range names {
		out = append(out, files[name])
		total += len(files[name])
	}
	return out, total
}

// BenchmarkParseCRL parses the TWNIC CRLs in turn; one op is one CRL.
func BenchmarkParseCRL(b *testing.B) {
	crls, total := benchFiles(b, ".crl")
	b.ReportAllocs()
	b.SetBytes(int64(total / len(crls)))
	i := 0
	for b.Loop() {
		if _, err := ParseCRL(crls[i%len(crls)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func FuzzParseCRL(f *testing.F) {
	for i, e := range rowsEndingIn(f, ".crl") {
		if i%8 == 0 { // a sample: the CRLs differ little but in their entries
			f.Add(mustRead(f, e.path))
		}
	}
	f.Add(goodCRLSpec().build())
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCRL(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && (c == nil || c.Number == nil || len(c.AKI) != 20) {
			t.Fatalf("incomplete CRL without an error: %+v", c)
		}
	})
}
