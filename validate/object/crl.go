package object

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// CRL is a parsed RPKI certificate revocation list (RFC 6487 §5). Byte
// slices alias the input.
type CRL struct {
	Raw        []byte   // the whole CRL DER
	RawTBS     []byte   // tbsCertList, the signed bytes
	Signature  []byte   // signatureValue bits
	RawIssuer  []byte   // issuer Name DER, to compare with the issuer's RawSubject
	AKI        []byte   // 20 bytes, the issuer's SKI
	Number     *big.Int // CRLNumber, non-negative, below 2^160
	ThisUpdate time.Time
	NextUpdate time.Time
	// Revoked lists the revoked serials sorted by value (IsRevoked searches
	// it), not in file order.
	Revoked []RevokedCert
}

// RevokedCert is one entry of a CRL.
type RevokedCert struct {
	Serial         []byte // big-endian magnitude, as Cert.Serial
	RevocationDate time.Time
}

// IsRevoked reports whether the certificate with the given serial (the
// big-endian magnitude, as Cert.Serial holds it) is on the list.
func (c *CRL) IsRevoked(serial []byte) bool {
	serial = trimZeros(serial)
	_, found := slices.BinarySearchFunc(c.Revoked, serial, func(e RevokedCert, s []byte) int {
		return compareSerials(e.Serial, s)
	})
	return found
}

// CheckSignatureFrom verifies the CRL's signature with issuer's key
// (RFC 6487 §5, RFC 7935 §2). Matching AKI, issuer name and times are
// validate's. Errors wrap ErrSignature.
func (c *CRL) CheckSignatureFrom(issuer *Cert) error {
	if issuer == nil {
		return fmt.Errorf("no issuer: %w", ErrSignature)
	}
	if err := CheckSignature(issuer.PublicKey(), c.RawTBS, c.Signature); err != nil {
		return fmt.Errorf("crl: %w", err)
	}
	return nil
}

// ParseCRL parses a DER CRL and checks it against the RPKI profile
// (RFC 6487 §5, RFC 5280 §5): version 2, sha256WithRSAEncryption, both
// update times, entries without extensions, and exactly the AKI and
// CRLNumber extensions. It judges nothing that needs the issuer or a clock.
// Errors satisfy errors.Is(err, ErrMalformed). The returned CRL aliases der.
func ParseCRL(der []byte) (*CRL, error) {
	const rule = "RFC 5280 §5.1"
	input := cryptobyte.String(der)
	var list, tbs, sigAlg, sig cryptobyte.String
	if !input.ReadASN1(&list, asn1.SEQUENCE) {
		return nil, malformed(rule, "CertificateList: want DER SEQUENCE")
	}
	if !input.Empty() {
		return nil, malformed(rule, "CertificateList: %d trailing bytes", len(input))
	}
	if !list.ReadASN1Element(&tbs, asn1.SEQUENCE) ||
		!list.ReadASN1Element(&sigAlg, asn1.SEQUENCE) ||
		!list.ReadASN1(&sig, asn1.BIT_STRING) || !list.Empty() {
		return nil, malformed(rule, "CertificateList: want tbsCertList, signatureAlgorithm, signatureValue")
	}
	if err := checkSigAlg(sigAlg); err != nil {
		return nil, within("signatureAlgorithm", err)
	}
	if len(sig) < 2 || sig[0] != 0 {
		return nil, malformed("RFC 5280 §5.1.1.3", "signatureValue: want whole octets")
	}
	c := &CRL{Raw: der, RawTBS: tbs, Signature: sig[1:]}
	if err := c.parseTBS(tbs, sigAlg); err != nil {
		return nil, within("tbsCertList", err)
	}
	return c, nil
}

// parseTBS reads tbsCertList (RFC 5280 §5.1.2) in ASN.1 order.
func (c *CRL) parseTBS(tbs, outerAlg cryptobyte.String) error {
	var body, ver, alg, issuer cryptobyte.String
	if !tbs.ReadASN1(&body, asn1.SEQUENCE) {
		return malformed("RFC 5280 §5.1.2", "want SEQUENCE")
	}
	// The version is OPTIONAL in the ASN.1 (absent means v1); the profile
	// requires v2, encoded as 1.
	if !body.ReadASN1(&ver, asn1.INTEGER) || len(ver) != 1 || ver[0] != 1 {
		return malformed("RFC 6487 §5", "version: want v2")
	}
	if !body.ReadASN1Element(&alg, asn1.SEQUENCE) || !bytes.Equal(alg, outerAlg) {
		return malformed("RFC 5280 §5.1.2.2", "signature: differs from signatureAlgorithm")
	}
	if !body.ReadASN1Element(&issuer, asn1.SEQUENCE) {
		return malformed("RFC 5280 §5.1.2.3", "issuer: want Name")
	}
	if err := checkName(issuer); err != nil {
		return within("issuer", err)
	}
	c.RawIssuer = issuer
	var ok bool
	if c.ThisUpdate, ok = readPKIXTime(&body); !ok {
		return malformed("RFC 5280 §5.1.2.4", "thisUpdate: want UTCTime through 2049 or GeneralizedTime, with seconds and Z")
	}
	if c.NextUpdate, ok = readPKIXTime(&body); !ok {
		return malformed("RFC 6487 §5", "nextUpdate: absent or not UTCTime through 2049 or GeneralizedTime, with seconds and Z")
	}
	if c.NextUpdate.Before(c.ThisUpdate) {
		return malformed("RFC 5280 §5.1.2.5", "nextUpdate %s before thisUpdate %s",
			c.NextUpdate.Format(time.RFC3339), c.ThisUpdate.Format(time.RFC3339))
	}
	if body.PeekASN1Tag(asn1.SEQUENCE) {
		var revoked cryptobyte.String
		if !body.ReadASN1(&revoked, asn1.SEQUENCE) {
			return malformed("RFC 5280 §5.1.2.6", "revokedCertificates: want SEQUENCE")
		}
		if err := c.parseRevoked(revoked); err != nil {
			return err
		}
	}
	var wrap, exts cryptobyte.String
	if !body.ReadASN1(&wrap, asn1.Tag(0).Constructed().ContextSpecific()) ||
		!wrap.ReadASN1(&exts, asn1.SEQUENCE) || !wrap.Empty() {
		return malformed("RFC 6487 §5", "crlExtensions: absent or not a SEQUENCE")
	}
	if !body.Empty() {
		return malformed("RFC 5280 §5.1.2", "%d trailing bytes", len(body))
	}
	return c.parseExtensions(exts)
}

// minRevokedEntry is the size of the shortest revoked entry: a SEQUENCE
// header, a one-octet INTEGER and a 13-octet UTCTime. It bounds the slice
// capacity by the input.
const minRevokedEntry = 2 + 3 + 15

// parseRevoked reads revokedCertificates and sorts it by serial.
func (c *CRL) parseRevoked(list cryptobyte.String) error {
	// RFC 5280 §5.1.2.6 tells issuers to omit an empty list, but Krill, a
	// widely deployed CA, encodes it as an empty SEQUENCE. The encoding is
	// unambiguous DER and every relying party accepts it, so we do too.
	c.Revoked = make([]RevokedCert, 0, len(list)/minRevokedEntry)
	for i := 0; !list.Empty(); i++ {
		var entry, serial cryptobyte.String
		if !list.ReadASN1(&entry, asn1.SEQUENCE) || !entry.ReadASN1(&serial, asn1.INTEGER) {
			return malformed("RFC 5280 §5.1.2.6", "revokedCertificates[%d]: want SEQUENCE with userCertificate INTEGER", i)
		}
		mag, err := serialMagnitude(serial)
		if err != nil {
			return within("revokedCertificates["+strconv.Itoa(i)+"].userCertificate", err)
		}
		date, ok := readPKIXTime(&entry)
		if !ok {
			return malformed("RFC 5280 §5.1.2.6", "revokedCertificates[%d].revocationDate: want UTCTime through 2049 or GeneralizedTime, with seconds and Z", i)
		}
		if !entry.Empty() {
			return malformed("RFC 6487 §5", "revokedCertificates[%d]: crlEntryExtensions not allowed", i)
		}
		c.Revoked = append(c.Revoked, RevokedCert{Serial: mag, RevocationDate: date})
	}
	slices.SortFunc(c.Revoked, func(a, b RevokedCert) int { return compareSerials(a.Serial, b.Serial) })
	return nil
}

// serialMagnitude checks a certificate serial number as RFC 5280 §4.1.2.2
// and RFC 6487 §4.2 describe it (a positive DER INTEGER of at most 20
// octets) and returns its magnitude.
func serialMagnitude(n []byte) ([]byte, error) {
	const rule = "RFC 6487 §4.2"
	if !minimalInteger(n) {
		return nil, malformed("X.690 §8.3.2", "not minimally encoded")
	}
	if n[0]&0x80 != 0 {
		return nil, malformed(rule, "negative")
	}
	n = trimZeros(n)
	if len(n) == 0 {
		return nil, malformed(rule, "zero")
	}
	if len(n) > 20 {
		return nil, malformed("RFC 5280 §4.1.2.2", "%d octets, want at most 20", len(n))
	}
	return n, nil
}

// minimalInteger reports whether n, the contents of an INTEGER, are in the
// shortest two's-complement form (X.690 §8.3.2).
func minimalInteger(n []byte) bool {
	return len(n) == 1 || len(n) > 1 && !(n[0] == 0 && n[1] < 0x80 || n[0] == 0xff && n[1] >= 0x80)
}

// trimZeros drops the leading zero octets of a big-endian magnitude.
func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// compareSerials orders magnitudes without leading zeros by value.
func compareSerials(a, b []byte) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return bytes.Compare(a, b)
}

// The two CRL extensions of the profile, one bit each in the seen mask.
const (
	crlExtAKI = 1 << iota
	crlExtNumber
)

// parseExtensions reads crlExtensions: exactly AKI and CRLNumber, both
// non-critical, nothing else (RFC 6487 §5).
func (c *CRL) parseExtensions(exts cryptobyte.String) error {
	const rule = "RFC 6487 §5"
	seen := 0
	for i := 0; !exts.Empty(); i++ {
		var ext, oid, val cryptobyte.String
		if !exts.ReadASN1(&ext, asn1.SEQUENCE) || !ext.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
			return malformed("RFC 5280 §4.1", "crlExtensions[%d]: want Extension", i)
		}
		// Both extensions are non-critical (RFC 5280 §4.2.1.1, §5.2.3), and
		// DER omits a DEFAULT FALSE (X.690 §11.5): no BOOLEAN at all.
		if ext.PeekASN1Tag(asn1.BOOLEAN) {
			return malformed(rule, "crlExtensions[%d] %s: critical field present", i, oidString(oid))
		}
		if !ext.ReadASN1(&val, asn1.OCTET_STRING) || !ext.Empty() {
			return malformed("RFC 5280 §4.1", "crlExtensions[%d]: want extnValue OCTET STRING and nothing after", i)
		}
		var bit int
		var err error
		switch {
		case oidEqual(oid, oidExtAKI):
			bit, err = crlExtAKI, c.parseAKI(val)
		case oidEqual(oid, oidExtCRLNumber):
			bit, err = crlExtNumber, c.parseNumber(val)
		default:
			return malformed(rule, "crlExtensions[%d]: extension %s not allowed", i, oidString(oid))
		}
		if seen&bit != 0 {
			return malformed("RFC 5280 §4.2", "crlExtensions[%d]: duplicate %s", i, oidString(oid))
		}
		if err != nil {
			return err
		}
		seen |= bit
	}
	if seen != crlExtAKI|crlExtNumber {
		return malformed(rule, "crlExtensions: want both authorityKeyIdentifier and cRLNumber")
	}
	return nil
}

// parseAKI keeps the keyIdentifier, the only field RFC 6487 §4.8.3 allows.
func (c *CRL) parseAKI(val cryptobyte.String) error {
	const rule = "RFC 6487 §4.8.3"
	var aki, id cryptobyte.String
	if !val.ReadASN1(&aki, asn1.SEQUENCE) || !val.Empty() {
		return malformed(rule, "authorityKeyIdentifier: want SEQUENCE")
	}
	if !aki.ReadASN1(&id, asn1.Tag(0).ContextSpecific()) || !aki.Empty() {
		return malformed(rule, "authorityKeyIdentifier: want keyIdentifier only")
	}
	if len(id) != 20 {
		return malformed("RFC 6487 §4.8.2", "authorityKeyIdentifier: keyIdentifier of %d octets, want 20", len(id))
	}
	c.AKI = id
	return nil
}

// parseNumber reads CRLNumber, a non-negative INTEGER whose value fits in
// 20 octets (RFC 5280 §5.2.3; a leading zero octet for the sign is not
// counted).
func (c *CRL) parseNumber(val cryptobyte.String) error {
	const rule = "RFC 5280 §5.2.3"
	var n cryptobyte.String
	if !val.ReadASN1(&n, asn1.INTEGER) || !val.Empty() {
		return malformed(rule, "cRLNumber: want INTEGER")
	}
	if !minimalInteger(n) {
		return malformed("X.690 §8.3.2", "cRLNumber: not minimally encoded")
	}
	if n[0]&0x80 != 0 {
		return malformed(rule, "cRLNumber: negative")
	}
	if mag := trimZeros(n); len(mag) > 20 {
		return malformed(rule, "cRLNumber: %d octets, want at most 20", len(mag))
	}
	c.Number = new(big.Int).SetBytes(n)
	return nil
}

// readPKIXTime reads a UTCTime or GeneralizedTime in the one form RFC 5280
// §4.1.2.5 and §5.1.2.4 (and RFC 5652 §11.3 for signing-time) allow:
// UTCTime for the years 1950 to 2049, GeneralizedTime for the others, both
// with seconds, in UTC ("Z"), without fractions. It parses by hand because
// cryptobyte's readers also accept offsets and missing seconds.
func readPKIXTime(s *cryptobyte.String) (time.Time, bool) {
	var v cryptobyte.String
	var year int
	switch {
	case s.PeekASN1Tag(asn1.UTCTime):
		if !s.ReadASN1(&v, asn1.UTCTime) || len(v) != 13 || v[12] != 'Z' {
			return time.Time{}, false
		}
		yy, ok := decimal(v[:2])
		if !ok {
			return time.Time{}, false
		}
		year = 2000 + yy
		if yy >= 50 {
			year = 1900 + yy
		}
		v = v[2:12]
	case s.PeekASN1Tag(asn1.GeneralizedTime):
		if !s.ReadASN1(&v, asn1.GeneralizedTime) || len(v) != 15 || v[14] != 'Z' {
			return time.Time{}, false
		}
		var ok bool
		if year, ok = decimal(v[:4]); !ok || year >= 1950 && year < 2050 {
			return time.Time{}, false
		}
		v = v[4:14]
	default:
		return time.Time{}, false
	}
	// v is now MMDDHHMMSS.
	var f [5]int
	for i := range f {
		n, ok := decimal(v[2*i : 2*i+2])
		if !ok {
			return time.Time{}, false
		}
		f[i] = n
	}
	month, day, hour, minute, sec := f[0], f[1], f[2], f[3], f[4]
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // 30 February and the like roll over into the next month
		return time.Time{}, false
	}
	return t, true
}

// decimal parses a short run of ASCII digits.
func decimal(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
