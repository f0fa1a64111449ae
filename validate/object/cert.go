package object

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// CertKind says which RFC 6487 / RFC 8209 profile a certificate follows.
type CertKind int

const (
	KindCA     CertKind = iota // CA certificate (RFC 6487 §4, cA true)
	KindEE                     // EE certificate of a signed object (RFC 6487 §4, inside CMS)
	KindRouter                 // BGPsec router certificate (RFC 8209)
)

// String names the kind for log lines.
func (k CertKind) String() string {
	switch k {
	case KindCA:
		return "CA"
	case KindEE:
		return "EE"
	case KindRouter:
		return "router"
	}
	return "CertKind(" + strconv.Itoa(int(k)) + ")"
}

// Cert is a parsed RPKI resource certificate. Byte slices alias the input.
type Cert struct {
	Raw          []byte // the whole certificate DER
	RawTBS       []byte // tbsCertificate, the signed bytes
	RawSPKI      []byte // subjectPublicKeyInfo DER
	RawSubject   []byte // subject Name DER
	RawIssuer    []byte // issuer Name DER
	Signature    []byte // signatureValue bits
	Kind         CertKind
	SelfSigned   bool   // subject == issuer and (AKI absent or AKI == SKI); a TA candidate
	Serial       []byte // big-endian magnitude of the serial number
	NotBefore    time.Time
	NotAfter     time.Time
	SKI          []byte // 20 bytes (RFC 6487 §4.8.2)
	AKI          []byte // 20 bytes; nil only on a self-signed certificate
	CRLDP        string // rsync URI of the issuer's CRL; "" on a self-signed certificate
	AIA          string // rsync URI of the issuer's certificate; "" on a self-signed certificate
	CARepository string // SIA caRepository rsync URI (CA only)
	Manifest     string // SIA rpkiManifest rsync URI (CA only)
	Notify       string // SIA rpkiNotify https URI (optional; CAs, and EE certificates of CAs that add it there too)
	SignedObject string // SIA signedObject rsync URI (EE only)
	Resources    Resources
	// UnknownExtensions lists the dotted OIDs of non-critical extensions the
	// profile does not name; validate may log them.
	UnknownExtensions []string
	// key is the subject's key, as PublicKey returns it.
	key keyParts
}

// Extensions of RFC 6487 §4.8 and RFC 8209 §3.1.3, one bit each in
// certParser.seen, so a duplicate is caught by its bit being set already.
const (
	extBasicConstraints = 1 << iota
	extSKI
	extAKI
	extKeyUsage
	extExtKeyUsage
	extCRLDP
	extAIA
	extSIA
	extCertPolicies
	extIPAddrBlocks
	extASIdentifiers
)

// OIDs only this file needs, as DER contents.
var (
	oidAttrCommonName   = []byte{0x55, 0x04, 0x03}                               // 2.5.4.3
	oidAttrSerialNumber = []byte{0x55, 0x04, 0x05}                               // 2.5.4.5
	oidQtCPS            = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x01} // 1.3.6.1.5.5.7.2.1
)

// The only keyUsage encodings the profile allows (RFC 6487 §4.8.4), as
// BIT STRING contents in DER: trailing zero bits dropped (X.690 §11.2.2).
var (
	kuCA = []byte{0x01, 0x06} // keyCertSign, cRLSign
	kuEE = []byte{0x07, 0x80} // digitalSignature
)

// Context-specific tags used in the certificate and its extensions.
var (
	tagVersion    = asn1.Tag(0).Constructed().ContextSpecific()
	tagIssuerUID  = asn1.Tag(1).ContextSpecific()
	tagSubjectUID = asn1.Tag(2).ContextSpecific()
	tagExtensions = asn1.Tag(3).Constructed().ContextSpecific()
	tagKeyID      = asn1.Tag(0).ContextSpecific()
	tagDPName     = asn1.Tag(0).Constructed().ContextSpecific()
	tagFullName   = asn1.Tag(0).Constructed().ContextSpecific()
	tagURI        = asn1.Tag(6).ContextSpecific()
)

// certParser carries what the extension pass learns to the profile checks.
type certParser struct {
	c        *Cert
	seen     int    // ext* bits
	ca       bool   // basicConstraints cA
	ku       []byte // keyUsage BIT STRING contents
	router   bool   // EKU lists id-kp-bgpsec-router
	spk      []byte // subjectPublicKey bits, for the SKI check
	siaOther string // first SIA access method the profile does not name
}

// ParseCert parses a DER resource certificate and checks it against the
// RPKI profile (RFC 6487 §4, RFC 7935, RFC 8209). It judges nothing that
// needs an issuer or a clock. Errors satisfy errors.Is(err, ErrMalformed).
// The returned Cert aliases der.
func ParseCert(der []byte) (*Cert, error) {
	const rule = "RFC 5280 §4.1"
	input := cryptobyte.String(der)
	var cert, tbs, sigAlg, sig cryptobyte.String
	if !input.ReadASN1(&cert, asn1.SEQUENCE) {
		return nil, malformed(rule, "certificate: want DER SEQUENCE")
	}
	if !input.Empty() {
		return nil, malformed(rule, "certificate: %d trailing bytes", len(input))
	}
	if !cert.ReadASN1Element(&tbs, asn1.SEQUENCE) ||
		!cert.ReadASN1Element(&sigAlg, asn1.SEQUENCE) ||
		!cert.ReadASN1(&sig, asn1.BIT_STRING) || !cert.Empty() {
		return nil, malformed(rule, "certificate: want tbsCertificate, signatureAlgorithm, signatureValue")
	}
	if err := checkSigAlg(sigAlg); err != nil {
		return nil, within("signatureAlgorithm", err)
	}
	if len(sig) < 2 || sig[0] != 0 {
		return nil, malformed(rule, "signatureValue: want whole octets")
	}
	c := &Cert{
		Raw:       der,
		RawTBS:    tbs,
		Signature: sig[1:],
	}
	p := certParser{c: c}
	if err := p.parseTBS(tbs, sigAlg); err != nil {
		return nil, err
	}
	if err := p.checkProfile(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSigAlg accepts sha256WithRSAEncryption with NULL or absent
// parameters (RFC 7935 §2, RFC 4055 §5).
func checkSigAlg(alg cryptobyte.String) error {
	var seq, oid cryptobyte.String
	if !alg.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return malformed("RFC 5280 §4.1.1.2", "want AlgorithmIdentifier")
	}
	if !oidEqual(oid, oidSHA256WithRSAEncryption) {
		return malformed("RFC 7935 §2", "algorithm %s: want sha256WithRSAEncryption", oidString(oid))
	}
	if !seq.Empty() && (!seq.SkipASN1(asn1.NULL) || !seq.Empty()) {
		return malformed("RFC 4055 §5", "parameters: want NULL or absent")
	}
	return nil
}

// parseTBS walks tbsCertificate (RFC 5280 §4.1) for what Go's parser does
// not check or does not keep: DER defaults, the serial's bytes, matching
// algorithms, name shape, time encodings, unique IDs and the extensions.
func (p *certParser) parseTBS(tbs, outerAlg cryptobyte.String) error {
	const rule = "RFC 6487 §4"
	var body, ver, serial, alg, issuer, validity, subject, spki cryptobyte.String
	if !tbs.ReadASN1(&body, asn1.SEQUENCE) {
		return malformed(rule, "tbsCertificate: want SEQUENCE")
	}
	var v int64
	if !body.ReadASN1(&ver, tagVersion) || !ver.ReadASN1Int64WithTag(&v, asn1.INTEGER) || !ver.Empty() || v != 2 {
		return malformed("RFC 6487 §4.1", "version: want v3")
	}
	if !body.ReadASN1(&serial, asn1.INTEGER) {
		return malformed("RFC 6487 §4.2", "serialNumber: want INTEGER")
	}
	if err := p.parseSerial(serial); err != nil {
		return err
	}
	if !body.ReadASN1Element(&alg, asn1.SEQUENCE) || !bytes.Equal(alg, outerAlg) {
		return malformed("RFC 5280 §4.1.1.2", "signature: differs from signatureAlgorithm")
	}
	if !body.ReadASN1Element(&issuer, asn1.SEQUENCE) ||
		!body.ReadASN1(&validity, asn1.SEQUENCE) ||
		!body.ReadASN1Element(&subject, asn1.SEQUENCE) ||
		!body.ReadASN1Element(&spki, asn1.SEQUENCE) {
		return malformed("RFC 5280 §4.1", "tbsCertificate: want issuer, validity, subject, subjectPublicKeyInfo")
	}
	if err := checkName(issuer); err != nil {
		return within("issuer", err)
	}
	var err error
	if p.c.NotBefore, p.c.NotAfter, err = parseValidity(validity); err != nil {
		return within("validity", err)
	}
	if err := checkName(subject); err != nil {
		return within("subject", err)
	}
	if err := p.parseSPKI(spki); err != nil {
		return within("subjectPublicKeyInfo", err)
	}
	p.c.RawIssuer, p.c.RawSubject, p.c.RawSPKI = issuer, subject, spki
	if body.PeekASN1Tag(tagIssuerUID) || body.PeekASN1Tag(tagIssuerUID.Constructed()) ||
		body.PeekASN1Tag(tagSubjectUID) || body.PeekASN1Tag(tagSubjectUID.Constructed()) {
		return malformed(rule, "tbsCertificate: unique identifiers present")
	}
	var wrap, exts cryptobyte.String
	if !body.ReadASN1(&wrap, tagExtensions) || !wrap.ReadASN1(&exts, asn1.SEQUENCE) || !wrap.Empty() {
		return malformed("RFC 6487 §4.8", "extensions: absent or not a SEQUENCE")
	}
	if !body.Empty() {
		return malformed("RFC 5280 §4.1", "tbsCertificate: %d trailing bytes", len(body))
	}
	return p.parseExtensions(exts)
}

// parseSerial checks a positive DER INTEGER of at most 20 octets
// (RFC 6487 §4.2, RFC 5280 §4.1.2.2) and keeps its magnitude.
func (p *certParser) parseSerial(n cryptobyte.String) error {
	serial, err := serialMagnitude(n)
	if err != nil {
		return within("serialNumber", err)
	}
	p.c.Serial = serial
	return nil
}

// checkName enforces the name shape of RFC 6487 §4.4 and §4.5: one
// commonName, at most one serialNumber, nothing else. Go's parser has
// already checked the string contents; we admit the two string types CAs
// use, PrintableString and UTF8String (router.cer in rpki-rs has the latter).
func checkName(name cryptobyte.String) error {
	const rule = "RFC 6487 §4.5"
	var rdns cryptobyte.String
	if !name.ReadASN1(&rdns, asn1.SEQUENCE) {
		return malformed("RFC 5280 §4.1.2.4", "want SEQUENCE")
	}
	cn, sn := 0, 0
	for !rdns.Empty() {
		var set cryptobyte.String
		if !rdns.ReadASN1(&set, asn1.SET) || set.Empty() {
			return malformed("RFC 5280 §4.1.2.4", "want non-empty SET")
		}
		for !set.Empty() {
			var atv, typ, val cryptobyte.String
			var tag asn1.Tag
			if !set.ReadASN1(&atv, asn1.SEQUENCE) || !atv.ReadASN1(&typ, asn1.OBJECT_IDENTIFIER) ||
				!atv.ReadAnyASN1(&val, &tag) || !atv.Empty() {
				return malformed("RFC 5280 §4.1.2.4", "want AttributeTypeAndValue")
			}
			switch {
			case oidEqual(typ, oidAttrCommonName):
				cn++
			case oidEqual(typ, oidAttrSerialNumber):
				sn++
			default:
				return malformed(rule, "attribute %s not allowed", oidString(typ))
			}
			switch {
			case tag == asn1.PrintableString && !printable(val):
				return malformed(rule, "attribute %s: PrintableString with a character outside its set", oidString(typ))
			case tag == asn1.UTF8String && !utf8.Valid(val):
				return malformed(rule, "attribute %s: UTF8String is not UTF-8", oidString(typ))
			case tag != asn1.PrintableString && tag != asn1.UTF8String:
				return malformed(rule, "attribute %s: want PrintableString or UTF8String", oidString(typ))
			}
		}
	}
	if cn != 1 || sn > 1 {
		return malformed(rule, "%d commonName and %d serialNumber, want 1 and at most 1", cn, sn)
	}
	return nil
}

// printable reports whether s holds only PrintableString characters
// (X.680 §41.4), plus '*' and '&', which Go's parser also admits because
// CAs use them.
func printable(s []byte) bool {
	for _, b := range s {
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte(" '()+,-./:=?*&", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseValidity reads notBefore and notAfter in the forms RFC 5280
// §4.1.2.5 fixes: UTCTime through 2049 and GeneralizedTime from 2050,
// both in UTC ("Z") with seconds, and real dates.
func parseValidity(v cryptobyte.String) (notBefore, notAfter time.Time, err error) {
	const rule = "RFC 5280 §4.1.2.5"
	var times [2]time.Time
	for i, field := range []string{"notBefore", "notAfter"} {
		t, ok := readPKIXTime(&v)
		if !ok {
			return time.Time{}, time.Time{}, malformed(rule,
				"%s: want UTCTime before 2050 or GeneralizedTime from 2050, in UTC with seconds", field)
		}
		times[i] = t
	}
	if !v.Empty() {
		return time.Time{}, time.Time{}, malformed(rule, "%d trailing bytes", len(v))
	}
	return times[0], times[1], nil
}

// parseSPKI reads the public key and keeps the subjectPublicKey bits for
// the SKI check. The key type and size depend on the kind and are checked
// in checkProfile.
func (p *certParser) parseSPKI(spki cryptobyte.String) error {
	var seq, alg, bits cryptobyte.String
	if !spki.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&alg, asn1.SEQUENCE) ||
		!seq.ReadASN1(&bits, asn1.BIT_STRING) || !seq.Empty() || len(bits) < 2 || bits[0] != 0 {
		return malformed("RFC 5280 §4.1.2.7", "want algorithm and whole-octet key")
	}
	p.spk = bits[1:]
	k, err := parseKeyParts(alg, p.spk)
	if err != nil {
		return err
	}
	p.c.key = k
	return nil
}

// PublicKey returns the subject's key: an *rsa.PublicKey, made on each
// call (a Cert keeps the modulus bytes: in a run that remembers verified
// signatures most keys never check one, and building each as a big.Int
// was a tenth of parsing), or for a router certificate an *ecdsa.PublicKey
// on P-256.
func (c *Cert) PublicKey() crypto.PublicKey { return c.key.public() }

// keyParts is a parsed public key: an RSA modulus (big-endian, no leading
// zero; aliases the input) and exponent, or an ECDSA key.
type keyParts struct {
	n  []byte
	e  int
	ec *ecdsa.PublicKey
}

// public builds the key: an *rsa.PublicKey or *ecdsa.PublicKey, nil for
// none.
func (k keyParts) public() crypto.PublicKey {
	switch {
	case k.ec != nil:
		return k.ec
	case k.n != nil:
		return &rsa.PublicKey{N: new(big.Int).SetBytes(k.n), E: k.e}
	}
	return nil
}

// parseKeyParts reads the two key types the profiles admit: RSA
// (rsaEncryption with NULL parameters, RFC 3279 §2.3.1; the key an
// RSAPublicKey SEQUENCE of modulus and exponent) and, for router
// certificates, ECDSA on a named curve (RFC 5480 §2). Other algorithms
// are refused here; the profile checks then require the size and curve.
// The RSA key is not built: the modulus is checked as ReadASN1Integer
// checks an INTEGER (DER: minimal, here also positive) and returned as
// bytes without its sign octet.
func parseKeyParts(alg cryptobyte.String, key []byte) (keyParts, error) {
	const rule = "RFC 5280 §4.1.2.7"
	var oid cryptobyte.String
	if !alg.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return keyParts{}, malformed(rule, "algorithm: want an OBJECT IDENTIFIER")
	}
	switch {
	case oidEqual(oid, oidRSAEncryption):
		var null cryptobyte.String
		if !alg.ReadASN1(&null, asn1.NULL) || len(null) != 0 || !alg.Empty() {
			return keyParts{}, malformed("RFC 3279 §2.3.1", "rsaEncryption: parameters must be NULL")
		}
		s := cryptobyte.String(key)
		var seq, n cryptobyte.String
		var e int64
		if !s.ReadASN1(&seq, asn1.SEQUENCE) || !s.Empty() ||
			!seq.ReadASN1(&n, asn1.INTEGER) || !minimalInteger(n) || !seq.ReadASN1Integer(&e) || !seq.Empty() {
			return keyParts{}, malformed("RFC 3279 §2.3.1", "RSAPublicKey: want SEQUENCE of modulus and exponent")
		}
		negative := n[0]&0x80 != 0
		n = cryptobyte.String(trimZeros(n)) // the sign octet of a positive INTEGER, or a zero
		if negative || len(n) == 0 || e <= 0 || e > 1<<31-1 {
			return keyParts{}, malformed("RFC 3279 §2.3.1", "RSAPublicKey: modulus and exponent must be positive")
		}
		return keyParts{n: n, e: int(e)}, nil
	case oidEqual(oid, oidECPublicKey):
		var curve cryptobyte.String
		if !alg.ReadASN1(&curve, asn1.OBJECT_IDENTIFIER) || !alg.Empty() {
			return keyParts{}, malformed("RFC 5480 §2.1.1", "id-ecPublicKey: want a namedCurve")
		}
		if !oidEqual(curve, oidP256) {
			return keyParts{}, malformed("RFC 8208 §3.1", "curve %s, want P-256", oidString(curve))
		}
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), key)
		if err != nil {
			return keyParts{}, malformed("RFC 5480 §2.2", "ECPoint: %v", err)
		}
		return keyParts{ec: k}, nil
	}
	return keyParts{}, malformed(rule, "public key algorithm %s, want RSA or ECDSA P-256", oidString(oid))
}

// parseExtensions reads each extension once, checks its criticality where
// RFC 6487 §4.8 fixes it, and hands its value to the parser for its type.
func (p *certParser) parseExtensions(exts cryptobyte.String) error {
	const rule = "RFC 5280 §4.1.2.9"
	for i := 0; !exts.Empty(); i++ {
		var ext, oid, val cryptobyte.String
		critical := false
		if !exts.ReadASN1(&ext, asn1.SEQUENCE) || !ext.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
			return malformed(rule, "extensions[%d]: want SEQUENCE with extnID", i)
		}
		if ext.PeekASN1Tag(asn1.BOOLEAN) && (!ext.ReadASN1Boolean(&critical) || !critical) {
			// X.690 §11.5: a DEFAULT value is never encoded.
			return malformed("X.690 §11.5", "extensions[%d]: critical FALSE encoded", i)
		}
		if !ext.ReadASN1(&val, asn1.OCTET_STRING) || !ext.Empty() {
			return malformed(rule, "extensions[%d]: want extnValue OCTET STRING", i)
		}
		if err := p.parseExtension(oid, critical, val); err != nil {
			return err
		}
	}
	return nil
}

// extSpec names an extension and fixes its criticality (RFC 6487 §4.8).
type extSpec struct {
	bit      int
	name     string
	rule     string
	critical bool
	parse    func(p *certParser, val cryptobyte.String) error
}

// extSpecs lists the extensions of the profile in RFC 6487 §4.8 order.
var extSpecs = []struct {
	oid []byte
	extSpec
}{
	{oidExtBasicConstraints, extSpec{extBasicConstraints, "basicConstraints", "RFC 6487 §4.8.1", true, (*certParser).parseBasicConstraints}},
	{oidExtSKI, extSpec{extSKI, "subjectKeyIdentifier", "RFC 6487 §4.8.2", false, (*certParser).parseSKI}},
	{oidExtAKI, extSpec{extAKI, "authorityKeyIdentifier", "RFC 6487 §4.8.3", false, (*certParser).parseAKI}},
	{oidExtKeyUsage, extSpec{extKeyUsage, "keyUsage", "RFC 6487 §4.8.4", true, (*certParser).parseKeyUsage}},
	{oidExtExtKeyUsage, extSpec{extExtKeyUsage, "extKeyUsage", "RFC 6487 §4.8.5", false, (*certParser).parseExtKeyUsage}},
	{oidExtCRLDP, extSpec{extCRLDP, "cRLDistributionPoints", "RFC 6487 §4.8.6", false, (*certParser).parseCRLDP}},
	{oidExtAIA, extSpec{extAIA, "authorityInfoAccess", "RFC 6487 §4.8.7", false, (*certParser).parseAIA}},
	{oidExtSIA, extSpec{extSIA, "subjectInfoAccess", "RFC 6487 §4.8.8", false, (*certParser).parseSIA}},
	{oidExtCertPolicies, extSpec{extCertPolicies, "certificatePolicies", "RFC 6487 §4.8.9", true, (*certParser).parseCertPolicies}},
	{oidExtIPAddrBlocks, extSpec{extIPAddrBlocks, "ipAddrBlocks", "RFC 6487 §4.8.10", true, (*certParser).parseIPResources}},
	{oidExtASIdentifiers, extSpec{extASIdentifiers, "autonomousSysIds", "RFC 6487 §4.8.11", true, (*certParser).parseASResources}},
}

// parseExtension dispatches one extension by its OID.
func (p *certParser) parseExtension(oid []byte, critical bool, val cryptobyte.String) error {
	for i := range extSpecs {
		if !oidEqual(oid, extSpecs[i].oid) {
			continue
		}
		s := &extSpecs[i].extSpec
		if p.seen&s.bit != 0 {
			return malformed("RFC 5280 §4.2", "%s: duplicate", s.name)
		}
		p.seen |= s.bit
		if critical != s.critical {
			return malformed(s.rule, "%s: critical is %t, want %t", s.name, critical, s.critical)
		}
		if err := s.parse(p, val); err != nil {
			return within(s.name, err)
		}
		return nil
	}
	if oidEqual(oid, oidExtIPAddrBlocksV2) || oidEqual(oid, oidExtASIdentifiersV2) {
		// RFC 8360 resources come with their own policy and validation
		// algorithm; like rpki-client we do not implement it.
		return malformed("RFC 8360 §4", "extension %s: RFC 8360 resources not supported", oidString(oid))
	}
	if critical {
		return malformed("RFC 5280 §4.2", "unknown critical extension %s", oidString(oid))
	}
	p.c.UnknownExtensions = append(p.c.UnknownExtensions, oidString(oid))
	return nil
}

// parseBasicConstraints requires cA TRUE and no pathLenConstraint
// (RFC 6487 §4.8.1). An empty SEQUENCE would mean cA FALSE, which the
// profile expresses by leaving the extension out.
func (p *certParser) parseBasicConstraints(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.1"
	var seq cryptobyte.String
	var ca bool
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() {
		return malformed(rule, "want SEQUENCE")
	}
	if !seq.ReadASN1Boolean(&ca) || !ca {
		return malformed(rule, "cA: want TRUE")
	}
	if !seq.Empty() {
		return malformed(rule, "pathLenConstraint present")
	}
	p.ca = true
	return nil
}

// parseSKI requires the SHA-1 hash of the subject public key (RFC 6487 §4.8.2).
func (p *certParser) parseSKI(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.2"
	var id cryptobyte.String
	if !val.ReadASN1(&id, asn1.OCTET_STRING) || !val.Empty() || len(id) != sha1.Size {
		return malformed(rule, "want 20-byte OCTET STRING")
	}
	if sum := sha1.Sum(p.spk); !bytes.Equal(id, sum[:]) {
		return malformed(rule, "not the SHA-1 hash of the subject public key")
	}
	p.c.SKI = id
	return nil
}

// parseAKI requires keyIdentifier alone, 20 bytes (RFC 6487 §4.8.3).
func (p *certParser) parseAKI(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.3"
	var seq, id cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() ||
		!seq.ReadASN1(&id, tagKeyID) || len(id) != sha1.Size {
		return malformed(rule, "keyIdentifier: want 20 bytes")
	}
	if !seq.Empty() {
		return malformed(rule, "authorityCertIssuer or authorityCertSerialNumber present")
	}
	p.c.AKI = id
	return nil
}

// parseKeyUsage keeps the raw bits; which ones are allowed depends on the kind.
func (p *certParser) parseKeyUsage(val cryptobyte.String) error {
	var bits cryptobyte.String
	if !val.ReadASN1(&bits, asn1.BIT_STRING) || !val.Empty() {
		return malformed("RFC 6487 §4.8.4", "want BIT STRING")
	}
	p.ku = bits
	return nil
}

// parseExtKeyUsage notes id-kp-bgpsec-router; RFC 8209 §3.1.3.2 lets other
// purposes appear beside it.
func (p *certParser) parseExtKeyUsage(val cryptobyte.String) error {
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() || seq.Empty() {
		return malformed("RFC 5280 §4.2.1.12", "want non-empty SEQUENCE")
	}
	for !seq.Empty() {
		var oid cryptobyte.String
		if !seq.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
			return malformed("RFC 5280 §4.2.1.12", "want KeyPurposeId")
		}
		if oidEqual(oid, oidKPBGPsecRouter) {
			p.router = true
		}
	}
	return nil
}

// parseCRLDP requires one DistributionPoint with a fullName and nothing
// else, naming exactly one rsync URI (RFC 6487 §4.8.6).
func (p *certParser) parseCRLDP(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.6"
	var dps, dp, name, full cryptobyte.String
	if !val.ReadASN1(&dps, asn1.SEQUENCE) || !val.Empty() ||
		!dps.ReadASN1(&dp, asn1.SEQUENCE) || !dps.Empty() {
		return malformed(rule, "want exactly one DistributionPoint")
	}
	if !dp.ReadASN1(&name, tagDPName) || !dp.Empty() {
		return malformed(rule, "want distributionPoint alone, no reasons or cRLIssuer")
	}
	if !name.ReadASN1(&full, tagFullName) || !name.Empty() {
		return malformed(rule, "distributionPoint: want fullName")
	}
	uri, err := oneRsyncURI(full)
	if err != nil {
		return within("fullName", err)
	}
	p.c.CRLDP = uri
	return nil
}

// oneRsyncURI reads GeneralNames that must all be URIs, exactly one rsync.
func oneRsyncURI(names cryptobyte.String) (string, error) {
	const rule = "RFC 6487 §4.8.6"
	var found string
	for !names.Empty() {
		var uri cryptobyte.String
		if !names.ReadASN1(&uri, tagURI) {
			return "", malformed(rule, "want uniformResourceIdentifier")
		}
		if !hasPrefix(uri, "rsync://") {
			continue
		}
		if found != "" {
			return "", malformed(rule, "more than one rsync URI")
		}
		if !validURI(uri, "rsync://") {
			return "", malformed(rule, "bad rsync URI %q", uri)
		}
		found = string(uri)
	}
	if found == "" {
		return "", malformed(rule, "no rsync URI")
	}
	return found, nil
}

// validURI checks that u starts with scheme, has a host and a path, and has
// only the visible ASCII characters an IA5String URI may carry (RFC 3986).
func validURI(u cryptobyte.String, scheme string) bool {
	if !hasPrefix(u, scheme) {
		return false
	}
	for _, b := range u {
		if b <= 0x20 || b >= 0x7f {
			return false
		}
	}
	rest := u[len(scheme):]
	slash := bytes.IndexByte(rest, '/')
	return slash > 0
}

// hasPrefix is strings.HasPrefix without converting b to a string.
func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// parseAIA requires caIssuers entries only, exactly one of them rsync
// (RFC 6487 §4.8.7).
func (p *certParser) parseAIA(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.7"
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() || seq.Empty() {
		return malformed(rule, "want non-empty SEQUENCE")
	}
	for !seq.Empty() {
		method, uri, err := readAccessDescription(&seq)
		if err != nil {
			return err
		}
		if !oidEqual(method, oidADCAIssuers) {
			return malformed(rule, "access method %s: want caIssuers", oidString(method))
		}
		if !hasPrefix(uri, "rsync://") {
			continue
		}
		if p.c.AIA != "" || !validURI(uri, "rsync://") {
			return malformed(rule, "caIssuers: want one valid rsync URI")
		}
		p.c.AIA = string(uri)
	}
	if p.c.AIA == "" {
		return malformed(rule, "caIssuers: no rsync URI")
	}
	return nil
}

// readAccessDescription reads one AccessDescription whose location is a URI.
func readAccessDescription(s *cryptobyte.String) (method, uri cryptobyte.String, err error) {
	var ad cryptobyte.String
	if !s.ReadASN1(&ad, asn1.SEQUENCE) || !ad.ReadASN1(&method, asn1.OBJECT_IDENTIFIER) ||
		!ad.ReadASN1(&uri, tagURI) || !ad.Empty() {
		return nil, nil, malformed("RFC 5280 §4.2.2.1", "want AccessDescription with a URI")
	}
	return method, uri, nil
}

// parseSIA collects the access methods of RFC 6487 §4.8.8 and RFC 8182
// §3.2; which are required depends on the kind, checked in checkProfile.
// Real CAs list them in varying order, so order is not checked.
func (p *certParser) parseSIA(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.8"
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() || seq.Empty() {
		return malformed(rule, "want non-empty SEQUENCE")
	}
	for !seq.Empty() {
		method, uri, err := readAccessDescription(&seq)
		if err != nil {
			return err
		}
		var dst *string
		scheme, name := "rsync://", ""
		switch {
		case oidEqual(method, oidADCARepository):
			dst, name = &p.c.CARepository, "caRepository"
		case oidEqual(method, oidADRPKIManifest):
			dst, name = &p.c.Manifest, "rpkiManifest"
		case oidEqual(method, oidADSignedObject):
			dst, name = &p.c.SignedObject, "signedObject"
		case oidEqual(method, oidADRPKINotify):
			dst, name, scheme = &p.c.Notify, "rpkiNotify", "https://"
		default:
			if p.siaOther == "" {
				p.siaOther = oidString(method)
			}
			continue
		}
		if name != "rpkiNotify" && !hasPrefix(uri, scheme) {
			continue // RFC 6487 §4.8.8.1 lets other schemes sit beside the rsync URI
		}
		if *dst != "" {
			return malformed(rule, "%s: more than one %s URI", name, strings.TrimSuffix(scheme, "://"))
		}
		if !validURI(uri, scheme) {
			return malformed(rule, "%s: bad URI %q", name, uri)
		}
		*dst = string(uri)
	}
	return nil
}

// parseCertPolicies requires exactly one policy, id-cp-ipAddr-asNumber,
// with at most one qualifier, a CPS pointer (RFC 6487 §4.8.9, RFC 7318 §2).
func (p *certParser) parseCertPolicies(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.9"
	var seq, info, oid cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() ||
		!seq.ReadASN1(&info, asn1.SEQUENCE) || !seq.Empty() {
		return malformed(rule, "want exactly one PolicyInformation")
	}
	if !info.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return malformed(rule, "policyIdentifier: want OID")
	}
	if !oidEqual(oid, oidPolicyRPKI) {
		return malformed(rule, "policy %s: want id-cp-ipAddr-asNumber", oidString(oid))
	}
	if info.Empty() {
		return nil
	}
	var quals, qual, qid, cps cryptobyte.String
	if !info.ReadASN1(&quals, asn1.SEQUENCE) || !info.Empty() ||
		!quals.ReadASN1(&qual, asn1.SEQUENCE) || !quals.Empty() {
		return malformed("RFC 7318 §2", "policyQualifiers: want exactly one")
	}
	if !qual.ReadASN1(&qid, asn1.OBJECT_IDENTIFIER) || !oidEqual(qid, oidQtCPS) ||
		!qual.ReadASN1(&cps, asn1.IA5String) || !qual.Empty() {
		return malformed("RFC 7318 §2", "policyQualifiers: want one CPS pointer")
	}
	return nil
}

func (p *certParser) parseIPResources(val cryptobyte.String) error {
	v4, v6, err := parseIPAddrBlocks(val)
	if err != nil {
		return err
	}
	p.c.Resources.IPv4, p.c.Resources.IPv6 = v4, v6
	return nil
}

func (p *certParser) parseASResources(val cryptobyte.String) error {
	as, err := parseASIdentifiers(val)
	if err != nil {
		return err
	}
	p.c.Resources.AS = as
	return nil
}

// checkProfile decides the kind and applies the rules that depend on it.
func (p *certParser) checkProfile() error {
	c := p.c
	if p.seen&extSKI == 0 {
		return malformed("RFC 6487 §4.8.2", "subjectKeyIdentifier absent")
	}
	if p.seen&extKeyUsage == 0 {
		return malformed("RFC 6487 §4.8.4", "keyUsage absent")
	}
	if p.seen&extCertPolicies == 0 {
		return malformed("RFC 6487 §4.8.9", "certificatePolicies absent")
	}
	if p.seen&(extIPAddrBlocks|extASIdentifiers) == 0 {
		return malformed("RFC 6487 §4.8.10", "neither ipAddrBlocks nor autonomousSysIds present")
	}
	c.SelfSigned = bytes.Equal(c.RawSubject, c.RawIssuer) && (c.AKI == nil || bytes.Equal(c.AKI, c.SKI))
	switch {
	case p.ca:
		c.Kind = KindCA
		return p.checkCA()
	case p.router:
		c.Kind = KindRouter
		return p.checkRouter()
	case p.seen&extExtKeyUsage != 0:
		// Only router certificates carry an EKU (RFC 6487 §4.8.5, RFC 8209 §3.1.3.2).
		return malformed("RFC 6487 §4.8.5", "extKeyUsage on a certificate that is neither CA nor router")
	}
	c.Kind = KindEE
	return p.checkEE()
}

// checkCA applies the CA rules of RFC 6487 §4.7 and §4.8, and those of a
// self-signed trust anchor (RFC 6487 §4.8.3, §4.8.6, §4.8.7, RFC 8630 §2.3).
func (p *certParser) checkCA() error {
	c := p.c
	if !bytes.Equal(p.ku, kuCA) {
		return malformed("RFC 6487 §4.8.4", "keyUsage: want keyCertSign and cRLSign only")
	}
	if err := c.checkRSAKey(); err != nil {
		return err
	}
	if c.CARepository == "" || c.Manifest == "" {
		return malformed("RFC 6487 §4.8.8.1", "subjectInfoAccess: want caRepository and rpkiManifest rsync URIs")
	}
	if c.SignedObject != "" {
		return malformed("RFC 6487 §4.8.8.1", "subjectInfoAccess: signedObject on a CA certificate")
	}
	if c.SelfSigned {
		if p.seen&extCRLDP != 0 {
			return malformed("RFC 6487 §4.8.6", "cRLDistributionPoints on a self-signed certificate")
		}
		if p.seen&extAIA != 0 {
			return malformed("RFC 6487 §4.8.7", "authorityInfoAccess on a self-signed certificate")
		}
		r := c.Resources
		if r.IPv4 != nil && r.IPv4.Inherit || r.IPv6 != nil && r.IPv6.Inherit || r.AS != nil && r.AS.Inherit {
			return malformed("RFC 8630 §2.3", "inherit on a self-signed certificate")
		}
		return nil
	}
	return p.checkIssued()
}

// checkIssued applies the rules for a certificate that is not self-signed:
// AKI, CRLDP and AIA present (RFC 6487 §4.8.3, §4.8.6, §4.8.7).
func (p *certParser) checkIssued() error {
	switch {
	case p.seen&extAKI == 0:
		return malformed("RFC 6487 §4.8.3", "authorityKeyIdentifier absent")
	case p.seen&extCRLDP == 0:
		return malformed("RFC 6487 §4.8.6", "cRLDistributionPoints absent")
	case p.seen&extAIA == 0:
		return malformed("RFC 6487 §4.8.7", "authorityInfoAccess absent")
	}
	return nil
}

// checkEE applies the EE rules of RFC 6487 §4.8. An EE certificate is
// issued by a CA, so its AKI cannot name its own key.
func (p *certParser) checkEE() error {
	c := p.c
	if !bytes.Equal(p.ku, kuEE) {
		return malformed("RFC 6487 §4.8.4", "keyUsage: want digitalSignature only")
	}
	if err := c.checkRSAKey(); err != nil {
		return err
	}
	if c.SignedObject == "" {
		return malformed("RFC 6487 §4.8.8.2", "subjectInfoAccess: want a signedObject rsync URI")
	}
	// RFC 6487 §4.8.8.2 allows no other method, but CAs put their RRDP
	// notification URI in EE certificates too (4795 TWNIC EE certificates do),
	// and RFC 8182 §3.2 tolerates it; so rpkiNotify is admitted and ignored.
	if c.CARepository != "" || c.Manifest != "" {
		return malformed("RFC 6487 §4.8.8.2", "subjectInfoAccess: caRepository or rpkiManifest on an EE certificate")
	}
	if p.siaOther != "" {
		return malformed("RFC 6487 §4.8.8.2", "subjectInfoAccess: access method %s on an EE certificate", p.siaOther)
	}
	if err := p.checkIssued(); err != nil {
		return err
	}
	if bytes.Equal(c.AKI, c.SKI) {
		return malformed("RFC 6487 §4.8.3", "authorityKeyIdentifier equals subjectKeyIdentifier on an EE certificate")
	}
	// An EE certificate certifies a different entity from its issuer, and
	// RFC 6487 §4.5 wants subject names unique per entity under a CA: an EE
	// whose subject repeats its issuer's name is self-issued (RFC 5280 §3.2),
	// which only CA certificates may be.
	if bytes.Equal(c.RawSubject, c.RawIssuer) {
		return malformed("RFC 6487 §4.5", "EE certificate is self-issued: subject equals issuer")
	}
	return nil
}

// checkRouter applies RFC 8209 §3.1: a P-256 key, digitalSignature, no SIA,
// no IP resources, and AS numbers listed rather than inherited.
func (p *certParser) checkRouter() error {
	c := p.c
	if !bytes.Equal(p.ku, kuEE) {
		return malformed("RFC 8209 §3.1.3.2", "keyUsage: want digitalSignature only")
	}
	if c.key.ec == nil || c.key.ec.Curve != elliptic.P256() {
		return malformed("RFC 8208 §3.1", "subjectPublicKeyInfo: want an ECDSA P-256 key")
	}
	if p.seen&extSIA != 0 {
		return malformed("RFC 8209 §3.1.3.3", "subjectInfoAccess present")
	}
	if p.seen&extIPAddrBlocks != 0 {
		return malformed("RFC 8209 §3.1.3.4", "ipAddrBlocks present")
	}
	if as := c.Resources.AS; as == nil || as.Inherit {
		return malformed("RFC 8209 §3.1.3.5", "autonomousSysIds: want listed AS numbers")
	}
	if err := p.checkIssued(); err != nil {
		return err
	}
	if bytes.Equal(c.AKI, c.SKI) {
		return malformed("RFC 6487 §4.8.3", "authorityKeyIdentifier equals subjectKeyIdentifier on a router certificate")
	}
	return nil
}

// checkRSAKey requires RSA-2048 with exponent 65537 (RFC 7935 §3).
func (c *Cert) checkRSAKey() error {
	if len(c.key.n) != 2048/8 || c.key.n[0]&0x80 == 0 || c.key.e != 65537 {
		return malformed("RFC 7935 §3", "subjectPublicKeyInfo: want RSA-2048 with exponent 65537")
	}
	return nil
}

// oidString formats OID contents in dotted form, or as hex if they are
// not a valid encoding.
func oidString(oid []byte) string {
	var b strings.Builder
	var v uint64
	for i, c := range oid {
		if v > 1<<56 || (v == 0 && c == 0x80) {
			return "invalid OID " + strconv.Quote(string(oid))
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(oid)-1 {
				return "invalid OID " + strconv.Quote(string(oid))
			}
			continue
		}
		if b.Len() == 0 {
			first := min(v/40, 2)
			b.WriteString(strconv.FormatUint(first, 10))
			v -= first * 40
		}
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(v, 10))
		v = 0
	}
	if b.Len() == 0 {
		return "empty OID"
	}
	return b.String()
}
