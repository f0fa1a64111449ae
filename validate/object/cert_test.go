package object

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	encoding_asn1 "encoding/asn1"
	"encoding/hex"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The corpus path is corpusDir, shared with the other tests of the package.

// twnicDir is a real repository snapshot inside the corpus.
const twnicDir = corpusDir + "/snapshot-2026-03-16-twnic"

// certExpectation is one row of a corpus EXPECTED.tsv.
type certExpectation struct {
	path   string // relative to corpusDir
	valid  bool
	reason string
}

// rowsEndingIn reads every EXPECTED.tsv row for files ending in ext.
func rowsEndingIn(tb testing.TB, ext string) []certExpectation {
	tb.Helper()
	tsvs, err := filepath.Glob(filepath.Join(corpusDir, "*", "EXPECTED.tsv"))
	if err != nil || len(tsvs) == 0 {
		tb.Fatalf("corpus missing at %s: %v", corpusDir, err)
	}
	var out []certExpectation
	for _, tsv := range tsvs {
		src := filepath.Base(filepath.Dir(tsv))
		f, err := os.Open(tsv)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			col := strings.Split(sc.Text(), "\t")
			if len(col) < 4 || !strings.HasSuffix(col[0], ext) || col[2] == "expected" {
				continue
			}
			out = append(out, certExpectation{filepath.Join(src, col[0]), col[2] == "valid", col[3]})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no %s rows in the corpus", ext)
	}
	return out
}

// mustRead reads a corpus file by its path relative to corpusDir.
func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	der, err := os.ReadFile(filepath.Join(corpusDir, path))
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// filesEndingIn returns the contents of the files under dir ending in ext.
func filesEndingIn(tb testing.TB, dir, ext string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ext) {
			return err
		}
		der, err := os.ReadFile(path)
		files[path] = der
		return err
	})
	if err != nil || len(files) == 0 {
		tb.Fatalf("corpus files %s under %s: %d found, %v", ext, dir, len(files), err)
	}
	return files
}

// knownCertDisagreements are corpus .cer files where ParseCert's verdict
// differs from EXPECTED.tsv on purpose; the reason says why.
var knownCertDisagreements = map[string]string{
	// The EE certificate of an RPSL signature (RFC 7909 style) has no SIA
	// signedObject and so fails RFC 6487 §4.8.8.2 anyway; listed here in case
	// that changes: as a parser ParseCert accepts EE certificates.
}

func TestParseCertCorpus(t *testing.T) {
	var disagree []string
	kinds := map[CertKind]int{}
	for _, e := range rowsEndingIn(t, ".cer") {
		der, err := os.ReadFile(filepath.Join(corpusDir, e.path))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseCert(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: untyped error %v", e.path, err)
		}
		if err == nil {
			kinds[c.Kind]++
		}
		if (err == nil) == e.valid {
			if err != nil {
				t.Logf("%s: rejected as expected: %v", e.path, err)
			}
			continue
		}
		if _, ok := knownCertDisagreements[e.path]; ok {
			continue
		}
		verdict := "accepted"
		if err != nil {
			verdict = "rejected: " + err.Error()
		}
		disagree = append(disagree, e.path+": "+verdict+" (expected: "+e.reason+")")
	}
	sort.Strings(disagree)
	for _, d := range disagree {
		t.Error(d)
	}
	t.Logf("parsed kinds: %d CA, %d EE, %d router", kinds[KindCA], kinds[KindEE], kinds[KindRouter])
}

// TestParseCertFields checks every field on real certificates of each kind.
func TestParseCertFields(t *testing.T) {
	tests := []struct {
		file         string
		kind         CertKind
		selfSigned   bool
		notify, repo bool
		ipv4, as     bool
	}{
		{"rpki-rs/test-data/repository/router.cer", KindRouter, false, false, false, false, true},
		{"jdr-jl/test/testdata/AfriNIC.cer", KindCA, true, false, true, true, true},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			der, err := os.ReadFile(filepath.Join(corpusDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseCert(der)
			if err != nil {
				t.Fatal(err)
			}
			x, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tt.kind || c.SelfSigned != tt.selfSigned {
				t.Errorf("kind %v self-signed %t, want %v %t", c.Kind, c.SelfSigned, tt.kind, tt.selfSigned)
			}
			if !bytes.Equal(c.Raw, der) || !bytes.Equal(c.RawTBS, x.RawTBSCertificate) ||
				!bytes.Equal(c.RawSPKI, x.RawSubjectPublicKeyInfo) || !bytes.Equal(c.RawSubject, x.RawSubject) ||
				!bytes.Equal(c.RawIssuer, x.RawIssuer) || !bytes.Equal(c.Signature, x.Signature) {
				t.Error("raw fields differ from crypto/x509's")
			}
			if !bytes.Equal(c.Serial, x.SerialNumber.Bytes()) || !c.NotBefore.Equal(x.NotBefore) || !c.NotAfter.Equal(x.NotAfter) {
				t.Error("serial or validity differ from crypto/x509's")
			}
			if pub, ok := c.PublicKey().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(x.PublicKey) {
				t.Errorf("public key %v, want crypto/x509's %v", c.PublicKey(), x.PublicKey)
			}
			if !bytes.Equal(c.SKI, x.SubjectKeyId) || !bytes.Equal(c.AKI, x.AuthorityKeyId) {
				t.Errorf("SKI %x AKI %x, want %x %x", c.SKI, c.AKI, x.SubjectKeyId, x.AuthorityKeyId)
			}
			if tt.selfSigned != (c.CRLDP == "" && c.AIA == "") {
				t.Errorf("CRLDP %q AIA %q", c.CRLDP, c.AIA)
			}
			if (c.Notify != "") != tt.notify || (c.CARepository != "" && c.Manifest != "") != tt.repo {
				t.Errorf("SIA: repo %q manifest %q notify %q", c.CARepository, c.Manifest, c.Notify)
			}
			if (c.Resources.IPv4 != nil) != tt.ipv4 || (c.Resources.AS != nil) != tt.as {
				t.Errorf("resources %+v", c.Resources)
			}
		})
	}
}

// embeddedEE returns the first certificate of a DER CMS SignedData, read
// just far enough for tests; the CMS parser proper lives in cms.go.
func embeddedEE(der []byte) ([]byte, bool) {
	s := cryptobyte.String(der)
	var ci, wrap, sd, certs, cert cryptobyte.String
	ok := s.ReadASN1(&ci, asn1.SEQUENCE) && ci.SkipASN1(asn1.OBJECT_IDENTIFIER) &&
		ci.ReadASN1(&wrap, asn1.Tag(0).Constructed().ContextSpecific()) &&
		wrap.ReadASN1(&sd, asn1.SEQUENCE) && sd.SkipASN1(asn1.INTEGER) && sd.SkipASN1(asn1.SET) &&
		sd.SkipASN1(asn1.SEQUENCE) && sd.ReadASN1(&certs, asn1.Tag(0).Constructed().ContextSpecific()) &&
		certs.ReadASN1Element(&cert, asn1.SEQUENCE)
	return cert, ok
}

// knownEEDisagreements are signed objects labelled valid whose EE
// certificate ParseCert rejects on purpose.
var knownEEDisagreements = map[string]string{
	// A generated sample whose EE certificate has no CRLDP, which RFC 6487
	// §4.8.6 requires; rpki-client 8.2 rejects the object too (for its eContent).
	"rpki-commons/src/test/resources/interop/aspa/GOOD-profile-15-rpki-commons-propertytest-sample.asa": "RFC 6487 §4.8.6",
}

// TestParseCertCorpusEE parses the EE certificate of every signed object
// the corpus labels valid. RSC (.sig, RFC 9323) is left out: its EE
// certificate has no SIA, and tally does not handle RSC.
func TestParseCertCorpusEE(t *testing.T) {
	n := 0
	for _, ext := range []string{".roa", ".mft", ".asa", ".gbr", ".tak", ".spl"} {
		for _, e := range rowsEndingIn(t, ext) {
			if !e.valid {
				continue
			}
			der, err := os.ReadFile(filepath.Join(corpusDir, e.path))
			if err != nil {
				t.Fatal(err)
			}
			ee, ok := embeddedEE(der)
			if !ok {
				continue // BER CMS or no certificate: cms.go's business
			}
			n++
			c, err := ParseCert(ee)
			if rule, ok := knownEEDisagreements[e.path]; ok {
				checkRule(t, err, rule)
				continue
			}
			if err != nil {
				t.Errorf("%s: EE: %v", e.path, err)
			} else if c.Kind != KindEE {
				t.Errorf("%s: EE parsed as %v", e.path, c.Kind)
			}
		}
	}
	t.Logf("%d EE certificates parsed", n)
}

// TestCheckSignatureFrom verifies, in the TWNIC snapshot, the EE
// certificates of manifests and ROAs against the CA certificates that
// issued them (matched by AKI and SKI), and that a flipped byte fails.
func TestCheckSignatureFrom(t *testing.T) {
	bySKI := twnicCertsBySKI(t)
	pairs := 0
	for _, ext := range []string{".mft", ".roa"} {
		for path, der := range filesEndingIn(t, twnicDir, ext) {
			ee, ok := embeddedEE(der)
			if !ok {
				t.Fatalf("%s: no EE certificate", path)
			}
			c, err := ParseCert(ee)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			issuer, ok := bySKI[string(c.AKI)]
			if !ok {
				continue
			}
			pairs++
			if err := c.CheckSignatureFrom(issuer); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if pairs%100 == 1 { // the broken variants on a sample, to keep the test quick
				checkBrokenPair(t, path, c, issuer)
			}
		}
	}
	if pairs < 100 {
		t.Fatalf("only %d issuer/child pairs found", pairs)
	}
	t.Logf("%d pairs verified", pairs)
}

// checkBrokenPair checks that a changed TBS, a changed signature or the
// wrong key fail with ErrSignature, and not with ErrMalformed.
func checkBrokenPair(t *testing.T, name string, c, issuer *Cert) {
	t.Helper()
	bad := *c
	bad.RawTBS = bytes.Clone(c.RawTBS)
	bad.RawTBS[len(bad.RawTBS)/2] ^= 1
	if err := bad.CheckSignatureFrom(issuer); !errors.Is(err, ErrSignature) || errors.Is(err, ErrMalformed) {
		t.Errorf("%s with a flipped TBS byte: %v", name, err)
	}
	bad = *c
	bad.Signature = bytes.Clone(c.Signature)
	bad.Signature[0] ^= 0x80
	if err := bad.CheckSignatureFrom(issuer); !errors.Is(err, ErrSignature) {
		t.Errorf("%s with a flipped signature byte: %v", name, err)
	}
	if err := c.CheckSignatureFrom(c); !errors.Is(err, ErrSignature) {
		t.Errorf("%s verified with its own key: %v", name, err)
	}
}

// twnicCertsBySKI parses the TWNIC snapshot's certificates, by SKI.
func twnicCertsBySKI(t *testing.T) map[string]*Cert {
	t.Helper()
	bySKI := map[string]*Cert{}
	for path, der := range filesEndingIn(t, twnicDir, ".cer") {
		c, err := ParseCert(der)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		bySKI[string(c.SKI)] = c
	}
	return bySKI
}

// TestCheckSignatureCRL verifies the TWNIC CRLs with CheckSignature and the
// key of the CA certificate that issued them.
func TestCheckSignatureCRL(t *testing.T) {
	bySKI := twnicCertsBySKI(t)
	n := 0
	for path, der := range filesEndingIn(t, twnicDir, ".crl") {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		issuer, ok := bySKI[string(crl.AuthorityKeyId)]
		if !ok {
			continue
		}
		n++
		if err := CheckSignature(issuer.PublicKey(), crl.RawTBSRevocationList, crl.Signature); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if err := CheckSignature(issuer.PublicKey(), crl.RawTBSRevocationList[1:], crl.Signature); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: truncated TBS: %v", path, err)
		}
	}
	if n < 100 {
		t.Fatalf("only %d CRLs with a known issuer", n)
	}
}

func TestCheckSignatureNonRSA(t *testing.T) {
	der, err := os.ReadFile(filepath.Join(corpusDir, "rpki-rs/test-data/repository/router.cer"))
	if err != nil {
		t.Fatal(err)
	}
	router, err := ParseCert(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := router.CheckSignatureFrom(router); !errors.Is(err, ErrSignature) {
		t.Errorf("ECDSA issuer key: %v", err)
	}
	if err := CheckSignature(nil, nil, nil); !errors.Is(err, ErrSignature) {
		t.Errorf("nil key: %v", err)
	}
}

// TestPrepareKey checks a prepared key against crypto/rsa: each TWNIC CA's
// key, prepared once, verifies every EE certificate it issued and refuses
// a flipped signature, exactly as crypto/rsa does; keys outside the
// RSA-2048/65537 profile are left to crypto/rsa, which still answers.
func TestPrepareKey(t *testing.T) {
	bySKI := twnicCertsBySKI(t)
	prepared := map[string]*Key{}
	n := 0
	for path, der := range filesEndingIn(t, twnicDir, ".roa") {
		ee, ok := embeddedEE(der)
		if !ok {
			t.Fatalf("%s: no EE certificate", path)
		}
		c, err := ParseCert(ee)
		if err != nil {
			t.Fatal(err)
		}
		issuer, ok := bySKI[string(c.AKI)]
		if !ok {
			continue
		}
		k := prepared[string(c.AKI)]
		if k == nil {
			k = PrepareKey(issuer.PublicKey())
			if !k.fast {
				t.Fatalf("%s: issuer's RSA-2048 key not prepared for the fast verifier", path)
			}
			prepared[string(c.AKI)] = k
		}
		digest := sha256.Sum256(c.RawTBS)
		bad := bytes.Clone(c.Signature)
		bad[len(bad)/3] ^= 4
		for _, sig := range [][]byte{c.Signature, bad} {
			got := k.CheckSignatureDigest(digest[:], sig)
			want := rsa.VerifyPKCS1v15(issuer.PublicKey().(*rsa.PublicKey), crypto.SHA256, digest[:], sig)
			if (got == nil) != (want == nil) || (got != nil && !errors.Is(got, ErrSignature)) {
				t.Errorf("%s: prepared key says %v, crypto/rsa says %v", path, got, want)
			}
		}
		n++
	}
	if n < 100 || len(prepared) < 2 {
		t.Fatalf("only %d ROAs under %d prepared keys", n, len(prepared))
	}

	// RSA-3072 is outside the profile: crypto/rsa's path, same answers.
	k3072, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("3072"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k3072, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	k := PrepareKey(&k3072.PublicKey)
	if k.fast {
		t.Fatal("RSA-3072 key prepared for the RSA-2048 verifier")
	}
	if err := k.CheckSignatureDigest(digest[:], sig); err != nil {
		t.Errorf("RSA-3072 signature: %v", err)
	}
	sig[5] ^= 1
	if err := k.CheckSignatureDigest(digest[:], sig); !errors.Is(err, ErrSignature) {
		t.Errorf("RSA-3072 flipped signature: %v", err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := PrepareKey(&ec.PublicKey).CheckSignatureDigest(digest[:], sig); !errors.Is(err, ErrSignature) {
		t.Errorf("ECDSA key: %v", err)
	}
}

func TestFileHash(t *testing.T) {
	got := FileHash([]byte("abc"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if hex.EncodeToString(got[:]) != want {
		t.Errorf("FileHash(abc) = %x", got)
	}
}

func BenchmarkParseCert(b *testing.B) {
	files := filesEndingIn(b, twnicDir, ".cer")
	ders := make([][]byte, 0, len(files))
	size := 0
	for _, der := range files {
		ders = append(ders, der)
		size += len(der)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size / len(ders)))
	i := 0
	for b.Loop() {
		if _, err := ParseCert(ders[i%len(ders)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func FuzzParseCert(f *testing.F) {
	for _, e := range rowsEndingIn(f, ".cer") {
		f.Add(mustRead(f, e.path))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCert(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && c == nil {
			t.Fatal("nil Cert without an error")
		}
	})
}

// Keys for the profile tests, made once per test binary.
var (
	testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	testECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

// der builds DER with a cryptobyte continuation.
func der(f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic()
}

func seq(f func(b *cryptobyte.Builder)) []byte {
	return der(func(b *cryptobyte.Builder) { b.AddASN1(asn1.SEQUENCE, f) })
}

// oidOf turns OID contents into the form crypto/x509 templates take.
func oidOf(oid []byte) encoding_asn1.ObjectIdentifier {
	var out encoding_asn1.ObjectIdentifier
	s := cryptobyte.String(der(func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
	}))
	if !s.ReadASN1ObjectIdentifier(&out) {
		panic("bad OID")
	}
	return out
}

func ext(oid []byte, critical bool, value []byte) pkix.Extension {
	return pkix.Extension{Id: oidOf(oid), Critical: critical, Value: value}
}

func accessDescs(pairs ...any) []byte {
	return seq(func(b *cryptobyte.Builder) {
		for i := 0; i < len(pairs); i += 2 {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(pairs[i].([]byte)) })
				b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(pairs[i+1].(string))) })
			})
		}
	})
}

func crldpValue(uris ...string) []byte {
	return seq(func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(tagDPName, func(b *cryptobyte.Builder) {
				b.AddASN1(tagFullName, func(b *cryptobyte.Builder) {
					for _, u := range uris {
						b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(u)) })
					}
				})
			})
		})
	})
}

func policies(oids ...[]byte) []byte {
	return seq(func(b *cryptobyte.Builder) {
		for _, oid := range oids {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
			})
		}
	})
}

func octets(v []byte) []byte { return der(func(b *cryptobyte.Builder) { b.AddASN1OctetString(v) }) }
func bitString(v ...byte) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(v) })
	})
}

// keyID is the RFC 6487 §4.8.2 key identifier of pub.
func keyID(pub any) []byte {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	s := cryptobyte.String(spki)
	var body, bits cryptobyte.String
	if !s.ReadASN1(&body, asn1.SEQUENCE) || !body.SkipASN1(asn1.SEQUENCE) || !body.ReadASN1(&bits, asn1.BIT_STRING) {
		panic("bad SPKI")
	}
	sum := sha1.Sum(bits[1:])
	return sum[:]
}

var (
	issuerKeyID = bytes.Repeat([]byte{0xaa}, 20)
	ipExt       = ext(oidExtIPAddrBlocks, true, ipAddrBlocks(v4(pfx(0x00, 10))))
	asExt       = ext(oidExtASIdentifiers, true, asIdentifiers(asID(64496)))
)

// profileCert describes a certificate for crypto/x509 to build: its
// extensions are all ours, so each case can break exactly one.
type profileCert struct {
	subject    pkix.Name
	selfSigned bool
	router     bool
	serial     int64
	exts       []pkix.Extension
}

// baseCA, baseTA, baseEE and baseRouter return valid certificates.
func baseCA() profileCert {
	pub := &testRSAKey().PublicKey
	return profileCert{subject: pkix.Name{CommonName: "ca"}, serial: 1, exts: []pkix.Extension{
		ext(oidExtBasicConstraints, true, seq(func(b *cryptobyte.Builder) { b.AddASN1Boolean(true) })),
		ext(oidExtSKI, false, octets(keyID(pub))),
		ext(oidExtAKI, false, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(tagKeyID, func(b *cryptobyte.Builder) { b.AddBytes(issuerKeyID) })
		})),
		ext(oidExtKeyUsage, true, bitString(kuCA...)),
		ext(oidExtCRLDP, false, crldpValue("rsync://example.net/repo/issuer.crl")),
		ext(oidExtAIA, false, accessDescs(oidADCAIssuers, "rsync://example.net/repo/issuer.cer")),
		ext(oidExtSIA, false, accessDescs(
			oidADCARepository, "rsync://example.net/repo/ca/",
			oidADRPKIManifest, "rsync://example.net/repo/ca/ca.mft",
			oidADRPKINotify, "https://example.net/notification.xml")),
		ext(oidExtCertPolicies, true, policies(oidPolicyRPKI)),
		ipExt,
		asExt,
	}}
}

func baseTA() profileCert {
	c := baseCA()
	c.selfSigned = true
	c = c.without(oidExtAKI).without(oidExtCRLDP).without(oidExtAIA)
	return c
}

func baseEE() profileCert {
	c := baseCA().without(oidExtBasicConstraints)
	c.subject = pkix.Name{CommonName: "ee", SerialNumber: "1"}
	return c.with(ext(oidExtKeyUsage, true, bitString(kuEE...))).
		with(ext(oidExtSIA, false, accessDescs(oidADSignedObject, "rsync://example.net/repo/ca/x.roa")))
}

func baseRouter() profileCert {
	c := baseEE().without(oidExtSIA).without(oidExtIPAddrBlocks)
	c.router = true
	c.subject = pkix.Name{CommonName: "ROUTER-0000FBF0"}
	return c.with(ext(oidExtSKI, false, octets(keyID(&testECKey().PublicKey)))).
		with(ext(oidExtExtKeyUsage, false, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidKPBGPsecRouter) })
		})))
}

// with replaces the extension with e's OID, or appends e.
func (c profileCert) with(e pkix.Extension) profileCert {
	exts := slices.Clone(c.exts)
	for i := range exts {
		if exts[i].Id.Equal(e.Id) {
			exts[i] = e
			c.exts = exts
			return c
		}
	}
	c.exts = append(exts, e)
	return c
}

func (c profileCert) without(oid []byte) profileCert {
	id := oidOf(oid)
	c.exts = slices.DeleteFunc(slices.Clone(c.exts), func(e pkix.Extension) bool { return e.Id.Equal(id) })
	return c
}

func (c profileCert) build(t *testing.T) []byte {
	t.Helper()
	signer := testRSAKey()
	var pub any = &signer.PublicKey
	if c.router {
		pub = &testECKey().PublicKey
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(c.serial),
		Subject:         c.subject,
		NotBefore:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		NotAfter:        time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
		ExtraExtensions: c.exts,
	}
	parent := &x509.Certificate{Subject: pkix.Name{CommonName: "issuer"}, PublicKey: &signer.PublicKey}
	if c.selfSigned {
		parent = tmpl
	}
	out, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseCertProfile(t *testing.T) {
	unknown := []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x01} // 1.3.6.1.4.1.311.1
	tests := []struct {
		name     string
		cert     profileCert
		kind     CertKind
		wantRule string
	}{
		{name: "CA", cert: baseCA(), kind: KindCA},
		{name: "TA", cert: baseTA(), kind: KindCA},
		{name: "EE", cert: baseEE(), kind: KindEE},
		{name: "router", cert: baseRouter(), kind: KindRouter},
		{name: "CA without notify", cert: baseCA().with(ext(oidExtSIA, false, accessDescs(
			oidADRPKIManifest, "rsync://example.net/repo/ca/ca.mft", oidADCARepository, "rsync://example.net/repo/ca/"))), kind: KindCA},
		{name: "EE with notify", cert: baseEE().with(ext(oidExtSIA, false, accessDescs(
			oidADSignedObject, "rsync://example.net/repo/ca/x.roa", oidADRPKINotify, "https://example.net/n.xml"))), kind: KindEE},
		{name: "unknown non-critical", cert: baseCA().with(ext(unknown, false, []byte{0x05, 0x00})), kind: KindCA},
		{name: "CPS qualifier", cert: baseCA().with(ext(oidExtCertPolicies, true, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidPolicyRPKI) })
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidQtCPS) })
						b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("https://example.net/cps")) })
					})
				})
			})
		}))), kind: KindCA},

		{name: "serial zero", cert: func() profileCert { c := baseCA(); c.serial = 0; return c }(), wantRule: "RFC 6487 §4.2"},
		{name: "extra name attribute", cert: func() profileCert {
			c := baseCA()
			c.subject.Organization = []string{"o"}
			return c
		}(), wantRule: "RFC 6487 §4.5"},
		{name: "basicConstraints not critical", cert: baseCA().with(ext(oidExtBasicConstraints, false, seq(func(b *cryptobyte.Builder) { b.AddASN1Boolean(true) }))), wantRule: "RFC 6487 §4.8.1"},
		{name: "pathLenConstraint", cert: baseCA().with(ext(oidExtBasicConstraints, true, seq(func(b *cryptobyte.Builder) { b.AddASN1Boolean(true); b.AddASN1Int64(0) }))), wantRule: "RFC 6487 §4.8.1"},
		{name: "SKI absent", cert: baseCA().without(oidExtSKI), wantRule: "RFC 6487 §4.8.2"},
		{name: "SKI not the key hash", cert: baseCA().with(ext(oidExtSKI, false, octets(issuerKeyID))), wantRule: "RFC 6487 §4.8.2"},
		{name: "AKI with serial", cert: baseCA().with(ext(oidExtAKI, false, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(tagKeyID, func(b *cryptobyte.Builder) { b.AddBytes(issuerKeyID) })
			b.AddASN1(asn1.Tag(2).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{1}) })
		}))), wantRule: "RFC 6487 §4.8.3"},
		{name: "CA without AKI", cert: baseCA().without(oidExtAKI), wantRule: "RFC 6487 §4.8.3"},
		{name: "CA keyUsage digitalSignature", cert: baseCA().with(ext(oidExtKeyUsage, true, bitString(kuEE...))), wantRule: "RFC 6487 §4.8.4"},
		{name: "keyUsage not critical", cert: baseCA().with(ext(oidExtKeyUsage, false, bitString(kuCA...))), wantRule: "RFC 6487 §4.8.4"},
		{name: "keyUsage not DER", cert: baseCA().with(ext(oidExtKeyUsage, true, bitString(0x00, 0x06))), wantRule: "RFC 6487 §4.8.4"},
		{name: "EKU on EE", cert: baseEE().with(ext(oidExtExtKeyUsage, false, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(unknown) })
		}))), wantRule: "RFC 6487 §4.8.5"},
		{name: "CRLDP absent", cert: baseCA().without(oidExtCRLDP), wantRule: "RFC 6487 §4.8.6"},
		{name: "CRLDP two rsync URIs", cert: baseCA().with(ext(oidExtCRLDP, false, crldpValue("rsync://a.net/r/x.crl", "rsync://b.net/r/x.crl"))), wantRule: "RFC 6487 §4.8.6"},
		{name: "CRLDP http only", cert: baseCA().with(ext(oidExtCRLDP, false, crldpValue("http://a.net/r/x.crl"))), wantRule: "RFC 6487 §4.8.6"},
		{name: "AIA with OCSP", cert: baseCA().with(ext(oidExtAIA, false, accessDescs(
			oidADCAIssuers, "rsync://example.net/repo/issuer.cer",
			[]byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01}, "http://ocsp.example.net/"))), wantRule: "RFC 6487 §4.8.7"},
		{name: "AIA absent", cert: baseCA().without(oidExtAIA), wantRule: "RFC 6487 §4.8.7"},
		{name: "URI with a space", cert: baseCA().with(ext(oidExtAIA, false, accessDescs(oidADCAIssuers, "rsync://example.net/a b.cer"))), wantRule: "RFC 6487 §4.8.7"},
		{name: "CA without manifest", cert: baseCA().with(ext(oidExtSIA, false, accessDescs(oidADCARepository, "rsync://example.net/repo/ca/"))), wantRule: "RFC 6487 §4.8.8.1"},
		{name: "notify over http", cert: baseCA().with(ext(oidExtSIA, false, accessDescs(
			oidADCARepository, "rsync://example.net/repo/ca/",
			oidADRPKIManifest, "rsync://example.net/repo/ca/ca.mft",
			oidADRPKINotify, "http://example.net/notification.xml"))), wantRule: "RFC 6487 §4.8.8"},
		{name: "EE with caRepository", cert: baseEE().with(ext(oidExtSIA, false, accessDescs(
			oidADSignedObject, "rsync://example.net/repo/ca/x.roa", oidADCARepository, "rsync://example.net/repo/ca/"))), wantRule: "RFC 6487 §4.8.8.2"},
		{name: "EE without signedObject", cert: baseEE().without(oidExtSIA), wantRule: "RFC 6487 §4.8.8.2"},
		{name: "two policies", cert: baseCA().with(ext(oidExtCertPolicies, true, policies(oidPolicyRPKI, oidPolicyRPKIV2))), wantRule: "RFC 6487 §4.8.9"},
		{name: "RFC 8360 policy", cert: baseCA().with(ext(oidExtCertPolicies, true, policies(oidPolicyRPKIV2))), wantRule: "RFC 6487 §4.8.9"},
		{name: "policies absent", cert: baseCA().without(oidExtCertPolicies), wantRule: "RFC 6487 §4.8.9"},
		{name: "IP not critical", cert: baseCA().with(ext(oidExtIPAddrBlocks, false, ipAddrBlocks(v4(pfx(0x00, 10))))), wantRule: "RFC 6487 §4.8.10"},
		{name: "no resources", cert: baseCA().without(oidExtIPAddrBlocks).without(oidExtASIdentifiers), wantRule: "RFC 6487 §4.8.10"},
		{name: "bad IP resources", cert: baseCA().with(ext(oidExtIPAddrBlocks, true, ipAddrBlocks(v4(pfx(0x00, 11), pfx(0x00, 10))))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "RFC 8360 resources", cert: baseCA().with(ext(oidExtIPAddrBlocksV2, true, ipAddrBlocks(v4(pfx(0x00, 10))))), wantRule: "RFC 8360 §4"},
		{name: "unknown critical", cert: baseCA().with(ext(unknown, true, []byte{0x05, 0x00})), wantRule: "RFC 5280 §4.2"},
		{name: "TA with CRLDP", cert: baseTA().with(ext(oidExtCRLDP, false, crldpValue("rsync://example.net/repo/x.crl"))), wantRule: "RFC 6487 §4.8.6"},
		{name: "TA with AIA", cert: baseTA().with(ext(oidExtAIA, false, accessDescs(oidADCAIssuers, "rsync://example.net/repo/x.cer"))), wantRule: "RFC 6487 §4.8.7"},
		{name: "TA with inherit", cert: baseTA().with(ext(oidExtASIdentifiers, true, asIdentifiersWith(func(b *cryptobyte.Builder) { addASChoice(b, nil) }, nil))), wantRule: "RFC 8630 §2.3"},
		{name: "EE naming its own key", cert: baseEE().with(ext(oidExtAKI, false, seq(func(b *cryptobyte.Builder) {
			b.AddASN1(tagKeyID, func(b *cryptobyte.Builder) { b.AddBytes(keyID(&testRSAKey().PublicKey)) })
		}))), wantRule: "RFC 6487 §4.8.3"},
		{name: "router with SIA", cert: baseRouter().with(ext(oidExtSIA, false, accessDescs(oidADSignedObject, "rsync://example.net/r/x.roa"))), wantRule: "RFC 8209 §3.1.3.3"},
		{name: "router with IP", cert: baseRouter().with(ipExt), wantRule: "RFC 8209 §3.1.3.4"},
		{name: "router with inherit", cert: baseRouter().with(ext(oidExtASIdentifiers, true, asIdentifiersWith(func(b *cryptobyte.Builder) { addASChoice(b, nil) }, nil))), wantRule: "RFC 8209 §3.1.3.5"},
		{name: "router keyUsage", cert: baseRouter().with(ext(oidExtKeyUsage, true, bitString(kuCA...))), wantRule: "RFC 8209 §3.1.3.2"},
		{name: "CA with an EC key", cert: func() profileCert {
			c := baseCA().with(ext(oidExtSKI, false, octets(keyID(&testECKey().PublicKey))))
			c.router = true // only selects the EC subject key
			return c
		}(), wantRule: "RFC 7935 §3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCert(tt.cert.build(t))
			if tt.wantRule != "" {
				checkRule(t, err, tt.wantRule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tt.kind || c.SelfSigned != tt.cert.selfSigned {
				t.Errorf("kind %v self-signed %t, want %v %t", c.Kind, c.SelfSigned, tt.kind, tt.cert.selfSigned)
			}
		})
	}
}

func TestParseCertUnknownExtension(t *testing.T) {
	unknown := []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x01}
	c, err := ParseCert(baseCA().with(ext(unknown, false, []byte{0x05, 0x00})).build(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1.3.6.1.4.1.311.1"}, c.UnknownExtensions); diff != "" {
		t.Errorf("UnknownExtensions (-want +got):\n%s", diff)
	}
}

func TestParseCertEncoding(t *testing.T) {
	good := baseCA().build(t)
	tests := []struct {
		name     string
		der      []byte
		wantRule string
	}{
		{"trailing byte", append(slices.Clone(good), 0), "RFC 5280 §4.1"},
		{"truncated", good[:len(good)-1], "RFC 5280 §4.1"},
		{"empty", nil, "RFC 5280 §4.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCert(tt.der)
			checkRule(t, err, tt.wantRule)
		})
	}
}

// BenchmarkX509Baseline is crypto/x509's share of BenchmarkParseCert.
func BenchmarkX509Baseline(b *testing.B) {
	files := filesEndingIn(b, twnicDir, ".cer")
	ders := slices.Collect(maps.Values(files))
	b.ReportAllocs()
	b.SetBytes(int64(len(ders[0])))
	i := 0
	for b.Loop() {
		if _, err := x509.ParseCertificate(ders[i%len(ders)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// parseKeyParts reads RSA and P-256 keys as crypto/x509 does, and
// refuses what the profiles do not admit: other algorithms and curves,
// missing or wrong parameters, non-minimal or non-positive integers, and
// trailing data anywhere.
func TestParseKeyParts(t *testing.T) {
	split := func(t *testing.T, spki []byte) (cryptobyte.String, []byte) {
		t.Helper()
		s := cryptobyte.String(spki)
		var seq, alg, bits cryptobyte.String
		if !s.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&alg, asn1.SEQUENCE) || !seq.ReadASN1(&bits, asn1.BIT_STRING) {
			t.Fatal("bad SPKI")
		}
		return alg, bits[1:]
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range []any{&rk.PublicKey, &ek.PublicKey} {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		want, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseKeyParts(split(t, der))
		if err != nil {
			t.Fatalf("%T: %v", pub, err)
		}
		if !got.public().(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
			t.Errorf("%T: key differs from crypto/x509's", pub)
		}
	}
	rsaKey := func(n, e []byte) []byte {
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(n) })
			b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(e) })
		})
		return b.BytesOrPanic()
	}
	alg := func(oid []byte, params ...byte) cryptobyte.String {
		var b cryptobyte.Builder
		b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		b.AddBytes(params)
		return cryptobyte.String(b.BytesOrPanic())
	}
	null := []byte{0x05, 0x00}
	modulus := append([]byte{0x00}, rk.N.Bytes()...)
	good := rsaKey(modulus, []byte{1, 0, 1})
	ecPoint, err := ek.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ec := append([]byte{2 + ecPoint[len(ecPoint)-1]&1}, ecPoint[1:33]...) // compressed form
	p384 := []byte{0x2b, 0x81, 0x04, 0x00, 0x22}
	if _, err := parseKeyParts(alg(oidRSAEncryption, null...), good); err != nil {
		t.Fatalf("the well-formed RSA key the cases below break: %v", err)
	}
	for name, tc := range map[string]struct {
		alg cryptobyte.String
		key []byte
	}{
		"no NULL parameters":    {alg(oidRSAEncryption), good},
		"parameters not NULL":   {alg(oidRSAEncryption, 0x04, 0x00), good},
		"trailing after key":    {alg(oidRSAEncryption, null...), append(slices.Clip(good), 0)},
		"trailing in algorithm": {alg(oidRSAEncryption, 0x05, 0x00, 0x05, 0x00), good},
		"negative modulus":      {alg(oidRSAEncryption, null...), rsaKey([]byte{0x80, 1}, []byte{1, 0, 1})},
		"zero modulus":          {alg(oidRSAEncryption, null...), rsaKey([]byte{0}, []byte{1, 0, 1})},
		"empty modulus":         {alg(oidRSAEncryption, null...), rsaKey(nil, []byte{1, 0, 1})},
		"non-minimal modulus":   {alg(oidRSAEncryption, null...), rsaKey(append([]byte{0}, modulus...), []byte{1, 0, 1})},
		"modulus 00 7F":         {alg(oidRSAEncryption, null...), rsaKey([]byte{0, 0x7f}, []byte{1, 0, 1})},
		"modulus FF 80":         {alg(oidRSAEncryption, null...), rsaKey([]byte{0xff, 0x80}, []byte{1, 0, 1})},
		"zero exponent":         {alg(oidRSAEncryption, null...), rsaKey(modulus, []byte{0})},
		"non-minimal exponent":  {alg(oidRSAEncryption, null...), rsaKey(modulus, []byte{0, 1, 0, 1})},
		"other algorithm":       {alg(oidSHA256WithRSAEncryption, null...), good},
		"other curve":           {alg(oidECPublicKey, append([]byte{0x06, byte(len(p384))}, p384...)...), ec},
		"compressed point":      {alg(oidECPublicKey, append([]byte{0x06, byte(len(oidP256))}, oidP256...)...), ec},
	} {
		if _, err := parseKeyParts(tc.alg, tc.key); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}
