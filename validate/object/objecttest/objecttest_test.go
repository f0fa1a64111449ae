package objecttest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// tree builds one of everything, in a fixed order, from a fresh KeySource.
type tree struct {
	ta, ca                             *Issuer
	roa, aspa, gbr, tak, crl, mft, rtr Object
}

func buildTree() *tree {
	ks := NewKeySource(0)
	t := &tree{ta: ks.NewTA(CertSpec{})}
	t.ca = t.ta.CA(CertSpec{
		IP: []string{"10.0.0.0/8", "2001:db8::/32"},
		AS: []string{"AS64496-AS64511"},
	})
	t.roa = t.ca.ROA(ROASpec{ASID: 64496, Prefixes: []ROAPrefix{
		{Prefix: "10.1.0.0/16", MaxLength: 24},
		{Prefix: "2001:db8::/48"},
		{Prefix: "10.0.0.0/16"},
	}})
	t.aspa = t.ca.ASPA(ASPASpec{Customer: 64496, Providers: []int64{64497, 64498}})
	t.gbr = t.ca.GBR(GBRSpec{})
	t.tak = t.ta.TAK(TAKSpec{})
	t.rtr = t.ca.Router(RouterSpec{AS: []string{"AS64500"}})
	t.crl = t.ca.CRL(CRLSpec{Number: 7, Revoked: []int64{99}})
	t.mft = t.ca.Manifest(MftSpec{Number: 3, Files: []Object{t.crl, t.roa, t.aspa, t.gbr, t.rtr}})
	return t
}

func (t *tree) objects() []Object {
	return []Object{t.ta.Object, t.ca.Object, t.roa, t.aspa, t.gbr, t.tak, t.crl, t.mft, t.rtr}
}

func TestByteStable(t *testing.T) {
	a, b := buildTree(), buildTree()
	for i, oa := range a.objects() {
		ob := b.objects()[i]
		if oa.URI != ob.URI || !bytes.Equal(oa.DER, ob.DER) || !bytes.Equal(oa.EE, ob.EE) {
			t.Errorf("%s: two builds differ", oa.URI)
		}
	}
}

func TestCertificates(t *testing.T) {
	tr := buildTree()
	ta, ca := tr.ta.X509, tr.ca.X509
	if ta == nil || ca == nil {
		t.Fatal("crypto/x509 rejected the TA or CA")
	}
	if err := ta.CheckSignatureFrom(ta); err != nil {
		t.Errorf("TA self-signature: %v", err)
	}
	if err := ca.CheckSignatureFrom(ta); err != nil {
		t.Errorf("CA signature: %v", err)
	}
	for _, c := range []*x509.Certificate{ta, ca} {
		if !c.IsCA || c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
			t.Errorf("%s: IsCA %v, KeyUsage %v", c.Subject, c.IsCA, c.KeyUsage)
		}
		if len(c.PolicyIdentifiers) != 1 || !c.PolicyIdentifiers[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 14, 2}) {
			t.Errorf("%s: policies %v", c.Subject, c.PolicyIdentifiers)
		}
		// Go leaves the critical RFC 3779 extensions to us.
		if len(c.UnhandledCriticalExtensions) != 2 {
			t.Errorf("%s: unhandled critical extensions %v", c.Subject, c.UnhandledCriticalExtensions)
		}
		if c.Subject.CommonName != hexName(c.SubjectKeyId) {
			t.Errorf("subject %q, SKI %X", c.Subject.CommonName, c.SubjectKeyId)
		}
	}
	if ta.AuthorityKeyId != nil || ta.CRLDistributionPoints != nil || ta.IssuingCertificateURL != nil {
		t.Errorf("TA has AKI %X, CRLDP %v or AIA %v", ta.AuthorityKeyId, ta.CRLDistributionPoints, ta.IssuingCertificateURL)
	}
	if !bytes.Equal(ca.AuthorityKeyId, ta.SubjectKeyId) {
		t.Errorf("CA AKI %X, TA SKI %X", ca.AuthorityKeyId, ta.SubjectKeyId)
	}
	if !slices.Equal(ca.CRLDistributionPoints, []string{tr.ta.CRLURI}) ||
		!slices.Equal(ca.IssuingCertificateURL, []string{tr.ta.URI}) {
		t.Errorf("CA CRLDP %v, AIA %v", ca.CRLDistributionPoints, ca.IssuingCertificateURL)
	}
	if !strings.HasPrefix(tr.ca.URI, tr.ta.Repo) || tr.ca.Name != hexName(tr.ca.SKI)+".cer" {
		t.Errorf("CA published at %s, TA repository %s", tr.ca.URI, tr.ta.Repo)
	}
	if ta.SerialNumber.Int64() != 1 || ca.SerialNumber.Int64() != 2 {
		t.Errorf("serials %v %v", ta.SerialNumber, ca.SerialNumber)
	}
}

func TestSIA(t *testing.T) {
	tr := buildTree()
	sia := extension(t, tr.ca.X509, oidExtSIA())
	for _, uri := range []string{tr.ca.Repo, tr.ca.ManifestURI, DefaultNotify} {
		if !bytes.Contains(sia, []byte(uri)) {
			t.Errorf("SIA lacks %s", uri)
		}
	}
	ee := mustParse(t, tr.roa.EE)
	if sia := extension(t, ee, oidExtSIA()); !bytes.Contains(sia, []byte(tr.roa.URI)) {
		t.Errorf("EE SIA lacks %s", tr.roa.URI)
	}
}

func extension(t *testing.T, c *x509.Certificate, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return e.Value
		}
	}
	t.Fatalf("%s: no extension %v", c.Subject, oid)
	return nil
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestResourceEncoding(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string // hex
	}{
		{"AS1000, as in the corpus", asIdentifiers([]string{"AS1000"}), "3008a0063004020203e8"},
		{"AS inherit", asIdentifiers([]string{"inherit"}), "3004a0020500"},
		{"AS range", asIdentifiers([]string{"AS64496-AS64511"}), "3010a00e300c300a020300fbf0020300fbff"},
		{"prefix /8", ipAddrBlocks([]string{"10.0.0.0/8"}), "300c300a0402000130040302000a"},
		{"prefix /12", ipAddrBlocks([]string{"10.64.0.0/12"}), "300d300b0402000130050303040a40"},
		{"range", ipAddrBlocks([]string{"129.64.0.0-129.95.255.255"}), "3014301204020001300c300a03030681400303058140"},
		{"inherit both", ipAddrBlocks([]string{"inherit"}), "301030060402000105003006040200020500"},
		{"v6 first, as given", ipAddrBlocks([]string{"::/0", "0.0.0.0/0"}), "301630090402000230030301003009040200013003030100"},
		{"CA key usage", keyUsage(int(x509.KeyUsageCertSign | x509.KeyUsageCRLSign)), "03020106"},
		{"EE key usage", keyUsage(int(x509.KeyUsageDigitalSignature)), "03020780"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCanonicalIPs(t *testing.T) {
	got := canonicalIPs([]string{"2001:db8::/48", "10.1.0.0/16", "10.0.0.0/16", "10.0.5.0/24", "10.3.0.0/16"})
	want := []string{"10.0.0.0/15", "10.3.0.0/16", "2001:db8::/48"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got = canonicalIPs([]string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"})
	if want := []string{"10.0.0.0-10.2.255.255"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCRL(t *testing.T) {
	tr := buildTree()
	crl, err := x509.ParseRevocationList(tr.crl.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(tr.ca.X509); err != nil {
		t.Errorf("signature: %v", err)
	}
	if crl.Number.Int64() != 7 || !bytes.Equal(crl.AuthorityKeyId, tr.ca.SKI) ||
		len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Int64() != 99 {
		t.Errorf("number %v, AKI %X, revoked %v", crl.Number, crl.AuthorityKeyId, crl.RevokedCertificateEntries)
	}
	if !crl.ThisUpdate.Before(Now()) || !crl.NextUpdate.After(Now()) {
		t.Errorf("CRL not current at Now(): %v .. %v", crl.ThisUpdate, crl.NextUpdate)
	}
	if tr.crl.URI != tr.ca.CRLURI || tr.crl.Name != hexName(tr.ca.SKI)+".crl" {
		t.Errorf("CRL at %s", tr.crl.URI)
	}
}

// signedObject is what readCMS pulls out of a CMS signed object.
type signedObject struct {
	ctype   asn1.ObjectIdentifier
	content []byte
	ee      *x509.Certificate
	attrs   []byte // the signed attributes as SET OF, as signed
	digest  []byte
	sig     []byte
}

// readCMS walks ContentInfo and SignedData in the order RFC 6488 fixes,
// failing on anything else.
func readCMS(t *testing.T, der []byte) *signedObject {
	t.Helper()
	var so signedObject
	var ci, sd, algs, encap, econtent, certs, infos, info, attrs, digestAlg, sigAlg cryptobyte.String
	var outer asn1.ObjectIdentifier
	var version, siVersion int
	var ski []byte
	in := cryptobyte.String(der)
	ok := in.ReadASN1(&ci, cbasn1.SEQUENCE) && in.Empty() &&
		ci.ReadASN1ObjectIdentifier(&outer) &&
		ci.ReadASN1(&sd, cbasn1.Tag(0).ContextSpecific().Constructed()) && ci.Empty() &&
		sd.ReadASN1(&sd, cbasn1.SEQUENCE) &&
		sd.ReadASN1Integer(&version) &&
		sd.ReadASN1(&algs, cbasn1.SET) &&
		sd.ReadASN1(&encap, cbasn1.SEQUENCE) &&
		encap.ReadASN1ObjectIdentifier(&so.ctype) &&
		encap.ReadASN1(&econtent, cbasn1.Tag(0).ContextSpecific().Constructed()) && encap.Empty() &&
		econtent.ReadASN1((*cryptobyte.String)(&so.content), cbasn1.OCTET_STRING) && econtent.Empty() &&
		sd.ReadASN1(&certs, cbasn1.Tag(0).ContextSpecific().Constructed()) &&
		sd.ReadASN1(&infos, cbasn1.SET) && sd.Empty() &&
		infos.ReadASN1(&info, cbasn1.SEQUENCE) && infos.Empty() &&
		info.ReadASN1Integer(&siVersion) &&
		info.ReadASN1((*cryptobyte.String)(&ski), cbasn1.Tag(0).ContextSpecific()) &&
		info.ReadASN1(&digestAlg, cbasn1.SEQUENCE) &&
		info.ReadASN1Element(&attrs, cbasn1.Tag(0).ContextSpecific().Constructed()) &&
		info.ReadASN1(&sigAlg, cbasn1.SEQUENCE) &&
		info.ReadASN1((*cryptobyte.String)(&so.sig), cbasn1.OCTET_STRING) && info.Empty()
	if !ok || version != 3 || siVersion != 3 || !outer.Equal(oidSignedData()) {
		t.Fatalf("malformed CMS (version %d, signer version %d)", version, siVersion)
	}
	ee, err := x509.ParseCertificate(certs)
	if err != nil {
		t.Fatalf("EE certificate: %v", err)
	}
	so.ee = ee
	if !bytes.Equal(ski, ee.SubjectKeyId) {
		t.Errorf("sid %X, EE SKI %X", ski, ee.SubjectKeyId)
	}
	so.attrs = append([]byte{0x31}, attrs[1:]...) // signed as SET OF (RFC 5652 §5.4)
	so.digest = messageDigest(t, attrs)
	return &so
}

// messageDigest finds the message-digest attribute.
func messageDigest(t *testing.T, attrs cryptobyte.String) []byte {
	t.Helper()
	var set cryptobyte.String
	if !attrs.ReadASN1(&set, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		t.Fatal("bad signedAttrs")
	}
	for !set.Empty() {
		var attr, values, digest cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !set.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) {
			t.Fatal("bad attribute")
		}
		if oid.Equal(oidMessageDigest()) && values.ReadASN1(&digest, cbasn1.OCTET_STRING) {
			return digest
		}
	}
	t.Fatal("no message-digest attribute")
	return nil
}

// digestOK says whether the message-digest attribute matches the eContent.
func (so *signedObject) digestOK() bool {
	h := sha256.Sum256(so.content)
	return bytes.Equal(h[:], so.digest)
}

// signatureOK says whether the EE key signed the signed attributes.
func (so *signedObject) signatureOK() bool {
	sum := sha256.Sum256(so.attrs)
	return rsa.VerifyPKCS1v15(so.ee.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], so.sig) == nil
}

func TestSignedObjects(t *testing.T) {
	tr := buildTree()
	tests := []struct {
		obj   Object
		ctype asn1.ObjectIdentifier
		ext   string
	}{
		{tr.roa, oidCTROA(), ".roa"},
		{tr.mft, oidCTMft(), ".mft"},
		{tr.aspa, oidCTASPA(), ".asa"},
		{tr.gbr, oidCTGBR(), ".gbr"},
		{tr.tak, oidCTTAK(), ".tak"},
	}
	for _, tt := range tests {
		t.Run(tt.ext, func(t *testing.T) {
			so := readCMS(t, tt.obj.DER)
			if !so.ctype.Equal(tt.ctype) {
				t.Errorf("eContentType %v", so.ctype)
			}
			if !so.digestOK() || !so.signatureOK() {
				t.Errorf("digest ok %v, signature ok %v", so.digestOK(), so.signatureOK())
			}
			if !bytes.Equal(so.ee.Raw, tt.obj.EE) || !bytes.Equal(so.ee.SubjectKeyId, tt.obj.SKI) {
				t.Error("EE certificate is not Object.EE")
			}
			if !strings.HasSuffix(tt.obj.Name, tt.ext) {
				t.Errorf("name %s", tt.obj.Name)
			}
			if so.ee.KeyUsage != x509.KeyUsageDigitalSignature || so.ee.IsCA {
				t.Errorf("EE key usage %v, IsCA %v", so.ee.KeyUsage, so.ee.IsCA)
			}
		})
	}
}

func TestPayloads(t *testing.T) {
	tr := buildTree()
	// The ASPA of the corpus (rpki-client-regress aspa/AS1000.asa) has this eContent.
	aspa := aspaContent(&ASPASpec{Customer: 1000, Providers: []int64{1025}})
	if got, want := hex.EncodeToString(aspa), "300fa003020101020203e8300402020401"; got != want {
		t.Errorf("ASPA eContent %s, want %s", got, want)
	}
	// asID 64496; IPv4 first, as given: 10.1.0.0/16-24 and 10.0.0.0/16; then 2001:db8::/48.
	roa := readCMS(t, tr.roa.DER).content
	want := "3033020300fbf0302c" +
		"301704020001" + "3011" + "30080303000a01020118" + "30050303000a00" +
		"301104020002" + "300b" + "3009030700" + "20010db80000"
	if got := hex.EncodeToString(roa); got != want {
		t.Errorf("ROA eContent\n%s, want\n%s", got, want)
	}
	ee := readCMS(t, tr.roa.DER).ee
	if ips := extension(t, ee, oidExtIPAddrBlocks()); !bytes.Equal(ips, ipAddrBlocks([]string{"10.0.0.0/15", "2001:db8::/48"})) {
		t.Errorf("ROA EE resources %X", ips)
	}
	mft := readCMS(t, tr.mft.DER)
	for _, f := range []Object{tr.crl, tr.roa} {
		h := sha256.Sum256(f.DER)
		if !bytes.Contains(mft.content, []byte(f.Name)) || !bytes.Contains(mft.content, h[:]) {
			t.Errorf("manifest lacks %s", f.Name)
		}
	}
	if mft.ee.NotBefore.After(Now()) || mft.ee.NotAfter.Before(Now()) {
		t.Errorf("manifest EE not valid at Now()")
	}
	tak := readCMS(t, tr.tak.DER).content
	if !bytes.Contains(tak, tr.ta.SPKI()) || !bytes.Contains(tak, []byte(tr.ta.URI)) {
		t.Error("TAK lacks the TA's key or URI")
	}
}

func TestBrokenVariants(t *testing.T) {
	p := NewPKI(t)
	t.Run("WrongSignature", func(t *testing.T) {
		c := mustParse(t, p.CA(CertSpec{WrongSignature: true}).DER)
		if c.CheckSignatureFrom(p.X509) == nil {
			t.Error("signature verifies")
		}
	})
	t.Run("OmitSKI", func(t *testing.T) {
		if c := mustParse(t, p.CA(CertSpec{Omit: ExtSKI}).DER); c.SubjectKeyId != nil {
			t.Error("SKI present")
		}
	})
	t.Run("FlipCritical", func(t *testing.T) {
		c := mustParse(t, p.CA(CertSpec{FlipCritical: ExtIPAddrBlocks | ExtASIdentifiers}).DER)
		if len(c.UnhandledCriticalExtensions) != 0 {
			t.Errorf("critical %v", c.UnhandledCriticalExtensions)
		}
	})
	t.Run("WrongDigest", func(t *testing.T) {
		so := readCMS(t, p.ROA(ROASpec{ASID: 1, Prefixes: []ROAPrefix{{Prefix: "10.0.0.0/8"}}, CMS: CMSSpec{WrongDigest: true}}).DER)
		if so.digestOK() || !so.signatureOK() {
			t.Errorf("digest ok %v, signature ok %v", so.digestOK(), so.signatureOK())
		}
	})
	t.Run("WrongCMSSignature", func(t *testing.T) {
		if readCMS(t, p.GBR(GBRSpec{CMS: CMSSpec{WrongSignature: true}}).DER).signatureOK() {
			t.Error("signature verifies")
		}
	})
	t.Run("ExplicitVersion0", func(t *testing.T) {
		c := readCMS(t, p.ROA(ROASpec{ASID: 1, Prefixes: []ROAPrefix{{Prefix: "10.0.0.0/8"}}, ExplicitVersion: true}).DER).content
		if !bytes.HasPrefix(c[2:], []byte{0xa0, 0x03, 0x02, 0x01, 0x00}) {
			t.Errorf("eContent %X", c)
		}
	})
	t.Run("SHA1Signature", func(t *testing.T) {
		if c := mustParse(t, p.CA(CertSpec{SignatureAlgorithm: x509.SHA1WithRSA}).DER); c.SignatureAlgorithm != x509.SHA1WithRSA {
			t.Errorf("signature algorithm %v", c.SignatureAlgorithm)
		}
	})
	t.Run("ExtraExtensionReplaces", func(t *testing.T) {
		bad := pkix.Extension{Id: oidExtSKI(), Value: octetString([]byte{1, 2, 3})}
		c := mustParse(t, p.CA(CertSpec{ExtraExtensions: []pkix.Extension{bad}}).DER)
		if !bytes.Equal(c.SubjectKeyId, []byte{1, 2, 3}) || len(c.Extensions) != 10 {
			t.Errorf("SKI %X, %d extensions", c.SubjectKeyId, len(c.Extensions))
		}
	})
	t.Run("CRLWithoutAKI", func(t *testing.T) {
		crl, err := x509.ParseRevocationList(p.CRL(CRLSpec{Omit: ExtAKI}).DER)
		if err != nil || crl.AuthorityKeyId != nil {
			t.Errorf("AKI %X, err %v", crl.AuthorityKeyId, err)
		}
	})
	t.Run("CRLInCMS", func(t *testing.T) {
		crl := p.CRL(CRLSpec{}).DER
		der := p.GBR(GBRSpec{CMS: CMSSpec{CRLs: [][]byte{crl}, ExtraCertificates: [][]byte{p.DER}}}).DER
		if !bytes.Contains(der, crl) || !bytes.Contains(der, p.DER) {
			t.Error("CRL or second certificate missing")
		}
	})
	t.Run("ContentSuffix", func(t *testing.T) {
		so := readCMS(t, p.ASPA(ASPASpec{Customer: 64496, Providers: []int64{1}, CMS: CMSSpec{ContentSuffix: []byte{0}}}).DER)
		if so.content[len(so.content)-1] != 0 || !so.digestOK() {
			t.Error("suffix missing or not signed")
		}
	})
}

func TestRouter(t *testing.T) {
	tr := buildTree()
	c := mustParse(t, tr.rtr.DER)
	if err := c.CheckSignatureFrom(tr.ca.X509); err != nil {
		t.Error(err)
	}
	if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("key %T", c.PublicKey)
	}
	if len(c.UnknownExtKeyUsage) != 1 || !c.UnknownExtKeyUsage[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 30}) {
		t.Errorf("EKU %v", c.UnknownExtKeyUsage)
	}
	if c.Subject.CommonName != "ROUTER-0000FBF4" {
		t.Errorf("subject %q", c.Subject.CommonName)
	}
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtSIA()) || e.Id.Equal(oidExtIPAddrBlocks()) {
			t.Errorf("router certificate has %v", e.Id)
		}
	}
}

func TestTAL(t *testing.T) {
	ta := NewTA(CertSpec{})
	tal := string(ta.TAL("https://rpki.example.net/ta.cer", ta.URI))
	uris, b64, ok := strings.Cut(tal, "\n\n")
	if !ok || uris != "https://rpki.example.net/ta.cer\n"+ta.URI {
		t.Fatalf("TAL %q", tal)
	}
	spki, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b64, "\n", ""))
	if err != nil || !bytes.Equal(spki, ta.X509.RawSubjectPublicKeyInfo) {
		t.Errorf("TAL key does not match the TA: %v", err)
	}
}

func TestKeys(t *testing.T) {
	seen := map[string]bool{}
	for i := range NumKeys {
		k := Key(i)
		if k.N.BitLen() != 2048 {
			t.Errorf("key %d has %d bits", i, k.N.BitLen())
		}
		seen[k.N.String()] = true
	}
	if len(seen) != NumKeys || Key(NumKeys) != Key(0) || Key(-1) != Key(NumKeys-1) {
		t.Error("keys repeat early or do not cycle")
	}
	for i := range NumECKeys {
		if ECKey(i).Curve.Params().Name != "P-256" {
			t.Errorf("EC key %d not P-256", i)
		}
	}
}

func TestCorpus(t *testing.T) {
	if len(Corpus(t, ".asa")) == 0 {
		t.Error("no ASPA in the corpus")
	}
}

func TestMutate(t *testing.T) {
	b := []byte{1, 2, 3}
	if got := FlipByte(b, -1); !bytes.Equal(got, []byte{1, 2, 0xfc}) || b[2] != 3 {
		t.Errorf("FlipByte %v", got)
	}
	if got := Append(b, 9); !bytes.Equal(got, []byte{1, 2, 3, 9}) {
		t.Errorf("Append %v", got)
	}
}

// BenchmarkCAAndROA measures a CA and a ROA: three RSA signatures.
func BenchmarkCAAndROA(b *testing.B) {
	b.ReportAllocs()
	ta := NewTA(CertSpec{NotAfter: Now().Add(time.Hour)})
	for b.Loop() {
		ca := ta.CA(CertSpec{IP: []string{"10.0.0.0/8"}})
		ca.ROA(ROASpec{ASID: 64496, Prefixes: []ROAPrefix{{Prefix: "10.0.0.0/16", MaxLength: 24}}})
	}
}

func TestLargeTreeNamesUnique(t *testing.T) {
	p := NewPKI(t)
	seen := map[string]bool{}
	for i := range NumKeys + 5 {
		o := p.ROA(ROASpec{ASID: int64(i), Prefixes: []ROAPrefix{{Prefix: "10.0.0.0/8"}}})
		if seen[o.URI] {
			t.Fatalf("ROA %d reuses %s", i, o.URI)
		}
		seen[o.URI] = true
	}
}
